#include "sink_config.hpp"

#include <rapidjson/document.h>

#include <stdexcept>

namespace pgsink {

namespace {

[[noreturn]] void bad(const std::string &parameter, const std::string &why) {
  throw std::runtime_error("parameters." + parameter + ": " + why);
}

const rapidjson::Value *member(const rapidjson::Value &object, const char *name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it == object.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

std::string string_parameter(const rapidjson::Value &parameters, const char *name, std::string fallback) {
  const rapidjson::Value *v = member(parameters, name);
  if (!v) return fallback;
  if (!v->IsString()) bad(name, "must be a string");
  return std::string(v->GetString(), v->GetStringLength());
}

TableName table_parameter(const rapidjson::Value &parameters, const char *name, const TableName &fallback) {
  std::string text = string_parameter(parameters, name, "");
  if (text.empty()) return fallback;
  std::size_t dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == text.size() || text.find('.', dot + 1) != std::string::npos)
    bad(name, "must be schema.table, got '" + text + "'");
  return TableName{text.substr(0, dot), text.substr(dot + 1)};
}

}  // namespace

SinkConfig parse_sink_config(std::string_view config_json) {
  rapidjson::Document doc;
  doc.Parse(config_json.data(), config_json.size());
  if (doc.HasParseError() || !doc.IsObject()) throw std::runtime_error("the connector configuration is not a JSON object");
  static const rapidjson::Value kEmpty(rapidjson::kObjectType);
  const rapidjson::Value *parameters = member(doc, "parameters");
  const rapidjson::Value &p = parameters ? *parameters : kEmpty;
  if (!p.IsObject()) throw std::runtime_error("parameters must be a map");

  SinkConfig c;
  const rapidjson::Value *name = member(doc, "name");
  c.connector = name && name->IsString() ? name->GetString() : "";
  if (c.connector.empty()) throw std::runtime_error("the connector has no name (name: in connect.yml)");

  c.url = string_parameter(p, "url", "");
  if (c.url.empty())
    if (const rapidjson::Value *secrets = member(doc, "secrets"))
      if (const rapidjson::Value *url = member(*secrets, "FLUVIO_PG_DATABASE_URL"); url && url->IsString())
        c.url = url->GetString();
  if (c.url.empty())
    bad("url", "no target database: set parameters.url or the secret FLUVIO_PG_DATABASE_URL");

  if (const rapidjson::Value *v = member(p, "create_tables")) {
    if (!v->IsBool()) bad("create_tables", "must be true or false");
    c.create_tables = v->GetBool();
  }
  std::string on_error = string_parameter(p, "on_error", "stop");
  if (on_error == "stop") c.on_error = OnError::stop;
  else if (on_error == "skip") c.on_error = OnError::skip;
  else if (on_error == "dead_letter") c.on_error = OnError::dead_letter;
  else bad("on_error", "must be stop, skip or dead_letter, got '" + on_error + "'");

  c.offset_table = table_parameter(p, "offset_table", c.offset_table);
  c.relations_table = table_parameter(p, "relations_table", c.relations_table);
  c.dead_letter_table = table_parameter(p, "dead_letter_table", c.dead_letter_table);
  if (const rapidjson::Value *v = member(p, "max_rows_per_statement")) {
    if (!v->IsUint64() || v->GetUint64() == 0) bad("max_rows_per_statement", "must be a whole number > 0");
    c.max_rows_per_statement = static_cast<std::size_t>(v->GetUint64());
  }
  return c;
}

}  // namespace pgsink
