// Where connector-host looks for plugins.
#ifndef CN_HOST_PLUGIN_PATH_HPP
#define CN_HOST_PLUGIN_PATH_HPP

#include "config.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace cn::host {

// The plugin directories, in search order: each --plugin-dir, then each
// entry of CONNECTOR_PLUGIN_PATH (':'-separated), then the default
// directory beside the installed binary, <bindir>/../lib/connector-host/plugins.
std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::string> &flag_dirs,
                                                      const Environment &env);

// <bindir>/../lib/connector-host/plugins for this executable.
std::filesystem::path default_plugin_dir();

}  // namespace cn::host

#endif
