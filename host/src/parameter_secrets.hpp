// Which values of connect.yml's parameters: the log must mask, besides the
// values of secrets: (ConnectorConfig::secrets), so that a password written
// inline in parameters: is masked as surely as one given as a secret.
#ifndef CN_HOST_PARAMETER_SECRETS_HPP
#define CN_HOST_PARAMETER_SECRETS_HPP

#include "config.hpp"

#include <cn/loader.hpp>

#include <string>
#include <vector>

namespace cn::host {

struct SensitiveValues {
  // To mask whole (Redactor::add): every value under a parameter the plugin
  // declares secret, and under any key, at any depth, whose name contains
  // "password" (in any case). A number or bool there is masked as its text.
  std::vector<std::string> whole;
  // To mask the passwords written inside (Redactor::add_passwords_in):
  // every string value, at any depth. A URL's password is masked whether
  // or not the plugin knows the URL for a credential.
  std::vector<std::string> with_passwords;
};

// specs: what the plugin declares, or nullptr when it declares nothing.
SensitiveValues sensitive_parameter_values(const ConnectorConfig &config, const std::vector<cn::ParameterSpec> *specs);

}  // namespace cn::host

#endif
