#include "parameter_secrets.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>

namespace cn::host {

namespace {

bool names_a_password(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name.find("password") != std::string::npos;
}

bool declared_secret(const std::vector<cn::ParameterSpec> *specs, const std::string &name) {
  return specs && std::any_of(specs->begin(), specs->end(),
                              [&](const cn::ParameterSpec &s) { return s.secret && s.name == name; });
}

std::string json_text(const rapidjson::Value &value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return buffer.GetString();
}

// path: the parameter's name as the plugin declares it ("map.key" inside a map).
void collect(const rapidjson::Value &value, bool secret, const std::string &path,
             const std::vector<cn::ParameterSpec> *specs, SensitiveValues &out) {
  if (value.IsObject()) {
    for (const auto &member : value.GetObject()) {
      const std::string name(member.name.GetString(), member.name.GetStringLength());
      const std::string inner = path + "." + name;
      collect(member.value, secret || names_a_password(name) || declared_secret(specs, inner), inner, specs, out);
    }
  } else if (value.IsArray()) {
    for (const auto &item : value.GetArray()) collect(item, secret, path, specs, out);
  } else if (value.IsString()) {
    std::string text(value.GetString(), value.GetStringLength());
    if (secret) out.whole.push_back(text);
    out.with_passwords.push_back(std::move(text));
  } else if (secret && !value.IsNull()) {
    out.whole.push_back(json_text(value));
  }
}

}  // namespace

SensitiveValues sensitive_parameter_values(const ConnectorConfig &config, const std::vector<cn::ParameterSpec> *specs) {
  SensitiveValues out;
  rapidjson::Document parameters;
  parameters.Parse(config.parameters_json.c_str(), config.parameters_json.size());
  if (!parameters.IsObject()) return out;  // the parser writes an object; nothing else to look at
  for (const auto &member : parameters.GetObject()) {
    std::string name(member.name.GetString(), member.name.GetStringLength());
    collect(member.value, declared_secret(specs, name) || names_a_password(name), name, specs, out);
  }
  return out;
}

}  // namespace cn::host
