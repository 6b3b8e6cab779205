// The parameters postgres-sink and postgres-source declare (what the host
// checks connect.yml against) against what their configuration parsing
// reads: every parameter read is declared as the type it is read as, every
// declared one is read, a declared default is the default the parsing
// uses; and cn/plugin.hpp's ConfigError is open()'s CN_INVALID_CONFIG.
#include <sink_config.hpp>
#include <source_config.hpp>

#include <cn/plugin.hpp>
#include <doctest/doctest.h>

#include <cstddef>

#include <cstring>
#include <set>
#include <string>
#include <vector>

using cn::pgsink::kSinkParameters;
using cn::pgsink::parse_sink_config;
using cn::pgsource::kSourceParameters;
using cn::pgsource::parse_source_config;

namespace {

std::vector<cn_param> params_of(const cn_param_list &list) {
  std::vector<cn_param> params;
  for (std::size_t i = 0; i < list.count; ++i) params.push_back(*CN_PARAM_AT(&list, i));
  return params;
}

const cn_param &declared(const cn_param_list &list, const std::string &name) {
  for (std::size_t i = 0; i < list.count; ++i)
    if (CN_PARAM_AT(&list, i)->name == name) return *CN_PARAM_AT(&list, i);
  FAIL("not declared: " << name);
  throw std::logic_error(name);
}

// "name": value, or "map": {"key": value} for a parameter declared "map.key".
std::string parameter_json(const std::string &name, const std::string &value) {
  const std::size_t dot = name.find('.');
  if (dot == std::string::npos) return "\"" + name + "\":" + value;
  return "\"" + name.substr(0, dot) + "\":{\"" + name.substr(dot + 1) + "\":" + value + "}";
}

// The database's fields, which may not be given beside config_json's url,
// and the tunnel's, which need a bastion.
bool is_database_field(const std::string &name) {
  return name == "host" || name == "port" || name == "database" || name == "user" || name == "password" ||
         name.rfind("ssh_tunnel.", 0) == 0;
}

std::string config_json(const std::string &parameters) {
  return R"({"name":"shop","parameters":{"url":"postgresql://app@127.0.0.1:5432/shop")" +
         (parameters.empty() ? "" : "," + parameters) + "}}";
}

// A value of the wrong type for each kind of parameter: one its reader
// must refuse.
std::string wrong_value(const cn_param &p) {
  switch (p.type) {
    case CN_PARAM_STRING: return "12345";
    case CN_PARAM_BOOL: return "\"maybe\"";
    case CN_PARAM_INTEGER: return "\"many\"";
    case CN_PARAM_ENUM: return "\"no such choice\"";
    case CN_PARAM_LIST: return "17";
  }
  return "null";
}

// A declared default written as a value (not a description such as "the
// connector's name"), as JSON; "" when the default is a description.
std::string default_as_json(const cn_param &p) {
  if (!p.default_text) return "";
  const std::string text = p.default_text;
  switch (p.type) {
    case CN_PARAM_BOOL: return text == "true" || text == "false" ? text : "";
    case CN_PARAM_INTEGER: return text.find_first_not_of("0123456789") == std::string::npos ? text : "";
    case CN_PARAM_ENUM: return "\"" + text + "\"";
    case CN_PARAM_STRING: return text.find(' ') == std::string::npos ? "\"" + text + "\"" : "";
    case CN_PARAM_LIST: return "";
  }
  return "";
}

// Every parameter of list parses, and a wrong value for it is refused with
// its name: so parse reads each one.
template <class Parse>
void check_every_declared_parameter_is_read(const cn_param_list &list, Parse &&parse) {
  CHECK_NOTHROW(parse(config_json("")));  // reads every parameter: none undeclared (std::logic_error)
  for (const cn_param &p : params_of(list)) {
    if (std::string(p.name) == "url") continue;  // in config_json; refused in the URL test below
    CAPTURE(p.name);
    try {
      parse(config_json(parameter_json(p.name, wrong_value(p))));
      FAIL("a wrong value was accepted: the parameter is not read");
    } catch (const cn::ConfigError &e) {
      CHECK(std::string(e.what()).rfind("parameters." + std::string(p.name) + ": ", 0) == 0);
    }
  }
}

// Every declared parameter: a name, a description, unique; the credentials secret.
void check_declarations(const cn_param_list &list) {
  CHECK(list.struct_size == sizeof(cn_param_list));
  CHECK(list.param_size == sizeof(cn_param));
  std::set<std::string> names;
  for (const cn_param &p : params_of(list)) {
    CAPTURE(p.name);
    CHECK(names.insert(p.name).second);
    REQUIRE(p.description);
    CHECK(std::strlen(p.description) > 0);
    const std::set<std::string> credentials = {"url", "password", "ssh_tunnel.private_key", "ssh_tunnel.passphrase"};
    CHECK((p.secret != 0) == (credentials.count(p.name) == 1));
  }
  CHECK(declared(list, "url").type == CN_PARAM_STRING);
}

}  // namespace

