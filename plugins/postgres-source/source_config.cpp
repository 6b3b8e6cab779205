#include "source_config.hpp"

#include <database_settings.hpp>
#include <plugin_config.hpp>

#include <cctype>

namespace cn::pgsource {

namespace {

using plugins::PluginConfig;

// Every parameter parse_source_config reads, as the host checks connect.yml
// against it (README.md's table says the same to people): the source's own,
// then where the source is (plugins::kDatabaseParameters).
// name, type, description, default_text, secret, min, max, choices
constexpr cn_param kOwnParameters[] = {
    {"publication", CN_PARAM_STRING, "the publication to stream; created if missing (unless skip_setup)",
     "the connector's name, lower-cased, _ for other characters", 0, 0, 0, nullptr},
    {"slot", CN_PARAM_STRING, "the logical replication slot (a-z, 0-9, _); created if missing (unless skip_setup)",
     "the connector's name, lower-cased, _ for other characters", 0, 0, 0, nullptr},
    {"tables", CN_PARAM_LIST, "tables a created publication is FOR: schema.table, or table in parameters.schema",
     "all tables", 0, 0, 0, nullptr},
    {"schema", CN_PARAM_STRING, "the schema of the names in tables that do not give one", "public", 0, 0, 0,
     nullptr},
    {"schemas", CN_PARAM_LIST, "whole schemas a created publication is FOR TABLES IN SCHEMA", "all schemas", 0, 0,
     0, nullptr},
    {"skip_setup", CN_PARAM_BOOL, "create neither the slot nor the publication: they must exist", "false", 0, 0, 0,
     nullptr},
    {"initial_load", CN_PARAM_BOOL, "on a first start, emit the published tables' rows before streaming", "true", 0,
     0, 0, nullptr},
};
constexpr auto kParameters = plugins::with_database_parameters(kOwnParameters);

// The connector's name as a slot name: lower-case letters, digits and '_'.
std::string identifier_from(const std::string &name) {
  std::string id;
  for (char c : name) id += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  return id;
}

}  // namespace

const cn_param_list kSourceParameters = plugins::parameter_list(kParameters);

SourceConfig parse_source_config(std::string_view config_json) {
  const PluginConfig config(config_json, kSourceParameters);
  SourceConfig c;
  c.connector = config.name();
  c.database = plugins::read_database_settings(config, "source");
  c.publication = config.string_parameter("publication", identifier_from(c.connector));
  c.slot = config.string_parameter("slot", identifier_from(c.connector));
  for (char ch : c.slot)
    if (!(std::islower(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch)) || ch == '_'))
      PluginConfig::bad("slot", "'" + c.slot + "' is not a valid slot name (lower-case letters, digits and _ only)");
  if (c.publication.empty()) PluginConfig::bad("publication", "must not be empty");
  c.skip_setup = config.bool_parameter("skip_setup", c.skip_setup);
  c.initial_load = config.bool_parameter("initial_load", c.initial_load);
  const std::string schema = config.string_parameter("schema", "public");
  if (schema.empty()) PluginConfig::bad("schema", "must not be empty");
  for (const std::string &t : config.list_parameter("tables")) {
    std::optional<plugins::QualifiedName> table = plugins::parse_qualified_name(t);
    if (!table && !t.empty() && t.find('.') == std::string::npos) table = plugins::QualifiedName{schema, t};
    if (!table) PluginConfig::bad("tables", "'" + t + "' is not a table name or schema.table");
    c.tables.push_back(*table);
  }
  c.schemas = config.list_parameter("schemas");
  return c;
}

}  // namespace cn::pgsource
