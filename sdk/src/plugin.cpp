// Loading one plugin file and checking its descriptor before anything
// else touches it.
#include <cn/loader.hpp>

#include <boost/dll/shared_library.hpp>
#include <dlfcn.h>

#include <cstddef>
#include <cstring>
#include <string>

namespace cn {

// The sizes of the ABI 1 structs as first published. A plugin's struct may
// be larger (built against a newer minor revision) but never smaller.
namespace {
constexpr uint32_t kMinPluginSize = sizeof(cn_plugin);
constexpr uint32_t kMinSinkSize = sizeof(cn_sink_plugin);
// resume() came later in ABI version 1: a table that ends before it is whole.
constexpr uint32_t kMinSourceSize = offsetof(cn_source_plugin, resume);
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

std::string header_problem(const char *what, uint32_t struct_size, uint32_t abi_version,
                           uint32_t min_size) {
  if (abi_version != CN_ABI_VERSION)
    return std::string(what) + " was built for ABI version " + std::to_string(abi_version) +
           "; this host speaks version " + std::to_string(CN_ABI_VERSION);
  if (struct_size < min_size)
    return std::string(what) + " is " + std::to_string(struct_size) +
           " bytes, shorter than the " + std::to_string(min_size) +
           " bytes ABI version 1 requires (a truncated or corrupt table)";
  return {};
}

// Copies a plugin's table into one of our size: the fields a newer plugin
// added are dropped, the ones an older plugin lacks stay zero.
template <class Table>
Table copy_table(const Table &theirs) {
  Table ours{};
  // Whole fields only: after the two 32-bit header fields every field is a
  // pointer, and a size that ends inside one must not leave half of it.
  std::size_t size = std::min<std::size_t>(theirs.struct_size, sizeof(Table));
  size -= size % sizeof(void *);
  std::memcpy(&ours, &theirs, size);
  return ours;
}

std::string missing_callbacks(const cn_sink_plugin &t) {
  std::string missing;
  auto need = [&](const void *fn, const char *name) {
    if (!fn) missing += missing.empty() ? name : std::string(", ") + name;
  };
  need(reinterpret_cast<const void *>(t.open), "open");
  need(reinterpret_cast<const void *>(t.resume_offset), "resume_offset");
  need(reinterpret_cast<const void *>(t.consume), "consume");
  need(reinterpret_cast<const void *>(t.commit), "commit");
  need(reinterpret_cast<const void *>(t.close), "close");
  return missing;
}

std::string missing_callbacks(const cn_source_plugin &t) {
  std::string missing;
  auto need = [&](const void *fn, const char *name) {
    if (!fn) missing += missing.empty() ? name : std::string(", ") + name;
  };
  need(reinterpret_cast<const void *>(t.open), "open");
  need(reinterpret_cast<const void *>(t.poll), "poll");
  need(reinterpret_cast<const void *>(t.ack), "ack");
  need(reinterpret_cast<const void *>(t.close), "close");
  return missing;
}

template <class Table>
void check_table(const std::filesystem::path &path, const char *what, const Table &table,
                 uint32_t min_size) {
  std::string problem = header_problem(what, table.struct_size, table.abi_version, min_size);
  if (problem.empty()) {
    std::string missing = missing_callbacks(copy_table(table));
    if (!missing.empty()) problem = std::string(what) + " has no required callback: " + missing;
  }
  if (!problem.empty()) throw PluginLoadError(path, problem);
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
    for (int major = 2; major <= 9; ++major)
      if (dll.has("cn_plugin_entry_v" + std::to_string(major)))
        reason += " (it was built for ABI version " + std::to_string(major) +
                  "; this host speaks version 1)";
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

  std::string problem = header_problem("the plugin descriptor", descriptor->struct_size,
                                       descriptor->abi_version, kMinPluginSize);
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
    check_table(path, "the sink table", *d.sink, kMinSinkSize);
    plugin->kind_ = PluginKind::sink;
    plugin->sink_ = copy_table(*d.sink);
  } else {
    check_table(path, "the source table", *d.source, kMinSourceSize);
    plugin->kind_ = PluginKind::source;
    plugin->source_ = copy_table(*d.source);
  }
  return plugin;
}

}  // namespace cn