TEST_CASE("postgres-sink declares every parameter it reads, and reads every one it declares") {
  check_declarations(kSinkParameters);
  check_every_declared_parameter_is_read(kSinkParameters, parse_sink_config);
  CHECK(params_of(kSinkParameters).size() == 6 + std::size(cn::plugins::kDatabaseParameters));
  const cn_param &on_error = declared(kSinkParameters, "on_error");
  REQUIRE(on_error.type == CN_PARAM_ENUM);
  std::vector<std::string> choices;
  for (const char *const *c = on_error.choices; *c; ++c) choices.push_back(*c);
  CHECK(choices == std::vector<std::string>{"stop", "skip", "dead_letter"});
  const cn_param &max_rows = declared(kSinkParameters, "max_rows_per_statement");
  CHECK(max_rows.type == CN_PARAM_INTEGER);
  CHECK(max_rows.min == 1);
  CHECK(max_rows.max >= 100000);
  CHECK(declared(kSinkParameters, "create_tables").type == CN_PARAM_BOOL);
}

TEST_CASE("postgres-source declares every parameter it reads, and reads every one it declares") {
  check_declarations(kSourceParameters);
  check_every_declared_parameter_is_read(kSourceParameters, parse_source_config);
  CHECK(params_of(kSourceParameters).size() == 7 + std::size(cn::plugins::kDatabaseParameters));
  CHECK(declared(kSourceParameters, "tables").type == CN_PARAM_LIST);
  CHECK(declared(kSourceParameters, "schemas").type == CN_PARAM_LIST);
  CHECK(declared(kSourceParameters, "skip_setup").type == CN_PARAM_BOOL);
}

TEST_CASE("a parameter set to its declared default parses as when it is left out") {
  const cn::pgsink::SinkConfig sink = parse_sink_config(config_json(""));
  for (const cn_param &p : params_of(kSinkParameters)) {
    const std::string value = default_as_json(p);
    if (value.empty() || is_database_field(p.name)) continue;
    CAPTURE(p.name);
    const cn::pgsink::SinkConfig given = parse_sink_config(config_json(parameter_json(p.name, value)));
    CHECK(given.create_tables == sink.create_tables);
    CHECK(given.on_error == sink.on_error);
    CHECK(given.offset_table == sink.offset_table);
    CHECK(given.relations_table == sink.relations_table);
    CHECK(given.dead_letter_table == sink.dead_letter_table);
    CHECK(given.max_rows_per_statement == sink.max_rows_per_statement);
  }
  const cn::pgsource::SourceConfig source = parse_source_config(config_json(""));
  for (const cn_param &p : params_of(kSourceParameters)) {
    const std::string value = default_as_json(p);
    if (value.empty() || is_database_field(p.name)) continue;
    CAPTURE(p.name);
    const cn::pgsource::SourceConfig given = parse_source_config(config_json(parameter_json(p.name, value)));
    CHECK(given.tables == source.tables);
    CHECK(given.skip_setup == source.skip_setup);
    CHECK(given.initial_load == source.initial_load);
  }
}

