// The loader (cn/loader.hpp), loading one plugin file: Plugin::load checks
// the descriptor and its table before anything else touches them.
#include <cn/loader.hpp>

#include "loader_parameters.hpp"

#include <boost/dll/shared_library.hpp>
#include <dlfcn.h>

#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

namespace cn {

namespace {

// The growth rule of plugin.h, as the loader applies it to a plugin's
// tables. A table must hold every field of 1.0: it must reach the end of
// its last one (kFirstPublished). A field appended since is copied only
// where CN_HAS_FIELD finds it in the plugin's table (copy_appended), and is
// otherwise left zero, which the rest of the loader reads as absent.
// Appending a field to plugin.h means one more line in copy_appended.
template <class Table>
struct Growth;

template <>
struct Growth<cn_plugin> {
  static constexpr std::size_t kFirstPublished = offsetof(cn_plugin, source) + sizeof(cn_plugin::source);
  static void copy_appended(const cn_plugin &theirs, cn_plugin &ours) {
    if (CN_HAS_FIELD(&theirs, cn_plugin, parameters)) ours.parameters = theirs.parameters;  // since 1.2
    if (CN_HAS_FIELD(&theirs, cn_plugin, check)) ours.check = theirs.check;                 // since 1.2
    if (CN_HAS_FIELD(&theirs, cn_plugin, teardown)) ours.teardown = theirs.teardown;        // since 1.2
  }
};

// Published in 1.2, whole.
template <>
struct Growth<cn_param_list> {
  static constexpr std::size_t kFirstPublished =
      offsetof(cn_param_list, params) + sizeof(cn_param_list::params);
  static void copy_appended(const cn_param_list &, cn_param_list &) {}
};

template <>
struct Growth<cn_sink_plugin> {
  static constexpr std::size_t kFirstPublished =
      offsetof(cn_sink_plugin, close) + sizeof(cn_sink_plugin::close);
  static void copy_appended(const cn_sink_plugin &, cn_sink_plugin &) {}
};

template <>
struct Growth<cn_source_plugin> {
  static constexpr std::size_t kFirstPublished =
      offsetof(cn_source_plugin, close) + sizeof(cn_source_plugin::close);
  static void copy_appended(const cn_source_plugin &theirs, cn_source_plugin &ours) {
    if (CN_HAS_FIELD(&theirs, cn_source_plugin, resume)) ours.resume = theirs.resume;  // since 1.1
  }
};

// A plugin of another major exports another entry symbol: "cn_plugin_entry_v"
// and its major (plugin.h). Looking for those explains a refusal.
constexpr std::string_view kEntryPrefix = "cn_plugin_entry_v";

constexpr unsigned major_of(std::string_view entry_symbol) {
  unsigned major = 0;
  for (char c : entry_symbol.substr(kEntryPrefix.size())) major = major * 10 + static_cast<unsigned>(c - '0');
  return major;
}
static_assert(std::string_view(CN_ENTRY_SYMBOL).substr(0, kEntryPrefix.size()) == kEntryPrefix &&
                  major_of(CN_ENTRY_SYMBOL) == CN_ABI_VERSION,
              "CN_ENTRY_SYMBOL must be \"cn_plugin_entry_v\" followed by CN_ABI_VERSION");

std::string entry_symbol_of(unsigned major) { return std::string(kEntryPrefix) + std::to_string(major); }

}  // namespace

struct Plugin::Library {
  boost::dll::shared_library dll;
};

PluginLoadError::PluginLoadError(const std::filesystem::path &path, const std::string &reason)
    : std::runtime_error(path.string() + ": " + reason), path_(path), reason_(reason) {}

const char *to_string(PluginKind kind) noexcept {
  return kind == PluginKind::sink ? "sink" : "source";
}

Plugin::~Plugin() = default;

namespace {

// Why the table's header makes it unusable, or "" if it does not.
template <class Table>
std::string header_problem(const char *what, const Table &table) {
  if (table.abi_version != CN_ABI_VERSION)
    return std::string(what) + " was built for ABI version " + std::to_string(table.abi_version) +
           "; this host speaks version " + std::to_string(CN_ABI_VERSION);
  if (table.struct_size < Growth<Table>::kFirstPublished)
    return std::string(what) + " is " + std::to_string(table.struct_size) + " bytes, shorter than the " +
           std::to_string(Growth<Table>::kFirstPublished) + " bytes ABI version " +
           std::to_string(CN_ABI_VERSION) + " requires (a truncated or corrupt table)";
  return {};
}

// Copies a plugin's table, which header_problem() accepted, into one of our
// size: the fields a newer plugin appended are dropped, the ones an older
// plugin lacks stay zero.
template <class Table>
Table copy_table(const Table &theirs) {
  Table ours{};
  std::memcpy(&ours, &theirs, Growth<Table>::kFirstPublished);
  Growth<Table>::copy_appended(theirs, ours);
  return ours;
}

// The names of the required callbacks that are NULL, ", "-separated.
using Callback = std::pair<bool, const char *>;  // (present, name)
std::string null_callbacks(std::initializer_list<Callback> callbacks) {
  std::string missing;
  for (const auto &[present, name] : callbacks)
    if (!present) missing += missing.empty() ? name : std::string(", ") + name;
  return missing;
}

std::string missing_callbacks(const cn_sink_plugin &t) {
  return null_callbacks({{t.open != nullptr, "open"},
                         {t.resume_offset != nullptr, "resume_offset"},
                         {t.consume != nullptr, "consume"},
                         {t.commit != nullptr, "commit"},
                         {t.close != nullptr, "close"}});
}

std::string missing_callbacks(const cn_source_plugin &t) {
  return null_callbacks(
      {{t.open != nullptr, "open"}, {t.poll != nullptr, "poll"}, {t.ack != nullptr, "ack"}, {t.close != nullptr, "close"}});
}

template <class Table>
void check_table(const std::filesystem::path &path, const char *what, const Table &table) {
  std::string problem = header_problem(what, table);
  if (problem.empty()) {
    std::string missing = missing_callbacks(copy_table(table));
    if (!missing.empty()) problem = std::string(what) + " has no required callback: " + missing;
  }
  if (!problem.empty()) throw PluginLoadError(path, problem);
}

// The parameters a descriptor declares: none (nullopt) when it has no list.
std::optional<std::vector<ParameterSpec>> declared_parameters(const std::filesystem::path &path,
                                                              const cn_plugin &descriptor) {
  if (!descriptor.parameters) return std::nullopt;
  std::string problem = header_problem("the parameter list", *descriptor.parameters);
  std::vector<ParameterSpec> specs;
  if (problem.empty()) problem = detail::read_parameters(copy_table(*descriptor.parameters), specs);
  if (!problem.empty()) throw PluginLoadError(path, problem);
  return specs;
}

}  // namespace

std::shared_ptr<const Plugin> Plugin::load(const std::filesystem::path &path) {
  std::shared_ptr<Plugin> plugin(new Plugin());
  plugin->path_ = path;
  plugin->library_ = std::make_unique<Library>();

  boost::dll::fs::error_code ec;
  dlerror();  // clear a stale message so the one we read is this load's
  plugin->library_->dll.load(path.string(), ec,
                             boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  if (ec) {
    const char *dl_message = dlerror();
    std::string why = dl_message ? dl_message : ec.message();
    // dlerror() starts with the path, which PluginLoadError already gives.
    if (why.rfind(path.string() + ": ", 0) == 0) why.erase(0, path.string().size() + 2);
    throw PluginLoadError(path, "cannot be loaded as a shared object: " + why);
  }

  boost::dll::shared_library &dll = plugin->library_->dll;
  if (!dll.has(CN_ENTRY_SYMBOL)) {
    std::string reason = std::string("exports no ") + CN_ENTRY_SYMBOL;
    for (unsigned major = 1; major <= CN_ABI_VERSION + 8; ++major)
      if (major != CN_ABI_VERSION && dll.has(entry_symbol_of(major)))
        reason += " (it was built for ABI version " + std::to_string(major) +
                  "; this host speaks version " + std::to_string(CN_ABI_VERSION) + ")";
    throw PluginLoadError(path, reason + ": not a connector-host plugin");
  }

  const cn_plugin *descriptor = nullptr;
  try {
    descriptor = dll.get<const cn_plugin *(uint32_t)>(CN_ENTRY_SYMBOL)(CN_ABI_VERSION);
  } catch (const std::exception &e) {
    throw PluginLoadError(path, std::string(CN_ENTRY_SYMBOL) + " threw: " + e.what());
  } catch (...) {
    throw PluginLoadError(path, std::string(CN_ENTRY_SYMBOL) + " threw an unknown exception");
  }
  if (!descriptor)
    throw PluginLoadError(path, "the plugin declined to load with host ABI version " +
                                    std::to_string(CN_ABI_VERSION) + " (its entry returned NULL)");

  std::string problem = header_problem("the plugin descriptor", *descriptor);
  if (!problem.empty()) throw PluginLoadError(path, problem);
  const cn_plugin d = copy_table(*descriptor);

  if (!d.name || !*d.name) throw PluginLoadError(path, "the plugin has no name");
  if (!d.version || !*d.version) throw PluginLoadError(path, "the plugin has no version");
  if (!d.sink == !d.source)
    throw PluginLoadError(path, d.sink ? "the plugin is both a sink and a source"
                                       : "the plugin is neither a sink nor a source "
                                         "(both tables are NULL)");
  plugin->name_ = d.name;
  plugin->version_ = d.version;
  plugin->description_ = d.description ? d.description : "";

  if (d.sink) {
    check_table(path, "the sink table", *d.sink);
    plugin->kind_ = PluginKind::sink;
    plugin->sink_ = copy_table(*d.sink);
  } else {
    check_table(path, "the source table", *d.source);
    plugin->kind_ = PluginKind::source;
    plugin->source_ = copy_table(*d.source);
  }
  plugin->parameters_ = declared_parameters(path, d);
  plugin->check_ = d.check;
  plugin->teardown_ = d.teardown;
  return plugin;
}

}  // namespace cn
