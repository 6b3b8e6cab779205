#include "plugin_path.hpp"

#include <boost/dll/runtime_symbol_info.hpp>

namespace cn::host {

std::filesystem::path default_plugin_dir() {
  std::filesystem::path bin = boost::dll::program_location().parent_path().string();
  return (bin / ".." / "lib" / "connector-host" / "plugins").lexically_normal();
}

std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::string> &flag_dirs,
                                                      const Environment &env) {
  std::vector<std::filesystem::path> dirs(flag_dirs.begin(), flag_dirs.end());
  if (auto path = env("CONNECTOR_PLUGIN_PATH")) {
    std::size_t start = 0;
    for (std::size_t colon; start <= path->size(); start = colon + 1) {
      colon = path->find(':', start);
      if (colon == std::string::npos) colon = path->size();
      if (colon > start) dirs.emplace_back(path->substr(start, colon - start));
    }
  }
  dirs.push_back(default_plugin_dir());
  return dirs;
}

}  // namespace cn::host
