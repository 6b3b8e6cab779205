#include "sink_config.hpp"

#include <plugin_config.hpp>

#include <stdexcept>

namespace cn::pgsink {

namespace {

using plugins::PluginConfig;

QualifiedName table_parameter(const PluginConfig &config, const char *name, const QualifiedName &fallback) {
  std::string text = config.string_parameter(name, "");
  if (text.empty()) return fallback;
  const std::optional<QualifiedName> table = plugins::parse_qualified_name(text);
  if (!table) PluginConfig::bad(name, "must be schema.table, got '" + text + "'");
  return *table;
}

}  // namespace

SinkConfig parse_sink_config(std::string_view config_json) {
  const PluginConfig config(config_json);
  SinkConfig c;
  c.connector = config.name();
  c.url = config.database_url("target");
  c.create_tables = config.bool_parameter("create_tables", c.create_tables);
  std::string on_error = config.string_parameter("on_error", "stop");
  if (on_error == "stop") c.on_error = OnError::stop;
  else if (on_error == "skip") c.on_error = OnError::skip;
  else if (on_error == "dead_letter") c.on_error = OnError::dead_letter;
  else PluginConfig::bad("on_error", "must be stop, skip or dead_letter, got '" + on_error + "'");

  c.offset_table = table_parameter(config, "offset_table", c.offset_table);
  c.relations_table = table_parameter(config, "relations_table", c.relations_table);
  c.dead_letter_table = table_parameter(config, "dead_letter_table", c.dead_letter_table);
  if (const rapidjson::Value *v = config.parameter("max_rows_per_statement")) {
    if (!v->IsUint64() || v->GetUint64() == 0) PluginConfig::bad("max_rows_per_statement", "must be a whole number > 0");
    c.max_rows_per_statement = static_cast<std::size_t>(v->GetUint64());
  }
  return c;
}

}  // namespace cn::pgsink
