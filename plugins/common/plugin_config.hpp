// What the host hands a plugin's open() as configuration: the connector's
// connect.yml as JSON ({name, type, topic, parameters, secrets}), read the
// same way by every plugin here.
//
// A plugin reads only the parameters it declares (the cn_param_list of its
// descriptor, which the host checks connect.yml against), each as the type
// it declares: reading any other is a programming error (std::logic_error),
// so that the declaration and the parsing cannot drift apart unnoticed. A
// dotted name, "ssh_tunnel.host", is the key host in the map ssh_tunnel. A
// value the plugin cannot use is a configuration error (cn::ConfigError:
// open() returns CN_INVALID_CONFIG, the host exits 2).
#ifndef CN_PLUGINS_PLUGIN_CONFIG_HPP
#define CN_PLUGINS_PLUGIN_CONFIG_HPP

#include <cn/plugin.hpp>
#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cn::plugins {

class PluginConfig {
 public:
  // declared: the plugin's parameters, in static storage. Throws
  // cn::ConfigError if the JSON is not an object, parameters is not a map,
  // or the connector has no name.
  PluginConfig(std::string_view json, const cn_param_list &declared);

  const std::string &name() const { return name_; }

  // Each reader returns the parameter's value, or fallback when it is absent
  // or null, and throws cn::ConfigError ("parameters.NAME: ...") for a value
  // of another type, out of range or not one of the choices. It throws
  // std::logic_error if the plugin does not declare NAME as that type.
  std::string string_parameter(const char *name, std::string fallback) const;  // CN_PARAM_STRING
  bool bool_parameter(const char *name, bool fallback) const;  // CN_PARAM_BOOL; "true"/"false" too
  int64_t integer_parameter(const char *name, int64_t fallback) const;  // CN_PARAM_INTEGER, within [min, max]
  std::string enum_parameter(const char *name, std::string fallback) const;  // CN_PARAM_ENUM, one of choices
  // CN_PARAM_LIST: a YAML list or one comma-separated string; items trimmed,
  // empty ones dropped; empty when absent.
  std::vector<std::string> list_parameter(const char *name) const;

  // The value of the secret NAME (connect.yml's secrets:, or the host's
  // well-known ones from the environment); "" when there is none.
  std::string secret(const char *name) const;

  // Throws cn::ConfigError "parameters.NAME: WHY".
  [[noreturn]] static void bad(const std::string &parameter, const std::string &why);

 private:
  struct Read {
    const cn_param &declared;
    const rapidjson::Value *value;  // nullptr when absent or null
  };
  // NAME's declaration and value; throws std::logic_error unless NAME is
  // declared as type.
  Read read(const char *name, cn_param_type type) const;

  rapidjson::Document doc_;
  const rapidjson::Value *parameters_ = nullptr;
  const cn_param_list &declared_;
  std::string name_;
};

}  // namespace cn::plugins

#endif
