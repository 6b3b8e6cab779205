// Checking connect.yml's parameters: against what a plugin declares: the
// messages a person reads, with the file, the line and the key.
#include "closest_name.hpp"
#include "config.hpp"
#include "parameter_check.hpp"

#include <doctest/doctest.h>

#include <limits>

using namespace cn::host;
using cn::ParameterSpec;
using cn::ParameterType;

namespace {

std::vector<ParameterSpec> specs() {
  ParameterSpec url{"url", ParameterType::string, "", "", false, 0, 0, {}};
  ParameterSpec flag{"create_tables", ParameterType::boolean, "", "false", false, 0, 0, {}};
  ParameterSpec size{"batch_size", ParameterType::integer, "", "", false, 1, 1000, {}};
  ParameterSpec any{"offset", ParameterType::integer, "", "", false, std::numeric_limits<int64_t>::min(),
                    std::numeric_limits<int64_t>::max(), {}};
  ParameterSpec positive{"count", ParameterType::integer, "", "", false, 1, std::numeric_limits<int64_t>::max(), {}};
  ParameterSpec mode{"on_error", ParameterType::enumeration, "", "stop", false, 0, 0, {"stop", "skip", "1"}};
  ParameterSpec list{"tables", ParameterType::list, "", "", false, 0, 0, {}};
  ParameterSpec token{"token", ParameterType::string, "", "", true, 0, 0, {}};
  ParameterSpec tunnel_host{"ssh_tunnel.host", ParameterType::string, "", "", false, 0, 0, {}};
  ParameterSpec tunnel_port{"ssh_tunnel.port", ParameterType::integer, "", "22", false, 1, 65535, {}};
  return {url, flag, size, any, positive, mode, list, token, tunnel_host, tunnel_port};
}

// The problems of "parameters:\n" + lines (from line 2 on).
std::vector<std::string> problems(const std::string &lines) {
  ConnectorConfig config = parse_config("parameters:\n" + lines, "c.yml", [](const std::string &) {
    return std::optional<std::string>();
  });
  return parameter_problems(config, specs(), "p");
}

std::string problem(const std::string &line) {
  std::vector<std::string> all = problems(line);
  REQUIRE(all.size() == 1);
  return all.front();
}

}  // namespace

TEST_CASE("values that fit their declaration pass") {
  CHECK(problems("  url: x\n  create_tables: true\n  batch_size: 1000\n  offset: -5\n  count: 7\n"
                 "  on_error: skip\n  tables: [a, b]\n  token: t\n")
            .empty());
  CHECK(problems("  create_tables: \"false\"\n  tables: a,b\n  url: ~\n  batch_size:\n  on_error: \"1\"\n").empty());
  CHECK(problems("").empty());
}

TEST_CASE("each problem names the file, the line, the column and the key") {
  CHECK(problem("  on_eror: skip\n") == "c.yml:2:3: parameters.on_eror: not a parameter of p; did you mean 'on_error'?");
  std::vector<std::string> two = problems("  url: 1\n  nope: 2\n  batch_size: 0\n");
  REQUIRE(two.size() == 3);  // in the order of the file
  CHECK(two[0].rfind("c.yml:2:3: parameters.url: ", 0) == 0);
  CHECK(two[1].rfind("c.yml:3:3: parameters.nope: ", 0) == 0);
  CHECK(two[2].rfind("c.yml:4:3: parameters.batch_size: ", 0) == 0);
}

TEST_CASE("the wrong type says what is wanted, and to quote a number or bool meant as text") {
  CHECK(problem("  url: 5432\n") == "c.yml:2:3: parameters.url: must be a string; got the number 5432: quote it (\"5432\")");
  CHECK(problem("  url: true\n") == "c.yml:2:3: parameters.url: must be a string; got true: quote it (\"true\")");
  CHECK(problem("  url: [a]\n") == "c.yml:2:3: parameters.url: must be a string; got a list");
  CHECK(problem("  create_tables: yes\n") == "c.yml:2:3: parameters.create_tables: must be true or false; got 'yes'");
  CHECK(problem("  create_tables: 1\n") ==
        "c.yml:2:3: parameters.create_tables: must be true or false; got the number 1");
  CHECK(problem("  batch_size: \"50\"\n") ==
        "c.yml:2:3: parameters.batch_size: must be an integer (1..1000); got the string '50': write it without quotes");
  CHECK(problem("  batch_size: 2.5\n") == "c.yml:2:3: parameters.batch_size: must be an integer (1..1000); got the number 2.5");
  CHECK(problem("  offset: many\n") == "c.yml:2:3: parameters.offset: must be an integer; got 'many'");
  CHECK(problem("  tables: {a: 1}\n") ==
        "c.yml:2:3: parameters.tables: must be a list of strings, or one comma-separated string; got a map");
  CHECK(problem("  tables: [a, false]\n") ==
        "c.yml:2:3: parameters.tables: item 2 of the list must be a string; got false: quote it (\"false\")");
}

