// Checking connect.yml's parameters: against the parameters a plugin
// declares (cn_plugin.parameters, ABI 1.2) before open(). A misspelled key
// would otherwise be ignored and its default silently used, and a value of
// the wrong type found (if at all) deep inside the plugin; here both are
// configuration errors (exit 2) that name the file, the line and the key.
#ifndef CN_HOST_PARAMETER_CHECK_HPP
#define CN_HOST_PARAMETER_CHECK_HPP

#include "config.hpp"

#include <cn/loader.hpp>

#include <string>
#include <vector>

namespace cn::host {

// What is wrong with config's parameters (parameters_json, secrets already
// substituted) against specs, one message per key, in the order of the
// keys: "FILE:LINE:COL: parameters.KEY: WHY". Empty when nothing is. plugin
// is the plugin's name, for the messages. A key that is not declared names
// the closest declared one when it looks like a typo of it; a value of the
// wrong type, out of range or not among the choices says what is allowed.
// A null value (`key:` alone, `~`) counts as not given. The value of a
// parameter declared secret is never quoted.
std::vector<std::string> parameter_problems(const ConnectorConfig &config, const std::vector<cn::ParameterSpec> &specs,
                                            const std::string &plugin);

// An integer parameter's range as messages give it: "1..100", "at least
// 1", "at most 9", or "" when any 64-bit integer will do.
std::string range_text(const cn::ParameterSpec &spec);

}  // namespace cn::host

#endif
