// The parameters a plugin declares (ABI 1.2): the loader reads and checks
// the list, and the real connector-host checks connect.yml's parameters:
// against it before open(), naming the file, the line and the key.
#include "host_run.hpp"

#include <cn/loader.hpp>

#include <doctest/doctest.h>

#include <fstream>

using cn::test::ProcessResult;
using cn::test::TempDir;
using namespace cn::test::abi;

namespace {

// Writes DIR/connect.yml with parameters_lines under parameters: (from
// line 4 on) and runs PLUGIN_FILE on the sample topic with it.
struct CheckedRun {
  explicit CheckedRun(const std::string &parameters_lines, const std::string &plugin_file = "declares_parameters") {
    std::ofstream(config) << "name: checked\ntopic: dogs\nparameters:\n" << parameters_lines;
    result = run_host({"--config", config, "--plugin", plugin_path(plugin_file), "--topics", topics_dir(), "--once"});
  }
  // "CONFIG:LINE:COL: parameters.KEY: WHY", as an error line ends.
  bool reports(int line, const std::string &key, const std::string &why) const {
    return !lines_with(result.err, " ERROR host: " + config + ":" + std::to_string(line) + ":3: parameters." + key +
                                       ": " + why)
                .empty();
  }

  TempDir dir;
  std::string config = dir / "connect.yml";
  ProcessResult result;
};

}  // namespace

TEST_CASE("a config that fits the declared parameters opens and runs") {
  CheckedRun run("  url: postgresql://app@db/shop\n  create_tables: true\n  batch_size: 1000\n  on_error: skip\n"
                 "  tables: [public.a, public.b]\n  api_token: tok-Secret-123\n");
  INFO("stderr:\n" << run.result.err);
  CHECK(run.result.exited_with(0));
  CHECK(contains(run.result.err, "\"batch_size\":1000,\"on_error\":\"skip\",\"tables\":[\"public.a\",\"public.b\"]"));
  CHECK(contains(run.result.err, "end of " + dogs_topic() + " reached"));

  SUBCASE("the other accepted forms: a quoted bool, one comma-separated list, a value left empty") {
    CheckedRun other("  create_tables: \"false\"\n  tables: public.a,public.b\n  on_error:\n  batch_size: 1\n");
    INFO("stderr:\n" << other.result.err);
    CHECK(other.result.exited_with(0));
  }
}

TEST_CASE("inline values are masked: a parameter declared secret, the password inside any URL") {
  CheckedRun run("  api_token: tok-Secret-123\n  url: postgresql://app:Inline-Pw9@db/shop\n");
  INFO("stderr:\n" << run.result.err);
  CHECK(run.result.exited_with(0));
  CHECK(contains(run.result.err, "\"api_token\":\"***\""));
  CHECK(contains(run.result.err, "\"url\":\"postgresql://app:***@db/shop\""));  // url is not declared secret
  for (const char *secret : {"tok-Secret-123", "Inline-Pw9"}) CHECK_FALSE(contains(run.result.err, secret));
}

TEST_CASE("a misspelled parameter is refused with exit 2, the file, the line and the closest declared name") {
  CheckedRun run("  url: postgresql://app@db/shop\n  on_eror: skip\n");
  INFO("stderr:\n" << run.result.err);
  CHECK(run.result.exited_with(2));
  CHECK(run.reports(5, "on_eror", "not a parameter of declares-parameters; did you mean 'on_error'?"));
  CHECK(error_line(run.result) != "");  // the one problem, one line
  CHECK_FALSE(contains(run.result.err, "running "));  // never opened

  SUBCASE("swapped letters, another case") {
    CheckedRun swapped("  Tabels: [a]\n");
    CHECK(swapped.reports(4, "Tabels", "not a parameter of declares-parameters; did you mean 'tables'?"));
  }
  SUBCASE("nothing close: the declared names are listed") {
    CheckedRun far("  colour: red\n");
    CHECK(far.reports(4, "colour",
                      "not a parameter of declares-parameters (its parameters: url, create_tables, batch_size, "
                      "on_error, tables, api_token)"));
  }
}

TEST_CASE("a value of the wrong type is refused with exit 2, saying what the parameter takes") {
  CheckedRun run("  url: 5432\n  create_tables: yes\n  batch_size: \"500\"\n  tables: [public.a, 7]\n"
                 "  api_token: 123456\n  on_error: 3\n");
  INFO("stderr:\n" << run.result.err);
  CHECK(run.result.exited_with(2));
  CHECK(run.reports(4, "url", "must be a string; got the number 5432: quote it (\"5432\")"));
  CHECK(run.reports(5, "create_tables", "must be true or false; got 'yes'"));
  CHECK(run.reports(6, "batch_size", "must be an integer (1..1000); got the string '500': write it without quotes"));
  CHECK(run.reports(7, "tables", "item 2 of the list must be a string; got the number 7: quote it (\"7\")"));
  CHECK(run.reports(8, "api_token", "must be a string; got a number: quote it"));
  CHECK(run.reports(9, "on_error", "must be one of stop, skip, dead_letter; got the number 3"));
  CHECK(lines_with(run.result.err, " ERROR ").size() == 6);  // every problem at once
  CHECK_FALSE(contains(run.result.err, "123456"));           // a secret's value, even a wrong one
}

