// The loader (cn/loader.hpp), finding plugins in drop-in directories.
#include <cn/loader.hpp>

#include <algorithm>
#include <system_error>

namespace cn {

namespace fs = std::filesystem;

namespace {

bool is_shared_object_name(const fs::path &p) { return p.extension() == ".so"; }

std::vector<fs::path> candidate_files(const fs::path &dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec) && is_shared_object_name(it->path()))
      files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string joined(const std::vector<fs::path> &dirs) {
  std::string s;
  for (const fs::path &d : dirs) s += (s.empty() ? "" : ", ") + d.string();
  return s.empty() ? "(none)" : s;
}

}  // namespace

std::vector<PluginScanEntry> scan_plugin_dir(const fs::path &dir) {
  std::vector<PluginScanEntry> entries;
  for (const fs::path &file : candidate_files(dir)) {
    PluginScanEntry entry{file, nullptr, {}};
    try {
      entry.plugin = Plugin::load(file);
    } catch (const PluginLoadError &e) {
      entry.refusal = e.reason();
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::shared_ptr<const Plugin> find_plugin(const std::string &name_or_path,
                                          const std::vector<fs::path> &dirs) {
  if (name_or_path.find('/') != std::string::npos || fs::path(name_or_path).extension() == ".so")
    return Plugin::load(name_or_path);

  // Directories are searched in order, so an earlier one overrides a later
  // one. In each, NAME.so (the conventional file name) is tried first, so
  // that a directory full of plugins is not all loaded to find one.
  for (const fs::path &dir : dirs) {
    fs::path conventional = dir / (name_or_path + ".so");
    std::error_code ec;
    if (fs::is_regular_file(conventional, ec)) {
      try {
        auto plugin = Plugin::load(conventional);
        if (plugin->name() == name_or_path) return plugin;
      } catch (const PluginLoadError &) {
        // Reported below if nothing else answers to the name.
      }
    }
    for (const PluginScanEntry &entry : scan_plugin_dir(dir))
      if (entry.plugin && entry.plugin->name() == name_or_path) return entry.plugin;
  }

  // A file of that name that was refused explains more than "not found".
  for (const fs::path &dir : dirs) {
    fs::path conventional = dir / (name_or_path + ".so");
    std::error_code ec;
    if (fs::is_regular_file(conventional, ec)) Plugin::load(conventional);
  }
  throw std::runtime_error("no plugin named '" + name_or_path + "' in the plugin directories: " +
                           joined(dirs) + " (see --list-plugins)");
}

}  // namespace cn
