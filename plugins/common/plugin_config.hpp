// What the host hands a plugin's open() as configuration: the connector's
// connect.yml as JSON ({name, type, topic, parameters, secrets}), read the
// same way by every plugin here.
#ifndef CN_PLUGINS_PLUGIN_CONFIG_HPP
#define CN_PLUGINS_PLUGIN_CONFIG_HPP

#include <rapidjson/document.h>

#include <string>
#include <string_view>

namespace cn::plugins {

class PluginConfig {
 public:
  // Throws std::runtime_error if the JSON is not an object, parameters is
  // not a map, or the connector has no name.
  explicit PluginConfig(std::string_view json);

  const std::string &name() const { return name_; }

  // A parameter, or nullptr when it is absent or null.
  const rapidjson::Value *parameter(const char *name) const;
  // A string parameter; throws if it is there but not a string.
  std::string string_parameter(const char *name, std::string fallback) const;
  // A true/false parameter (a quoted "true"/"false" too); throws otherwise.
  bool bool_parameter(const char *name, bool fallback) const;
  // parameters.url, else the secret FLUVIO_PG_DATABASE_URL; throws saying
  // so when neither is there. what: "source" or "target", for the message.
  std::string database_url(const char *what) const;

  // Throws std::runtime_error "parameters.NAME: WHY".
  [[noreturn]] static void bad(const std::string &parameter, const std::string &why);

 private:
  rapidjson::Document doc_;
  const rapidjson::Value *parameters_ = nullptr;
  std::string name_;
};

}  // namespace cn::plugins

#endif
