#include "plugin_config.hpp"

#include <stdexcept>

namespace cn::plugins {

namespace {

const rapidjson::Value *member(const rapidjson::Value &object, const char *name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it == object.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

}  // namespace

PluginConfig::PluginConfig(std::string_view json) {
  doc_.Parse(json.data(), json.size());
  if (doc_.HasParseError() || !doc_.IsObject()) throw std::runtime_error("the connector configuration is not a JSON object");
  parameters_ = member(doc_, "parameters");
  if (parameters_ && !parameters_->IsObject()) throw std::runtime_error("parameters must be a map");
  const rapidjson::Value *name = member(doc_, "name");
  name_ = name && name->IsString() ? name->GetString() : "";
  if (name_.empty()) throw std::runtime_error("the connector has no name (name: in connect.yml)");
}

void PluginConfig::bad(const std::string &parameter, const std::string &why) {
  throw std::runtime_error("parameters." + parameter + ": " + why);
}

const rapidjson::Value *PluginConfig::parameter(const char *name) const {
  return parameters_ ? member(*parameters_, name) : nullptr;
}

std::string PluginConfig::string_parameter(const char *name, std::string fallback) const {
  const rapidjson::Value *v = parameter(name);
  if (!v) return fallback;
  if (!v->IsString()) bad(name, "must be a string");
  return std::string(v->GetString(), v->GetStringLength());
}

bool PluginConfig::bool_parameter(const char *name, bool fallback) const {
  const rapidjson::Value *v = parameter(name);
  if (!v) return fallback;
  if (v->IsBool()) return v->GetBool();
  if (v->IsString() && (std::string(v->GetString()) == "true" || std::string(v->GetString()) == "false"))
    return std::string(v->GetString()) == "true";
  bad(name, "must be true or false");
}

std::string PluginConfig::database_url(const char *what) const {
  std::string url = string_parameter("url", "");
  if (url.empty())
    if (const rapidjson::Value *secrets = member(doc_, "secrets"))
      if (const rapidjson::Value *secret = member(*secrets, "FLUVIO_PG_DATABASE_URL"); secret && secret->IsString())
        url = secret->GetString();
  if (url.empty())
    bad("url", std::string("no ") + what + " database: set parameters.url or the secret FLUVIO_PG_DATABASE_URL");
  return url;
}

}  // namespace cn::plugins
