// connect.yml: the Fluvio layout, secrets from the file and the
// environment, and errors that name the file, the line and the key.
#include "config.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

using namespace cn::host;

namespace {

Environment env_with(std::map<std::string, std::string> vars) {
  return [vars](const std::string &name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

rapidjson::Document json(const std::string &text) {
  rapidjson::Document d;
  d.Parse(text.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

std::string error_of(const std::string &yaml, const Environment &env = env_with({})) {
  try {
    parse_config(yaml, "connect.yml", env);
  } catch (const ConfigError &e) {
    return e.what();
  }
  FAIL("no ConfigError for:\n" << yaml);
  return {};
}

}  // namespace

TEST_CASE("the seed's connect.yml: top-level keys and a secret given in the file") {
  ConnectorConfig c = parse_config(R"(
version: 0.1.0
name: my-sink
type: postgres-sink
topic: postgres-topic
create_topic: true
parameters:
  url: ${{ secrets.FLUVIO_PG_DATABASE_URL }}
secrets:
  FLUVIO_PG_DATABASE_URL: postgres://fluvio:pw123@db:5432
)", "connect.yml", env_with({}));
  CHECK(c.version == "0.1.0");
  CHECK(c.name == "my-sink");
  CHECK(c.type == "postgres-sink");
  CHECK(c.topic == "postgres-topic");
  CHECK(c.warnings.empty());

  auto plugin = json(c.plugin_json());
  CHECK(std::string(plugin["parameters"]["url"].GetString()) == "postgres://fluvio:pw123@db:5432");
  CHECK(std::string(plugin["secrets"]["FLUVIO_PG_DATABASE_URL"].GetString()) == "postgres://fluvio:pw123@db:5432");
  CHECK(std::string(plugin["name"].GetString()) == "my-sink");
  CHECK(std::string(plugin["topic"].GetString()) == "postgres-topic");
}

TEST_CASE("a secret without a value, and the well-known one, come from the environment") {
  auto env = env_with({{"DB_PASSWORD", "s3cret"}, {"FLUVIO_PG_DATABASE_URL", "postgres://u@h/db"}});
  ConnectorConfig c = parse_config(R"(
name: x
type: postgres-sink
topic: t
parameters:
  password: "${{ secrets.DB_PASSWORD }}"
  dsn: host=h password=${{secrets.DB_PASSWORD}} user=${{ secrets.DB_PASSWORD }}x
secrets:
  DB_PASSWORD:
)", "connect.yml", env);
  auto plugin = json(c.plugin_json());
  CHECK(std::string(plugin["parameters"]["password"].GetString()) == "s3cret");
  CHECK(std::string(plugin["parameters"]["dsn"].GetString()) == "host=h password=s3cret user=s3cretx");
  CHECK(c.secrets.at("DB_PASSWORD") == "s3cret");
  CHECK(c.secrets.at("FLUVIO_PG_DATABASE_URL") == "postgres://u@h/db");
}

TEST_CASE("a value in the file wins over the environment") {
  ConnectorConfig c = parse_config("topic: t\nsecrets:\n  URL: from-file\nparameters:\n  url: ${{ secrets.URL }}\n",
                                   "connect.yml", env_with({{"URL", "from-env"}}));
  CHECK(std::string(json(c.plugin_json())["parameters"]["url"].GetString()) == "from-file");
}

TEST_CASE("Fluvio's newer layout with meta: and a list of secret names") {
  ConnectorConfig c = parse_config(R"(
apiVersion: 0.1.0
meta:
  version: 0.2.0
  name: pg
  type: postgres-sink
  topic: events
  secrets:
    - name: PGURL
parameters:
  url: ${{ secrets.PGURL }}
)", "connect.yml", env_with({{"PGURL", "postgres://a@b/c"}}));
  CHECK(c.name == "pg");
  CHECK(c.type == "postgres-sink");
  CHECK(c.topic == "events");
  CHECK(std::string(json(c.plugin_json())["parameters"]["url"].GetString()) == "postgres://a@b/c");
}

TEST_CASE("parameters keep their YAML types; quoted scalars stay strings") {
  ConnectorConfig c = parse_config(R"(
topic: t
parameters:
  create_tables: true
  batch: 500
  ratio: 0.5
  quoted_number: "500"
  too_big: 99999999999999999999
  version_like: 1.2.3
  nothing: ~
  on_error: skip
  tables: [public.a, "public.b"]
  nested: {a: 1, b: [x, false]}
)", "connect.yml", env_with({}));
  auto p = json(c.plugin_json());
  const auto &params = p["parameters"];
  CHECK(params["create_tables"].IsBool());
  CHECK(params["create_tables"].GetBool());
  CHECK(params["batch"].GetInt64() == 500);
  CHECK(params["ratio"].GetDouble() == doctest::Approx(0.5));
  CHECK(std::string(params["quoted_number"].GetString()) == "500");
  CHECK(std::string(params["too_big"].GetString()) == "99999999999999999999");
  CHECK(std::string(params["version_like"].GetString()) == "1.2.3");
  CHECK(params["nothing"].IsNull());
  CHECK(std::string(params["on_error"].GetString()) == "skip");
  REQUIRE(params["tables"].IsArray());
  CHECK(std::string(params["tables"][1].GetString()) == "public.b");
  CHECK(params["nested"]["b"][1].IsFalse());
}

TEST_CASE("a float too large for a double stays text, as a too large integer does (found by fuzz/config_fuzz)") {
  // 1e999 was written as nothing: the parameters were not JSON any more.
  ConnectorConfig c = parse_config("topic: t\nparameters:\n  huge: 9e9999999999999999999\n  tiny: -1e-999\n"
                                   "  big: 1.5e308\n  signs: +-5\n  plus: +5\n",
                                   "connect.yml", env_with({}));
  auto params = json(c.parameters_json);
  CHECK(std::string(params["huge"].GetString()) == "9e9999999999999999999");
  CHECK(params["tiny"].IsDouble());  // too small is zero, as in YAML
  CHECK(params["big"].GetDouble() == 1.5e308);
  CHECK(std::string(params["signs"].GetString()) == "+-5");
  CHECK(params["plus"].GetInt64() == 5);
  CHECK_FALSE(json(c.plugin_json())["parameters"]["huge"].IsNumber());
}

TEST_CASE("an alias inside what it names, or aliases that multiply, are errors, not a crash or a hang") {
  // The first overflowed the stack, the second took minutes and gigabytes.
  const std::string cycle = error_of("topic: t\nparameters:\n  a: &a [1, *a]\n");
  CHECK(cycle.rfind("connect.yml:3:6: parameters.a[1][1][1]", 0) == 0);
  CHECK(cycle.find("[1]...: nested deeper than 64 levels (is an alias inside what it names?)") != std::string::npos);
  CHECK(cycle.size() < 200);
  std::string laughs = "topic: t\nparameters:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 8; ++i) {
    laughs += "  a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) laughs += (j ? ", *a" : "*a") + std::to_string(i - 1);
    laughs += "]\n";
  }
  CHECK(error_of(laughs).find("more than 100000 values, counting each alias as what it names") != std::string::npos);
  std::string long_laughs = "topic: t\nparameters:\n  a0: &a0 " + std::string(100000, 'x') + "\n";
  for (int i = 1; i < 4; ++i)
    long_laughs += "  a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) + ", *a" +
                   std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" +
                   std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + "]\n";
  CHECK(error_of(long_laughs).find("more than 16 MiB of text, counting each alias as what it names") !=
        std::string::npos);
  // Aliases as people use them pass.
  ConnectorConfig c = parse_config("topic: t\nparameters:\n  a: &x [1, 2]\n  b: *x\n  c: {d: *x}\n", "connect.yml",
                                   env_with({}));
  CHECK(json(c.parameters_json)["c"]["d"][1].GetInt() == 2);
}

TEST_CASE("an undefined secret is an error naming the file, the line, the key and the secret") {
  std::string e = error_of("topic: t\nparameters:\n  url: ${{ secrets.MISSING_URL }}\n");
  CHECK(e.find("connect.yml:3:") == 0);
  CHECK(e.find("parameters.url") != std::string::npos);
  CHECK(e.find("MISSING_URL") != std::string::npos);
}

TEST_CASE("a malformed secret reference is an error") {
  CHECK(error_of("topic: t\nparameters:\n  url: ${{ secrets.bad-name }}\n").find("not a valid secret reference") !=
        std::string::npos);
}

TEST_CASE("malformed files are errors that say where") {
  CHECK(error_of("topic: [unclosed\n").find("connect.yml:") == 0);
  CHECK(error_of("topic: [unclosed\n").find("not valid YAML") != std::string::npos);
  CHECK(error_of("").find("is empty") != std::string::npos);
  CHECK(error_of("- a\n- b\n").find("must be a map") != std::string::npos);
  CHECK(error_of("topic:\n  nested: map\n").find("topic: must be a single value") != std::string::npos);
  CHECK(error_of("topic: t\nparameters: [1, 2]\n").find("parameters: must be a map") != std::string::npos);
}

TEST_CASE("unknown keys are reported as warnings, not silently dropped") {
  ConnectorConfig c = parse_config("topic: t\ntopc: typo\n", "connect.yml", env_with({}));
  REQUIRE(c.warnings.size() == 1);
  CHECK(c.warnings[0].find("connect.yml:2") == 0);
  CHECK(c.warnings[0].find("'topc'") != std::string::npos);
}

TEST_CASE("load_config names a file it cannot read, and the system's reason") {
  CHECK_THROWS_WITH_AS(load_config("/nonexistent/connect.yml", env_with({})),
                       "/nonexistent/connect.yml: cannot be read: No such file or directory", ConfigError);
  CHECK_THROWS_WITH_AS(load_config("/", env_with({})), "/: cannot be read: Is a directory", ConfigError);
}

TEST_CASE("an unknown top-level key close to a known one names it") {
  ConnectorConfig c = parse_config("topic: t\nparamters:\n  x: 1\n", "connect.yml", env_with({}));
  REQUIRE(c.warnings.size() == 1);
  CHECK(c.warnings[0] ==
        "connect.yml:2: key 'paramters' is not used by connector-host and was ignored; did you mean 'parameters'?");
}

TEST_CASE("the place of each key under parameters: is kept, for messages about its value") {
  ConnectorConfig c = parse_config("topic: t\nparameters:\n  url: x\n\n    # a comment\n  on_error:   skip\n",
                                   "dir/connect.yml", env_with({}));
  CHECK(c.parameter_places == std::map<std::string, std::string>{{"url", "dir/connect.yml:3:3"},
                                                                  {"on_error", "dir/connect.yml:6:3"}});
  CHECK(parse_config("topic: t\n", "connect.yml", env_with({})).parameter_places.empty());
}

TEST_CASE("topics: a directory or URL list as one value, or a map with NATS' credentials from secrets") {
  const std::string head = "version: 0.1.0\nname: n\ntype: t\ntopic: events\n";
  ConnectorConfig plain = parse_config(head + "topics: nats://a:4222,nats://b:4222\n", "connect.yml", env_with({}));
  REQUIRE(plain.topics);
  CHECK(plain.topics->location == "nats://a:4222,nats://b:4222");
  CHECK(is_nats_location(plain.topics->location));
  CHECK_FALSE(parse_config(head, "connect.yml", env_with({})).topics);

  ConnectorConfig full = parse_config(head +
                                          "topics:\n  url: tls://a:4222\n  user: app\n"
                                          "  password: ${{ secrets.NATS_PASSWORD }}\n  tls_ca: ca.pem\n"
                                          "  replicas: 3\n  max_age_seconds: 86400\n",
                                      "connect.yml", env_with({{"NATS_PASSWORD", "pw"}}));
  REQUIRE(full.topics);
  CHECK(full.topics->location == "tls://a:4222");
  CHECK(full.topics->nats.user == "app");
  CHECK(full.topics->nats.password == "pw");
  CHECK(full.topics->nats.tls_ca == "ca.pem");
  CHECK(full.topics->nats.replicas == 3);
  CHECK(full.topics->nats.max_age_seconds == 86400);

  CHECK(error_of(head + "topics:\n  url: nats://a\n  replica: 3\n") ==
        "connect.yml:7:3: topics.replica: is not a topics setting; did you mean 'replicas'?");
  CHECK(error_of(head + "topics:\n  url: nats://a\n  replicas: 9\n") ==
        "connect.yml:7:13: topics.replicas: must be an integer from 1 to 5");
  CHECK(error_of(head + "topics:\n  user: app\n") == "connect.yml:6:3: topics: needs url: (a directory, or nats://HOST:PORT,...)");
}
