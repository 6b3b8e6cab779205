// cn/loader.hpp - load connector plugins and drive them, from any program.
//
// connector-host is built on this library; a program that wants to embed
// plugin loading uses it the same way (see examples/embed/). It checks every
// plugin before use, and turns every way a plugin can misbehave short of
// corrupting memory - a missing symbol, a wrong ABI, a short table, a NULL
// callback, an escaping exception - into an error that names the file and
// the reason.
//
// Threading: a Plugin may be shared between threads; each SinkInstance or
// SourceInstance must be used by one thread at a time.
#ifndef CN_LOADER_HPP
#define CN_LOADER_HPP

#include <cn/metrics.hpp>
#include <cn/plugin.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cn {

// A plugin file was refused. what() is "PATH: REASON".
class PluginLoadError : public std::runtime_error {
 public:
  PluginLoadError(const std::filesystem::path &path, const std::string &reason);
  const std::filesystem::path &path() const noexcept { return path_; }
  const std::string &reason() const noexcept { return reason_; }

 private:
  std::filesystem::path path_;
  std::string reason_;
};

enum class PluginKind { sink, source };
const char *to_string(PluginKind kind) noexcept;

// The kinds of a parameter's value (cn_param_type). to_string gives the
// word people read in messages and listings: "string", "bool", "integer",
// "enum", "list".
enum class ParameterType { string, boolean, integer, enumeration, list };
const char *to_string(ParameterType type) noexcept;

// One parameter a plugin accepts (cn_param), copied out of the plugin.
struct ParameterSpec {
  std::string name;
  ParameterType type = ParameterType::string;
  std::string description;   // "" when the plugin gave none
  std::string default_text;  // "" when the plugin gave none
  bool secret = false;       // a credential: its value is never printed
  int64_t min = 0, max = 0;  // integer: the allowed range, min <= max
  std::vector<std::string> choices;  // enumeration: at least one
};

class LogSink;
struct CallResult;

// Receives one finding of a plugin's check() or teardown(), copied: the
// views are valid only during the call. level is one of cn_check_level (a
// value outside it arrives as CN_CHECK_FAIL).
using FindingFn = std::function<void(cn_check_level level, std::string_view subject, std::string_view detail)>;

// A loaded, checked plugin. Keeps its shared object loaded for as long as
// the Plugin or any instance made from it lives.
class Plugin {
 public:
  // Loads and checks the shared object at path. Throws PluginLoadError.
  static std::shared_ptr<const Plugin> load(const std::filesystem::path &path);

  ~Plugin();
  Plugin(const Plugin &) = delete;
  Plugin &operator=(const Plugin &) = delete;

  const std::filesystem::path &path() const noexcept { return path_; }
  const std::string &name() const noexcept { return name_; }
  const std::string &version() const noexcept { return version_; }
  const std::string &description() const noexcept { return description_; }
  PluginKind kind() const noexcept { return kind_; }

  // The parameters the plugin accepts, checked when it was loaded (names
  // unique and non-empty, known types, choices for an enum, min <= max), in
  // its order. nullptr when it declares none (a plugin of ABI 1.1 or older,
  // or cn_plugin.parameters NULL): then nothing about its parameters is
  // known. An empty vector means it accepts no parameters at all.
  const std::vector<ParameterSpec> *parameters() const noexcept {
    return parameters_ ? &*parameters_ : nullptr;
  }

  // The callback tables, copied into structs of this header's size, with
  // the fields the plugin did not know zeroed. Only the one of kind() is
  // meaningful.
  const cn_sink_plugin &sink_table() const noexcept { return sink_; }
  const cn_source_plugin &source_table() const noexcept { return source_; }

  // True when the plugin has check() / teardown() (cn_plugin.check and
  // .teardown, ABI 1.2; a plugin of 1.1 or older has neither).
  bool can_check() const noexcept { return check_ != nullptr; }
  bool can_teardown() const noexcept { return teardown_ != nullptr; }

  // Call check() / teardown() without an instance (call only when
  // can_check() / can_teardown()). config_json is as an instance's open()
  // gets it. The plugin's log lines go to log while the call lasts; each
  // finding goes to on_finding as it comes (an exception from on_finding is
  // swallowed). The status is CN_OK, CN_INVALID_CONFIG (the configuration is
  // wrong: error says why) or CN_ERROR (the plugin could not look, or
  // misbehaved: a CN_RETRY, a status outside cn_status, an exception).
  CallResult run_check(LogSink &log, std::string_view config_json, const FindingFn &on_finding) const;
  CallResult run_teardown(LogSink &log, std::string_view config_json, const FindingFn &on_finding) const;

 private:
  struct Library;
  Plugin() = default;

  std::unique_ptr<Library> library_;
  std::filesystem::path path_;
  std::string name_, version_, description_;
  PluginKind kind_ = PluginKind::sink;
  std::optional<std::vector<ParameterSpec>> parameters_;
  cn_sink_plugin sink_{};
  cn_source_plugin source_{};
  cn_check_fn check_ = nullptr;
  cn_check_fn teardown_ = nullptr;
};

// What scanning a directory found: a plugin, or a file that was refused.
struct PluginScanEntry {
  std::filesystem::path path;
  std::shared_ptr<const Plugin> plugin;  // null when refused
  std::string refusal;                   // why, when refused
};

// Loads every regular file ending in ".so" in dir (not recursively), in
// name order. A missing directory yields nothing.
std::vector<PluginScanEntry> scan_plugin_dir(const std::filesystem::path &dir);

