#include "source_config.hpp"

#include <rapidjson/document.h>

#include <cctype>
#include <stdexcept>

namespace pgsource {

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

bool bool_parameter(const rapidjson::Value &parameters, const char *name, bool fallback) {
  const rapidjson::Value *v = member(parameters, name);
  if (!v) return fallback;
  if (v->IsBool()) return v->GetBool();
  // The host passes YAML scalars through; "true"/"false" strings too.
  if (v->IsString() && (std::string(v->GetString()) == "true" || std::string(v->GetString()) == "false"))
    return std::string(v->GetString()) == "true";
  bad(name, "must be true or false");
}

// A list given as a YAML sequence or as one comma-separated string.
std::vector<std::string> list_parameter(const rapidjson::Value &parameters, const char *name) {
  std::vector<std::string> items;
  const rapidjson::Value *v = member(parameters, name);
  if (!v) return items;
  auto add = [&](std::string item) {
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.pop_back();
    std::size_t start = 0;
    while (start < item.size() && std::isspace(static_cast<unsigned char>(item[start]))) ++start;
    if (start < item.size()) items.push_back(item.substr(start));
  };
  if (v->IsArray()) {
    for (const auto &item : v->GetArray()) {
      if (!item.IsString()) bad(name, "must be a list of names");
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
    bad(name, "must be a list of names");
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
  rapidjson::Document doc;
  doc.Parse(config_json.data(), config_json.size());
  if (doc.HasParseError() || !doc.IsObject()) throw std::runtime_error("the connector configuration is not a JSON object");
  static const rapidjson::Value kEmpty(rapidjson::kObjectType);
  const rapidjson::Value *parameters = member(doc, "parameters");
  const rapidjson::Value &p = parameters ? *parameters : kEmpty;
  if (!p.IsObject()) throw std::runtime_error("parameters must be a map");

  SourceConfig c;
  const rapidjson::Value *name = member(doc, "name");
  c.connector = name && name->IsString() ? name->GetString() : "";
  if (c.connector.empty()) throw std::runtime_error("the connector has no name (name: in connect.yml)");

  c.url = string_parameter(p, "url", "");
  if (c.url.empty())
    if (const rapidjson::Value *secrets = member(doc, "secrets"))
      if (const rapidjson::Value *url = member(*secrets, "FLUVIO_PG_DATABASE_URL"); url && url->IsString())
        c.url = url->GetString();
  if (c.url.empty())
    bad("url", "no source database: set parameters.url or the secret FLUVIO_PG_DATABASE_URL");

  c.publication = string_parameter(p, "publication", identifier_from(c.connector));
  c.slot = string_parameter(p, "slot", identifier_from(c.connector));
  for (char ch : c.slot)
    if (!(std::islower(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch)) || ch == '_'))
      bad("slot", "'" + c.slot + "' is not a valid slot name (lower-case letters, digits and _ only)");
  if (c.publication.empty()) bad("publication", "must not be empty");
  c.skip_setup = bool_parameter(p, "skip_setup", false);
  c.initial_load = bool_parameter(p, "initial_load", true);
  c.tables = list_parameter(p, "tables");
  c.schemas = list_parameter(p, "schemas");
  for (const std::string &t : c.tables) {
    std::size_t dot = t.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == t.size())
      bad("tables", "'" + t + "' is not schema.table");
  }
  return c;
}

}  // namespace pgsource
