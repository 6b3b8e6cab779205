#include "sink_config.hpp"

#include <database_settings.hpp>
#include <plugin_config.hpp>

namespace cn::pgsink {

namespace {

using plugins::PluginConfig;

// In the order of enum OnError.
const char *const kOnErrorChoices[] = {"stop", "skip", "dead_letter", nullptr};

// Every parameter parse_sink_config reads, as the host checks connect.yml
// against it (README.md's table says the same to people): the sink's own,
// then where the target is (plugins::kDatabaseParameters).
// name, type, description, default_text, secret, min, max, choices
constexpr cn_param kOwnParameters[] = {
    {"create_tables", CN_PARAM_BOOL, "create and evolve target tables from relation events", "true", 0, 0, 0,
     nullptr},
    {"on_error", CN_PARAM_ENUM, "a record the target refuses: stop the connector, skip it, or dead-letter it",
     "stop", 0, 0, 0, kOnErrorChoices},
    {"offset_table", CN_PARAM_STRING, "schema.table of the connectors' applied offsets", "fluvio.offset", 0, 0, 0,
     nullptr},
    {"relations_table", CN_PARAM_STRING, "schema.table of the relation and type events kept per connector",
     "fluvio.relations", 0, 0, 0, nullptr},
    {"dead_letter_table", CN_PARAM_STRING, "schema.table of records refused under on_error: dead_letter",
     "fluvio.dead_letter", 0, 0, 0, nullptr},
    {"max_rows_per_statement", CN_PARAM_INTEGER, "the most rows one UPDATE or DELETE statement carries", "2000", 0,
     1, 1000000, nullptr},
};
constexpr auto kParameters = plugins::with_database_parameters(kOwnParameters);

QualifiedName table_parameter(const PluginConfig &config, const char *name, const QualifiedName &fallback) {
  std::string text = config.string_parameter(name, "");
  if (text.empty()) return fallback;
  const std::optional<QualifiedName> table = plugins::parse_qualified_name(text);
  if (!table) PluginConfig::bad(name, "must be schema.table, got '" + text + "'");
  return *table;
}

// name is one of kOnErrorChoices (enum_parameter allows no other).
OnError on_error_named(const std::string &name) {
  int i = 0;
  while (kOnErrorChoices[i] && name != kOnErrorChoices[i]) ++i;
  return static_cast<OnError>(i);
}

}  // namespace

const cn_param_list kSinkParameters = plugins::parameter_list(kParameters);

SinkConfig parse_sink_config(std::string_view config_json) {
  const PluginConfig config(config_json, kSinkParameters);
  SinkConfig c;
  c.connector = config.name();
  c.database = plugins::read_database_settings(config, "target");
  c.create_tables = config.bool_parameter("create_tables", c.create_tables);
  c.on_error = on_error_named(config.enum_parameter("on_error", "stop"));
  c.offset_table = table_parameter(config, "offset_table", c.offset_table);
  c.relations_table = table_parameter(config, "relations_table", c.relations_table);
  c.dead_letter_table = table_parameter(config, "dead_letter_table", c.dead_letter_table);
  c.max_rows_per_statement = static_cast<std::size_t>(
      config.integer_parameter("max_rows_per_statement", static_cast<int64_t>(c.max_rows_per_statement)));
  return c;
}

}  // namespace cn::pgsink