TEST_CASE("an integer out of its range and a value not among the choices are refused with exit 2") {
  CheckedRun run("  batch_size: 0\n  on_error: skp\n  create_tables: false\n  tables: x\n  url: u\n"
                 "  batch_size_2: 1\n");
  INFO("stderr:\n" << run.result.err);
  CHECK(run.result.exited_with(2));
  CHECK(run.reports(4, "batch_size", "must be 1..1000; got 0"));
  CHECK(run.reports(5, "on_error", "must be one of stop, skip, dead_letter; got 'skp': did you mean 'skip'?"));
  CHECK(run.reports(9, "batch_size_2", "not a parameter of declares-parameters; did you mean 'batch_size'?"));

  SUBCASE("above the range; a choice nothing like the others") {
    CheckedRun above("  batch_size: 5000\n  on_error: ignore\n");
    CHECK(above.reports(4, "batch_size", "must be 1..1000; got 5000"));
    CHECK(above.reports(5, "on_error", "must be one of stop, skip, dead_letter; got 'ignore'"));
  }
}

TEST_CASE("a plugin that declares an empty list takes no parameters; one that declares nothing is unchecked") {
  SUBCASE("an empty list") {
    CheckedRun none("  url: x\n", "declares_no_parameters");
    INFO("stderr:\n" << none.result.err);
    CHECK(none.result.exited_with(2));
    CHECK(none.reports(4, "url", "not a parameter of declares-no-parameters, which takes none"));
    CHECK(CheckedRun("  {}\n", "declares_no_parameters").result.exited_with(0));
  }
  SUBCASE("no list (a descriptor of ABI 1.1)") {
    CheckedRun old("  anything: [1, {a: b}]\n  at_all: yes\n", "older_descriptor");
    INFO("stderr:\n" << old.result.err);
    CHECK(old.result.exited_with(0));
    CHECK(cn::Plugin::load(plugin_path("older_descriptor"))->parameters() == nullptr);
    CHECK(cn::Plugin::load(plugin_path("error_status"))->parameters() == nullptr);  // 1.2, NULL list
  }
}

TEST_CASE("cn::Plugin::parameters copies the declared list") {
  auto plugin = cn::Plugin::load(plugin_path("declares_parameters"));
  const std::vector<cn::ParameterSpec> *params = plugin->parameters();
  REQUIRE(params != nullptr);
  REQUIRE(params->size() == 6);
  const cn::ParameterSpec &url = (*params)[0], &create = (*params)[1], &batch = (*params)[2], &on_error = (*params)[3],
                          &tables = (*params)[4], &token = (*params)[5];
  CHECK(url.name == "url");
  CHECK(url.type == cn::ParameterType::string);
  CHECK(url.description == "the warehouse to write to");
  CHECK(url.default_text.empty());
  CHECK(create.type == cn::ParameterType::boolean);
  CHECK(create.default_text == "false");
  CHECK(batch.type == cn::ParameterType::integer);
  CHECK(batch.min == 1);
  CHECK(batch.max == 1000);
  CHECK(on_error.type == cn::ParameterType::enumeration);
  CHECK(on_error.choices == std::vector<std::string>{"stop", "skip", "dead_letter"});
  CHECK(tables.type == cn::ParameterType::list);
  CHECK(token.secret);
  CHECK_FALSE(url.secret);

  auto takes_none = cn::Plugin::load(plugin_path("declares_no_parameters"));
  REQUIRE(takes_none->parameters() != nullptr);
  CHECK(takes_none->parameters()->empty());
}

TEST_CASE("--list-plugins shows the declared parameters under their plugin") {
  ProcessResult r = run_host({"--list-plugins", "--plugin-dir", cn::test::kAbiPluginDir});
  INFO("stdout:\n" << r.out);
  CHECK(r.exited_with(0));
  const std::string listing = "  declares-parameters  1.0.0  sink  " + plugin_path("declares_parameters") +
                              "  - declares one parameter of each type\n"
                              "      url  string  - the warehouse to write to\n"
                              "      create_tables  bool  default: false\n"
                              "      batch_size  integer 1..1000  default: 100\n"
                              "      on_error  enum stop|skip|dead_letter  default: stop\n"
                              "      tables  list  - schema.table names\n"
                              "      api_token  string  secret\n";
  CHECK(contains(r.out, listing));
}