// Resolves NAME_OR_PATH: a value containing '/' or ending in ".so" is a
// path; anything else is the name a plugin calls itself, looked up in dirs
// in order (a file NAME.so is tried first in each). Throws PluginLoadError
// if the file is refused, or std::runtime_error naming the directories
// searched if no plugin has that name.
std::shared_ptr<const Plugin> find_plugin(const std::string &name_or_path,
                                          const std::vector<std::filesystem::path> &dirs);

// Where the log lines and errors of an instance go. Implemented by the
// embedding program. write() may be called from any thread.
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void write(cn_log_level level, std::string_view plugin_name,
                     std::string_view message) = 0;
};

// The result of one call into a plugin. error is what the plugin reported
// through set_error (or the exception that escaped it); empty on CN_OK.
// status is CN_OK, CN_RETRY or CN_ERROR; CN_INVALID_CONFIG comes from
// Plugin::run_check and run_teardown, and from open() only as an OpenError.
struct CallResult {
  cn_status status = CN_OK;
  std::string error;
  bool ok() const noexcept { return status == CN_OK; }
};

// Which plugin callback the calling thread is inside: for a fatal-signal
// handler that wants to say which plugin crashed, and where (connector-host
// logs it and exits 4). The loader sets it before every callback it makes
// (open, close, check, teardown and each callback of the instance tables)
// and clears it when the callback returns. plugin is nullptr outside any
// callback; plugin and callback point to strings that live as long as the
// Plugin. first_offset..last_offset are the offsets the call was given (the
// batch of consume(); the offset of commit() or ack()), -1 when none.
struct PluginCallSite {
  const char *plugin = nullptr;
  const char *callback = nullptr;
  int64_t first_offset = -1;
  int64_t last_offset = -1;
};

// The calling thread's PluginCallSite. Async-signal-safe: it reads a
// thread-local, so a handler of a synchronous signal (SIGSEGV, SIGBUS,
// SIGILL, SIGFPE, SIGABRT from abort()) sees the call that raised it.
PluginCallSite current_plugin_call() noexcept;

// A plugin's open() did not return CN_OK, so no instance exists. what() is
// "NAME (PATH): open failed: REASON", with a word after "failed" for two of
// the statuses:
//   CN_RETRY, " (retryable)": the plugin may open later, and a caller that
//     wants it backs off and constructs the instance again (connector-host
//     does);
//   CN_INVALID_CONFIG, " (invalid configuration)": the configuration it was
//     given is wrong, and only a person can mend it (connector-host exits 2);
//   CN_ERROR: it will not open. A plugin that let an exception escape open(),
//     or returned a status outside cn_status, gives CN_ERROR.
class OpenError : public std::runtime_error {
 public:
  OpenError(const Plugin &plugin, cn_status status, const std::string &reason);
  cn_status status() const noexcept { return status_; }
  // The plugin's own text (set_error), or the loader's explanation.
  const std::string &reason() const noexcept { return reason_; }

 private:
  cn_status status_;
  std::string reason_;
};

namespace detail {
struct InstanceContext;
}

// One open sink instance. Every method calls the matching callback of
// cn_sink_plugin and never throws for what the plugin does: a plugin that
// returns a status outside cn_status or lets an exception escape yields
// CN_ERROR with an explanation.
class SinkInstance {
 public:
  // Calls open() once. Throws OpenError if it does not return CN_OK.
  // metrics receives the plugin's metric registrations (nullptr: none
  // kept); it must outlive the instance.
  SinkInstance(std::shared_ptr<const Plugin> plugin, LogSink &log,
               std::string_view config_json, MetricSink *metrics = nullptr);
  ~SinkInstance();  // calls close()
  SinkInstance(const SinkInstance &) = delete;
  SinkInstance &operator=(const SinkInstance &) = delete;

  CallResult resume_offset(int64_t &last_applied);
  CallResult consume(const cn_record *records, std::size_t count);
  CallResult commit(int64_t offset);

  const Plugin &plugin() const noexcept { return *plugin_; }

 private:
  std::shared_ptr<const Plugin> plugin_;
  std::unique_ptr<detail::InstanceContext> ctx_;
  void *state_ = nullptr;
};

// Receives the records a source emits. append() returns the offset it gave
// the record, or throws to refuse it.
using RecordAppender = std::function<int64_t(const cn_record &record)>;

// One open source instance; the same rules as SinkInstance.
class SourceInstance {
 public:
  // Calls open() once. Throws OpenError if it does not return CN_OK.
  // metrics receives the plugin's metric registrations (nullptr: none
  // kept); it must outlive the instance.
  SourceInstance(std::shared_ptr<const Plugin> plugin, LogSink &log,
                 std::string_view config_json, MetricSink *metrics = nullptr);
  ~SourceInstance();  // calls close()
  SourceInstance(const SourceInstance &) = delete;
  SourceInstance &operator=(const SourceInstance &) = delete;

  // Calls poll(); each record emitted goes to append before poll returns.
  // If append throws, the plugin's emit gets CN_ERROR and this call yields
  // CN_ERROR with the appender's message.
  CallResult poll(const RecordAppender &append, uint32_t timeout_ms);
  CallResult ack(int64_t offset);

  // True if the plugin has resume(): then, before the first poll(), hand it
  // the topic's records newest first, while more says so; or, for a topic
  // without records, call it once with record nullptr.
  bool wants_resume() const noexcept;
  CallResult resume(const cn_record *record, bool &more);

  const Plugin &plugin() const noexcept { return *plugin_; }

 private:
  std::shared_ptr<const Plugin> plugin_;
  std::unique_ptr<detail::InstanceContext> ctx_;
  void *state_ = nullptr;
};

}  // namespace cn

#endif  // CN_LOADER_HPP