TEST_CASE("an integer out of range says the range") {
  CHECK(problem("  batch_size: 0\n") == "c.yml:2:3: parameters.batch_size: must be 1..1000; got 0");
  CHECK(problem("  batch_size: 1001\n") == "c.yml:2:3: parameters.batch_size: must be 1..1000; got 1001");
  CHECK(problem("  count: 0\n") == "c.yml:2:3: parameters.count: must be at least 1; got 0");
  CHECK(problem("  count: 18446744073709551615\n") ==
        "c.yml:2:3: parameters.count: must be at least 1; got 18446744073709551615");
}

TEST_CASE("an enum value not among the choices lists them, and names a close one") {
  CHECK(problem("  on_error: skp\n") ==
        "c.yml:2:3: parameters.on_error: must be one of stop, skip, 1; got 'skp': did you mean 'skip'?");
  CHECK(problem("  on_error: ignore\n") == "c.yml:2:3: parameters.on_error: must be one of stop, skip, 1; got 'ignore'");
  CHECK(problem("  on_error: 1\n") ==
        "c.yml:2:3: parameters.on_error: must be one of stop, skip, 1; got the number 1: quote it (\"1\")");
}

TEST_CASE("a secret parameter's value is never quoted") {
  CHECK(problem("  token: 123456\n") == "c.yml:2:3: parameters.token: must be a string; got a number: quote it");
}

TEST_CASE("an unknown key with nothing close lists the declared ones; an empty declaration takes none") {
  CHECK(problem("  colour: red\n") ==
        "c.yml:2:3: parameters.colour: not a parameter of p (its parameters: url, create_tables, batch_size, offset, "
        "count, on_error, tables, token, ssh_tunnel)");
  ConnectorConfig config = parse_config("parameters:\n  url: x\n", "c.yml", [](const std::string &) {
    return std::optional<std::string>();
  });
  CHECK(parameter_problems(config, {}, "quiet") ==
        std::vector<std::string>{"c.yml:2:3: parameters.url: not a parameter of quiet, which takes none"});
}

TEST_CASE("a map of parameters (declared map.key) is checked key by key, each named where it is written") {
  CHECK(problems("  ssh_tunnel:\n    host: bastion\n    port: 2222\n").empty());
  CHECK(problems("  ssh_tunnel:\n").empty());  // not given
  CHECK(problem("  ssh_tunnel:\n    host: b\n    prot: 22\n") ==
        "c.yml:4:5: parameters.ssh_tunnel.prot: not a parameter of p; did you mean 'ssh_tunnel.port'?");
  CHECK(problem("  ssh_tunnel:\n    port: 0\n") == "c.yml:3:5: parameters.ssh_tunnel.port: must be 1..65535; got 0");
  CHECK(problem("  ssh_tunnel: bastion\n") ==
        "c.yml:2:3: parameters.ssh_tunnel: must be a map (ssh_tunnel: with NAME: value lines under it); got a string");
  CHECK(problem("  ssh_tunnle:\n    host: b\n").rfind("c.yml:2:3: parameters.ssh_tunnle: not a parameter of p", 0) == 0);
  // Written flat, it would be ignored by the plugin, which reads the map.
  CHECK(problem("  ssh_tunnel.host: b\n") ==
        "c.yml:2:3: parameters.ssh_tunnel.host: a key inside a map: write ssh_tunnel: with host: indented under it");
}

TEST_CASE("closest_name finds likely misspellings only") {
  const std::vector<std::string> names = {"url", "on_error", "tables", "create_tables"};
  CHECK(closest_name("on_eror", names) == "on_error");  // a letter left out
  CHECK(closest_name("tabels", names) == "tables");     // two swapped
  CHECK(closest_name("URL", names) == "url");           // case
  CHECK(closest_name("uri", names) == "url");
  CHECK(closest_name("create_table", names) == "create_tables");
  CHECK(closest_name("x", names) == "");
  CHECK(closest_name("colour", names) == "");
  CHECK(closest_name("on_failure", names) == "");
  CHECK(closest_name("anything", {}) == "");
}