TEST_CASE("values a plugin cannot use are configuration errors, named by parameter") {
  auto error_of = [](auto parse, const std::string &parameters) -> std::string {
    try {
      parse(config_json(parameters));
    } catch (const cn::ConfigError &e) {
      return e.what();
    }
    return "";
  };
  CHECK(error_of(parse_source_config, R"("slot":"My-Slot")") ==
        "parameters.slot: 'My-Slot' is not a valid slot name (lower-case letters, digits and _ only)");
  CHECK(error_of(parse_source_config, R"("tables":["a.b.c"])") ==
        "parameters.tables: 'a.b.c' is not a table name or schema.table");
  CHECK(error_of(parse_source_config, R"("schema":"")") == "parameters.schema: must not be empty");
  CHECK(error_of(parse_sink_config, R"("on_error":"skp")") ==
        "parameters.on_error: must be stop, skip or dead_letter, got 'skp'");
  CHECK(error_of(parse_sink_config, R"("max_rows_per_statement":0)").rfind(
            "parameters.max_rows_per_statement: must be a whole number from 1 to ", 0) == 0);
  CHECK(error_of(parse_sink_config, R"("offset_table":"offsets")") ==
        "parameters.offset_table: must be schema.table, got 'offsets'");
  const std::string bad_url =
      R"({"name":"shop","parameters":{"url":"postgresql://u:p@[127.0.0.1/db"}})";
  for (auto parse : {+[](std::string_view j) { parse_sink_config(j); }, +[](std::string_view j) { parse_source_config(j); }}) {
    try {
      parse(bad_url);
      FAIL("a malformed URL was accepted");
    } catch (const cn::ConfigError &e) {
      CHECK(std::string(e.what()).rfind("parameters.url: not a PostgreSQL URL", 0) == 0);
    }
  }
}

TEST_CASE("postgres-source: a table name without a schema is in parameters.schema, public by default") {
  using cn::plugins::QualifiedName;
  CHECK(parse_source_config(config_json(R"("tables":"orders, sales.items")")).tables ==
        std::vector<QualifiedName>{{"public", "orders"}, {"sales", "items"}});
  CHECK(parse_source_config(config_json(R"("schema":"shop","tables":["orders","Customers"])")).tables ==
        std::vector<QualifiedName>{{"shop", "orders"}, {"shop", "Customers"}});
}

// ---- cn/plugin.hpp ------------------------------------------------------------

namespace {

// A sink whose open() refuses its configuration unless it is "ok", and
// whose consume() throws ConfigError (which is then an ordinary failure).
struct PickySink {
  PickySink(const cn::Host &, std::string_view config) {
    if (config != "ok") throw cn::ConfigError("parameters.mode: must be ok");
  }
  int64_t resume_offset() { return -1; }
  void consume(const cn::RecordBatch &) { throw cn::ConfigError("not at open"); }
  void commit(int64_t) {}
};

const char *const kModes[] = {"ok", "not ok", nullptr};
const cn_param kPickyParameters[] = {
    {"mode", CN_PARAM_ENUM, "whether to open", "ok", 0, 0, 0, kModes},
};

std::string last_error;
// A host of ABI 1.2, without the metric services.
cn_host host_of_1_2() {
  cn_host host{};
  host.struct_size = offsetof(cn_host, metric_register);
  host.abi_version = CN_ABI_VERSION;
  host.log = [](void *, cn_log_level, cn_str) {};
  host.set_error = [](void *, cn_str message) { last_error = cn::view(message); };
  return host;
}
const cn_host kHost = host_of_1_2();

}  // namespace

CN_DEFINE_SINK_PLUGIN_WITH_PARAMETERS(PickySink, "picky-sink", "1.0.0", "refuses its configuration", kPickyParameters)

TEST_CASE("plugin.hpp: the declared parameters in the descriptor; ConfigError from open() is CN_INVALID_CONFIG") {
  const cn_plugin *plugin = cn_plugin_entry_v1(CN_ABI_VERSION);
  REQUIRE(plugin);
  REQUIRE(CN_HAS_FIELD(plugin, cn_plugin, parameters));
  REQUIRE(plugin->parameters);
  CHECK(plugin->parameters->struct_size == sizeof(cn_param_list));
  CHECK(plugin->parameters->count == 1);
  CHECK(std::string(CN_PARAM_AT(plugin->parameters, 0)->name) == "mode");

  void *state = nullptr;
  CHECK(plugin->sink->open(&kHost, nullptr, cn::borrow("bad"), &state) == CN_INVALID_CONFIG);
  CHECK(last_error == "parameters.mode: must be ok");
  REQUIRE(plugin->sink->open(&kHost, nullptr, cn::borrow("ok"), &state) == CN_OK);
  const cn_record_batch batch{sizeof(cn_record_batch), CN_ABI_VERSION, sizeof(cn_record), 0, nullptr};
  CHECK(plugin->sink->consume(state, &batch) == CN_ERROR);
  CHECK(last_error == "not at open");
  plugin->sink->close(state);
}
