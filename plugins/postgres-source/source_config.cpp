#include "source_config.hpp"

#include <plugin_config.hpp>

#include <cctype>

namespace cn::pgsource {

namespace {

using plugins::PluginConfig;

// Every parameter parse_source_config reads, as the host checks connect.yml
// against it (README.md's table says the same to people).
// name, type, description, default_text, secret, min, max, choices
const cn_param kParameters[] = {
    {"url", CN_PARAM_STRING, "libpq URL or key=value string of the source database",
     "the secret FLUVIO_PG_DATABASE_URL", 1, 0, 0, nullptr},
    {"publication", CN_PARAM_STRING, "the publication to stream; created if missing (unless skip_setup)",
     "the connector's name, lower-cased, _ for other characters", 0, 0, 0, nullptr},
    {"slot", CN_PARAM_STRING, "the logical replication slot (a-z, 0-9, _); created if missing (unless skip_setup)",
     "the connector's name, lower-cased, _ for other characters", 0, 0, 0, nullptr},
    {"tables", CN_PARAM_LIST, "schema.table names a created publication is FOR", "all tables", 0, 0, 0, nullptr},
    {"schemas", CN_PARAM_LIST, "whole schemas a created publication is FOR TABLES IN SCHEMA", "all schemas", 0, 0,
     0, nullptr},
    {"skip_setup", CN_PARAM_BOOL, "create neither the slot nor the publication: they must exist", "false", 0, 0, 0,
     nullptr},
    {"initial_load", CN_PARAM_BOOL, "on a first start, emit the published tables' rows before streaming", "true", 0,
     0, 0, nullptr},
};

// The connector's name as a slot name: lower-case letters, digits and '_'.
std::string identifier_from(const std::string &name) {
  std::string id;
  for (char c : name) id += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  return id;
}

}  // namespace

const cn_param_list kSourceParameters = cn::parameter_list(kParameters);

SourceConfig parse_source_config(std::string_view config_json) {
  const PluginConfig config(config_json, kSourceParameters);
  SourceConfig c;
  c.connector = config.name();
  c.url = config.database_url("source");
  c.publication = config.string_parameter("publication", identifier_from(c.connector));
  c.slot = config.string_parameter("slot", identifier_from(c.connector));
  for (char ch : c.slot)
    if (!(std::islower(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch)) || ch == '_'))
      PluginConfig::bad("slot", "'" + c.slot + "' is not a valid slot name (lower-case letters, digits and _ only)");
  if (c.publication.empty()) PluginConfig::bad("publication", "must not be empty");
  c.skip_setup = config.bool_parameter("skip_setup", c.skip_setup);
  c.initial_load = config.bool_parameter("initial_load", c.initial_load);
  for (const std::string &t : config.list_parameter("tables")) {
    const std::optional<plugins::QualifiedName> table = plugins::parse_qualified_name(t);
    if (!table) PluginConfig::bad("tables", "'" + t + "' is not schema.table");
    c.tables.push_back(*table);
  }
  c.schemas = config.list_parameter("schemas");
  return c;
}

}  // namespace cn::pgsource
