#include "plugin_config.hpp"

#include <cstring>
#include <sstream>
#include <stdexcept>

namespace cn::plugins {

namespace {

const rapidjson::Value *member(const rapidjson::Value &object, const char *name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it == object.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

std::string trimmed(const std::string &text) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

std::string string_of(const rapidjson::Value &v) { return std::string(v.GetString(), v.GetStringLength()); }

}  // namespace

PluginConfig::PluginConfig(std::string_view json, const cn_param_list &declared) : declared_(declared) {
  doc_.Parse(json.data(), json.size());
  if (doc_.HasParseError() || !doc_.IsObject()) throw cn::ConfigError("the connector configuration is not a JSON object");
  parameters_ = member(doc_, "parameters");
  if (parameters_ && !parameters_->IsObject()) throw cn::ConfigError("parameters must be a map");
  const rapidjson::Value *name = member(doc_, "name");
  name_ = name && name->IsString() ? name->GetString() : "";
  if (name_.empty()) throw cn::ConfigError("the connector has no name (name: in connect.yml)");
}

void PluginConfig::bad(const std::string &parameter, const std::string &why) {
  throw cn::ConfigError("parameters." + parameter + ": " + why);
}

PluginConfig::Read PluginConfig::read(const char *name, cn_param_type type) const {
  for (std::size_t i = 0; i < declared_.count; ++i) {
    const cn_param &p = *CN_PARAM_AT(&declared_, i);
    if (std::strcmp(p.name, name) != 0) continue;
    if (p.type != type) throw std::logic_error(std::string("parameter '") + name + "' is read as another type than declared");
    // "map.key": the host checked that map is a map.
    const rapidjson::Value *value = parameters_;
    for (std::string_view rest = name; value && !rest.empty();) {
      const std::size_t dot = rest.find('.');
      value = member(*value, std::string(rest.substr(0, dot)).c_str());
      rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    }
    return {p, value};
  }
  throw std::logic_error(std::string("parameter '") + name + "' is read but not declared");
}

std::string PluginConfig::string_parameter(const char *name, std::string fallback) const {
  const rapidjson::Value *v = read(name, CN_PARAM_STRING).value;
  if (!v) return fallback;
  if (!v->IsString()) bad(name, "must be a string (quote it)");
  return string_of(*v);
}

bool PluginConfig::bool_parameter(const char *name, bool fallback) const {
  const rapidjson::Value *v = read(name, CN_PARAM_BOOL).value;
  if (!v) return fallback;
  if (v->IsBool()) return v->GetBool();
  if (v->IsString() && (string_of(*v) == "true" || string_of(*v) == "false")) return string_of(*v) == "true";
  bad(name, "must be true or false");
}

int64_t PluginConfig::integer_parameter(const char *name, int64_t fallback) const {
  const Read r = read(name, CN_PARAM_INTEGER);
  if (!r.value) return fallback;
  if (!r.value->IsInt64() || r.value->GetInt64() < r.declared.min || r.value->GetInt64() > r.declared.max)
    bad(name, "must be a whole number from " + std::to_string(r.declared.min) + " to " +
                  std::to_string(r.declared.max));
  return r.value->GetInt64();
}

std::string PluginConfig::enum_parameter(const char *name, std::string fallback) const {
  const Read r = read(name, CN_PARAM_ENUM);
  if (!r.value) return fallback;
  const std::string given = r.value->IsString() ? string_of(*r.value) : "";
  std::string choices;
  for (const char *const *c = r.declared.choices; *c; ++c) {
    if (r.value->IsString() && given == *c) return given;
    choices += (choices.empty() ? "" : c[1] ? ", " : " or ") + std::string(*c);
  }
  bad(name, "must be " + choices + (r.value->IsString() ? ", got '" + given + "'" : ""));
}

std::vector<std::string> PluginConfig::list_parameter(const char *name) const {
  const rapidjson::Value *v = read(name, CN_PARAM_LIST).value;
  std::vector<std::string> items;
  auto add = [&](const std::string &item) {
    if (!trimmed(item).empty()) items.push_back(trimmed(item));
  };
  if (!v) return items;
  if (v->IsArray()) {
    for (const auto &item : v->GetArray()) {
      if (!item.IsString()) bad(name, "must be a list of names");
      add(string_of(item));
    }
  } else if (v->IsString()) {
    std::istringstream text(string_of(*v));
    for (std::string item; std::getline(text, item, ',');) add(item);
  } else {
    bad(name, "must be a list of names");
  }
  return items;
}

std::string PluginConfig::secret(const char *name) const {
  if (const rapidjson::Value *secrets = member(doc_, "secrets"))
    if (const rapidjson::Value *value = member(*secrets, name); value && value->IsString()) return string_of(*value);
  return "";
}

}  // namespace cn::plugins
