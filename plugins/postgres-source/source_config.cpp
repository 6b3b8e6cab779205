#include "source_config.hpp"

#include <plugin_config.hpp>

#include <cctype>
#include <stdexcept>

namespace cn::pgsource {

namespace {

using plugins::PluginConfig;

// A list given as a YAML sequence or as one comma-separated string.
std::vector<std::string> list_parameter(const PluginConfig &config, const char *name) {
  std::vector<std::string> items;
  const rapidjson::Value *v = config.parameter(name);
  if (!v) return items;
  auto add = [&](std::string item) {
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.pop_back();
    std::size_t start = 0;
    while (start < item.size() && std::isspace(static_cast<unsigned char>(item[start]))) ++start;
    if (start < item.size()) items.push_back(item.substr(start));
  };
  if (v->IsArray()) {
    for (const auto &item : v->GetArray()) {
      if (!item.IsString()) PluginConfig::bad(name, "must be a list of names");
      add(item.GetString());
    }
  } else if (v->IsString()) {
    std::string text = v->GetString();
    for (std::size_t at = 0; at <= text.size();) {
      std::size_t comma = text.find(',', at);
      if (comma == std::string::npos) comma = text.size();
      add(text.substr(at, comma - at));
      at = comma + 1;
    }
  } else {
    PluginConfig::bad(name, "must be a list of names");
  }
  return items;
}

// A replication slot name allows only lower-case letters, digits and '_'.
std::string identifier_from(const std::string &name) {
  std::string id;
  for (char c : name) id += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  return id;
}

}  // namespace

SourceConfig parse_source_config(std::string_view config_json) {
  const PluginConfig config(config_json);
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
  for (const std::string &t : list_parameter(config, "tables")) {
    const std::optional<plugins::QualifiedName> table = plugins::parse_qualified_name(t);
    if (!table) PluginConfig::bad("tables", "'" + t + "' is not schema.table");
    c.tables.push_back(*table);
  }
  c.schemas = list_parameter(config, "schemas");
  return c;
}

}  // namespace cn::pgsource
