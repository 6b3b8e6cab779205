// cn/plugin.hpp - write a connector-host plugin as a C++ class.
//
// Header-only, on top of cn/plugin.h. The class never sees the C ABI:
// its constructor is open(), its destructor is close(), and its member
// functions are the other callbacks. Exceptions never cross the boundary:
//   cn::RetryError (or a subclass)  -> CN_RETRY, with what() as the error
//   cn::ConfigError, from the constructor -> CN_INVALID_CONFIG, with what()
//   any other exception             -> CN_ERROR, with what() as the error
// A constructor that throws RetryError is an open() that returns CN_RETRY:
// the host backs off and constructs again (see cn_sink_plugin.open). One
// that throws ConfigError is a configuration the plugin cannot use (the
// host exits 2). Thrown from any other member, ConfigError is CN_ERROR.
//
// A sink class:
//   struct MySink {
//     MySink(const cn::Host &host, std::string_view config_json);
//     int64_t resume_offset();                  // -1: nothing applied yet
//     void consume(const cn::RecordBatch &batch);
//     void commit(int64_t offset);
//   };
//   CN_DEFINE_SINK_PLUGIN(MySink, "my-sink", "1.0.0", "what it does")
//
// A source class:
//   struct MySource {
//     MySource(const cn::Host &host, std::string_view config_json);
//     void poll(cn::Emitter &emit, uint32_t timeout_ms);
//     void ack(int64_t offset);
//     // Optional: the topic's records, newest first; return true for more.
//     // Called once with offset -1 (and no value) for a topic without any.
//     bool resume(int64_t offset, std::string_view value);
//   };
//   CN_DEFINE_SOURCE_PLUGIN(MySource, "my-source", "1.0.0", "what it does")
//
// A plugin that declares its parameters (cn_plugin.parameters: the host
// then refuses an unknown key or a value of the wrong type before open()):
//   const char *const kModes[] = {"fast", "safe", nullptr};
//   const cn_param kParams[] = {
//     // name, type, description, default_text, secret, min, max, choices
//     {"url", CN_PARAM_STRING, "where to write", nullptr, 1, 0, 0, nullptr},
//     {"mode", CN_PARAM_ENUM, "how to write", "safe", 0, 0, 0, kModes},
//     {"batch", CN_PARAM_INTEGER, "rows at once", "100", 0, 1, 10000, nullptr},
//   };
//   CN_DEFINE_SINK_PLUGIN_WITH_PARAMETERS(MySink, "my-sink", "1.0.0", "what it does", kParams)
// PARAMETERS is a static array of cn_param, or a static cn_param_list
// made with cn::parameter_list() (when the array lives in another file).
// CN_DEFINE_SOURCE_PLUGIN_WITH_PARAMETERS is the same for a source.
//
// Optional, for `connector-host --check` and `--drop` (cn_plugin.check and
// .teardown; NULL in the descriptor when the class has none). Static: they
// run without an instance, and the host is valid only during the call.
//   struct MySink {
//     ...
//     static void check(const cn::Host &host, std::string_view config_json, cn::Report &report);
//     static void teardown(const cn::Host &host, std::string_view config_json, cn::Report &report);
//   };
// Each reports findings (report.ok / info / warn / fail (subject, detail)).
// Returning is CN_OK (whether the connector can run is what the FAILs say);
// a ConfigError is CN_INVALID_CONFIG; any other exception is CN_ERROR with
// what() as the error.
//
// The contracts of each call are those of the matching callback in
// cn/plugin.h. Use exactly one CN_DEFINE_*_PLUGIN* per shared object.
#ifndef CN_PLUGIN_HPP
#define CN_PLUGIN_HPP

#include <cn/plugin.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace cn {

// Thrown by plugin code for a transient failure: the host backs off and
// recovers (see cn/plugin.h), instead of stopping the connector.
class RetryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The older name of RetryError, kept so that plugins written against it
// still build.
using retry_error = RetryError;

// Thrown by the constructor (open) for a configuration the plugin cannot
// use: a parameter's value, a malformed URL. what() names the parameter and
// says why ("parameters.slot: ..."). open() returns CN_INVALID_CONFIG (the
// host exits 2, as for any configuration error); thrown from any other
// call it is CN_ERROR, as any other exception.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The descriptor's cn_param_list for a static array of cn_param. The list
// points at the array, which must outlive it (static storage).
template <std::size_t N>
constexpr cn_param_list parameter_list(const cn_param (&params)[N]) noexcept {
  return cn_param_list{sizeof(cn_param_list), CN_ABI_VERSION, sizeof(cn_param), N, params};
}
constexpr cn_param_list parameter_list(const cn_param_list &list) noexcept { return list; }

inline std::string_view view(cn_str s) noexcept {
  return s.len == 0 ? std::string_view() : std::string_view(s.ptr, s.len);
}

inline cn_str borrow(std::string_view s) noexcept { return cn_str{s.data(), s.size()}; }

// A series of a metric the host keeps for the plugin (Host::counter,
// gauge, histogram). Updates are lock-free and allocation-free, from any
// thread; on a host that keeps no metrics (older than ABI 1.3, or none
// asked for) they do nothing. Copyable; valid while the instance is open.
class Metric {
 public:
  Metric() noexcept = default;
  Metric(const cn_host *host, cn_metric *metric) noexcept : host_(host), metric_(metric) {}

  void add(double delta) const noexcept {  // counter (delta >= 0) or gauge
    if (metric_ && host_->metric_add) host_->metric_add(metric_, delta);
  }
  void set(double value) const noexcept {  // gauge
    if (metric_ && host_->metric_set) host_->metric_set(metric_, value);
  }
  void observe(double value) const noexcept {  // histogram
    if (metric_ && host_->metric_observe) host_->metric_observe(metric_, value);
  }
  explicit operator bool() const noexcept { return metric_ != nullptr; }

 private:
  const cn_host *host_ = nullptr;
  cn_metric *metric_ = nullptr;
};

// A fixed label of a metric's series: {"kind", "insert"}.
struct MetricLabel {
  std::string_view name, value;
};

// The host's services for one instance. Valid for the life of the instance.
// A service that the host's cn_host does not hold (CN_HAS_FIELD), or holds
// as NULL, is a no-op. That is checked for the services of 1.0 too, which
// every host must provide: a host that passes a struct shorter than that
// loses those services rather than the plugin reading past the struct.
class Host {
 public:
  Host(const cn_host *host, void *host_ctx) noexcept : host_(host), ctx_(host_ctx) {}

  void log(cn_log_level level, std::string_view message) const noexcept {
    if (host_ && CN_HAS_FIELD(host_, cn_host, log) && host_->log)
      host_->log(ctx_, level, borrow(message));
  }
  void debug(std::string_view m) const noexcept { log(CN_LOG_DEBUG, m); }
  void info(std::string_view m) const noexcept { log(CN_LOG_INFO, m); }
  void warn(std::string_view m) const noexcept { log(CN_LOG_WARN, m); }
  void error(std::string_view m) const noexcept { log(CN_LOG_ERROR, m); }

  void set_error(std::string_view message) const noexcept {
    if (host_ && CN_HAS_FIELD(host_, cn_host, set_error) && host_->set_error)
      host_->set_error(ctx_, borrow(message));
  }

  // Registers a series (cn_host.metric_register): once, in open(), not per
  // record. name: in base units, prefixed by the plugin's name, a
  // counter's ending in _total; at most 8 labels (with more, nothing is
  // registered). A host that refuses it logs why; the Metric then does
  // nothing.
  Metric counter(std::string_view name, std::string_view help,
                 std::initializer_list<MetricLabel> labels = {}) const noexcept {
    return register_metric(CN_METRIC_COUNTER, name, help, labels, {});
  }
  Metric gauge(std::string_view name, std::string_view help,
               std::initializer_list<MetricLabel> labels = {}) const noexcept {
    return register_metric(CN_METRIC_GAUGE, name, help, labels, {});
  }
  // buckets: upper bounds, strictly increasing (+Inf is added).
  Metric histogram(std::string_view name, std::string_view help, std::initializer_list<double> buckets,
                   std::initializer_list<MetricLabel> labels = {}) const noexcept {
    return register_metric(CN_METRIC_HISTOGRAM, name, help, labels, buckets);
  }

 private:
  Metric register_metric(cn_metric_kind kind, std::string_view name, std::string_view help,
                         std::initializer_list<MetricLabel> labels,
                         std::initializer_list<double> buckets) const noexcept {
    if (!host_ || !CN_HAS_FIELD(host_, cn_host, metric_observe) || !host_->metric_register) return Metric();
    cn_metric_label label_array[8];
    if (labels.size() > 8) return Metric();
    std::size_t count = 0;
    for (const MetricLabel &l : labels) label_array[count++] = cn_metric_label{borrow(l.name), borrow(l.value)};
    cn_metric_spec spec{};
    spec.struct_size = sizeof spec;
    spec.kind = kind;
    spec.name = borrow(name);
    spec.help = borrow(help);
    spec.labels = label_array;
    spec.label_count = count;
    spec.buckets = buckets.begin();
    spec.bucket_count = buckets.size();
    return Metric(host_, host_->metric_register(ctx_, &spec));
  }

  const cn_host *host_;
  void *ctx_;
};

// Read-only view of a cn_record_batch that honours its record stride.
class RecordBatch {
 public:
  explicit RecordBatch(const cn_record_batch &batch) noexcept : batch_(batch) {}

  std::size_t size() const noexcept { return batch_.count; }
  bool empty() const noexcept { return batch_.count == 0; }
  const cn_record &operator[](std::size_t i) const noexcept {
    return *CN_BATCH_RECORD(&batch_, i);
  }

  class iterator {
   public:
    iterator(const cn_record_batch &b, std::size_t i) noexcept : b_(&b), i_(i) {}
    const cn_record &operator*() const noexcept { return *CN_BATCH_RECORD(b_, i_); }
    iterator &operator++() noexcept { ++i_; return *this; }
    bool operator!=(const iterator &o) const noexcept { return i_ != o.i_; }

   private:
    const cn_record_batch *b_;
    std::size_t i_;
  };
  iterator begin() const noexcept { return iterator(batch_, 0); }
  iterator end() const noexcept { return iterator(batch_, batch_.count); }

 private:
  const cn_record_batch &batch_;
};

// Given to a source's poll(): appends records to the topic.
class Emitter {
 public:
  Emitter(cn_emit_fn emit, void *ctx) noexcept : emit_(emit), ctx_(ctx) {}

  // Appends one record and returns the offset the host assigned to it.
  // Throws std::runtime_error if the topic refused it.
  int64_t emit(std::string_view value, std::string_view key = {},
               int64_t timestamp_us = 0) {
    cn_record record{0, timestamp_us, borrow(key), borrow(value)};
    int64_t offset = -1;
    if (emit_(ctx_, &record, &offset) != CN_OK)
      throw std::runtime_error("the host refused a record (topic write failed)");
    return offset;
  }

 private:
  cn_emit_fn emit_;
  void *ctx_;
};

// Given to a plugin's static check() and teardown(): reports findings, one
// call each. subject names what was looked at ("wal_level", "slot orders"),
// detail what was found and, for warn and fail, the fix. The host copies both.
class Report {
 public:
  Report(cn_report_fn report, void *ctx) noexcept : report_(report), ctx_(ctx) {}

  void add(cn_check_level level, std::string_view subject, std::string_view detail) const noexcept {
    if (report_) report_(ctx_, level, borrow(subject), borrow(detail));
  }
  void ok(std::string_view subject, std::string_view detail) const noexcept { add(CN_CHECK_OK, subject, detail); }
  void info(std::string_view subject, std::string_view detail) const noexcept { add(CN_CHECK_INFO, subject, detail); }
  void warn(std::string_view subject, std::string_view detail) const noexcept { add(CN_CHECK_WARN, subject, detail); }
  void fail(std::string_view subject, std::string_view detail) const noexcept { add(CN_CHECK_FAIL, subject, detail); }

 private:
  cn_report_fn report_;
  void *ctx_;
};

namespace detail {

template <class T>
struct Instance {
  Instance(const cn_host *h, void *ctx, std::string_view config)
      : host(h, ctx), impl(host, config) {}
  Host host;
  T impl;
};

// Runs f; turns any exception into a status and an error text. A
// ConfigError is config_error_status: CN_INVALID_CONFIG for open(), where a
// configuration is read, CN_ERROR for the other callbacks.
template <class F>
cn_status guard(const Host &host, F &&f, cn_status config_error_status = CN_ERROR) noexcept {
  try {
    f();
    return CN_OK;
  } catch (const RetryError &e) {
    host.set_error(e.what());
    return CN_RETRY;
  } catch (const ConfigError &e) {
    host.set_error(e.what());
    return config_error_status;
  } catch (const std::exception &e) {
    host.set_error(e.what());
    return CN_ERROR;
  } catch (...) {
    host.set_error("unknown exception");
    return CN_ERROR;
  }
}

template <class T>
cn_status open(const cn_host *h, void *ctx, cn_str config, void **state) noexcept {
  return guard(Host(h, ctx), [&] { *state = new Instance<T>(h, ctx, view(config)); }, CN_INVALID_CONFIG);
}

template <class T>
void close(void *state) noexcept {
  // A destructor that throws would terminate; destructors are noexcept.
  delete static_cast<Instance<T> *>(state);
}

template <class T>
Instance<T> &self(void *state) noexcept { return *static_cast<Instance<T> *>(state); }

template <class T>
const cn_sink_plugin *sink_table() noexcept {
  static const cn_sink_plugin table = {
      sizeof(cn_sink_plugin),
      CN_ABI_VERSION,
      &open<T>,
      [](void *s, int64_t *last) noexcept {
        return guard(self<T>(s).host, [&] { *last = self<T>(s).impl.resume_offset(); });
      },
      [](void *s, const cn_record_batch *b) noexcept {
        return guard(self<T>(s).host, [&] { self<T>(s).impl.consume(RecordBatch(*b)); });
      },
      [](void *s, int64_t offset) noexcept {
        return guard(self<T>(s).host, [&] { self<T>(s).impl.commit(offset); });
      },
      &close<T>,
  };
  return &table;
}

template <class T, class = void>
struct has_resume : std::false_type {};
template <class T>
struct has_resume<T, std::void_t<decltype(std::declval<T &>().resume(int64_t{}, std::string_view{}))>>
    : std::true_type {};

using ResumeFn = cn_status (*)(void *, const cn_record *, int *);

// The resume callback if the class has resume(offset, value), else NULL.
template <class T>
constexpr ResumeFn resume_callback() noexcept {
  if constexpr (has_resume<T>::value) {
    return [](void *s, const cn_record *r, int *more) noexcept {
      return guard(self<T>(s).host, [&] {
        *more = (r ? self<T>(s).impl.resume(r->offset, view(r->value)) : self<T>(s).impl.resume(-1, {})) ? 1 : 0;
      });
    };
  } else {
    return nullptr;
  }
}

template <class T, class = void>
struct has_check : std::false_type {};
template <class T>
struct has_check<T, std::void_t<decltype(T::check(std::declval<const Host &>(), std::string_view{},
                                                   std::declval<Report &>()))>> : std::true_type {};

template <class T, class = void>
struct has_teardown : std::false_type {};
template <class T>
struct has_teardown<T, std::void_t<decltype(T::teardown(std::declval<const Host &>(), std::string_view{},
                                                         std::declval<Report &>()))>> : std::true_type {};

// The static check() and teardown() of T, called alike.
template <class T>
struct CheckCall {
  static void run(const Host &host, std::string_view config, Report &report) { T::check(host, config, report); }
};
template <class T>
struct TeardownCall {
  static void run(const Host &host, std::string_view config, Report &report) { T::teardown(host, config, report); }
};

// The callback that runs Call::run if Present, else NULL. ConfigError is
// CN_INVALID_CONFIG, as in open(); any other exception, RetryError
// included, is CN_ERROR.
template <bool Present, class Call>
constexpr cn_check_fn report_callback() noexcept {
  if constexpr (Present) {
    return [](const cn_host *h, void *ctx, cn_str config, cn_report_fn report, void *report_ctx) noexcept {
      const Host host(h, ctx);
      Report r(report, report_ctx);
      const cn_status status = guard(host, [&] { Call::run(host, view(config), r); }, CN_INVALID_CONFIG);
      return status == CN_RETRY ? CN_ERROR : status;
    };
  } else {
    return nullptr;
  }
}

template <class T>
constexpr cn_check_fn check_callback() noexcept { return report_callback<has_check<T>::value, CheckCall<T>>(); }
template <class T>
constexpr cn_check_fn teardown_callback() noexcept {
  return report_callback<has_teardown<T>::value, TeardownCall<T>>();
}

template <class T>
const cn_source_plugin *source_table() noexcept {
  static const cn_source_plugin table = {
      sizeof(cn_source_plugin),
      CN_ABI_VERSION,
      &open<T>,
      [](void *s, cn_emit_fn emit, void *emit_ctx, uint32_t timeout_ms) noexcept {
        return guard(self<T>(s).host, [&] {
          Emitter emitter(emit, emit_ctx);
          self<T>(s).impl.poll(emitter, timeout_ms);
        });
      },
      [](void *s, int64_t offset) noexcept {
        return guard(self<T>(s).host, [&] { self<T>(s).impl.ack(offset); });
      },
      &close<T>,
      resume_callback<T>(),
  };
  return &table;
}

}  // namespace detail
}  // namespace cn

// PARAMETERS_POINTER: a const cn_param_list *, or nullptr (none declared).
// Every field of the descriptor is given (-Wmissing-field-initializers).
#define CN_DETAIL_DEFINE_PLUGIN(CLASS, NAME, VERSION, DESCRIPTION, SINK, SOURCE, PARAMETERS_POINTER) \
  extern "C" CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi) {                      \
    static const cn_plugin plugin = {sizeof(cn_plugin),                                              \
                                     CN_ABI_VERSION,                                                 \
                                     NAME,                                                           \
                                     VERSION,                                                        \
                                     DESCRIPTION,                                                    \
                                     SINK,                                                           \
                                     SOURCE,                                                         \
                                     PARAMETERS_POINTER,                                             \
                                     ::cn::detail::check_callback<CLASS>(),                          \
                                     ::cn::detail::teardown_callback<CLASS>()};                      \
    return host_abi == CN_ABI_VERSION ? &plugin : nullptr;                                           \
  }

// The descriptor's parameter list, in static storage inside the entry.
#define CN_DETAIL_PARAMETERS(PARAMETERS)                                \
  [] {                                                                  \
    static const cn_param_list list = ::cn::parameter_list(PARAMETERS); \
    return &list;                                                       \
  }()

#define CN_DEFINE_SINK_PLUGIN(CLASS, NAME, VERSION, DESCRIPTION) \
  CN_DETAIL_DEFINE_PLUGIN(CLASS, NAME, VERSION, DESCRIPTION, ::cn::detail::sink_table<CLASS>(), nullptr, nullptr)

#define CN_DEFINE_SOURCE_PLUGIN(CLASS, NAME, VERSION, DESCRIPTION) \
  CN_DETAIL_DEFINE_PLUGIN(CLASS, NAME, VERSION, DESCRIPTION, nullptr, ::cn::detail::source_table<CLASS>(), nullptr)

#define CN_DEFINE_SINK_PLUGIN_WITH_PARAMETERS(CLASS, NAME, VERSION, DESCRIPTION, PARAMETERS)             \
  CN_DETAIL_DEFINE_PLUGIN(CLASS, NAME, VERSION, DESCRIPTION, ::cn::detail::sink_table<CLASS>(), nullptr, \
                          CN_DETAIL_PARAMETERS(PARAMETERS))

#define CN_DEFINE_SOURCE_PLUGIN_WITH_PARAMETERS(CLASS, NAME, VERSION, DESCRIPTION, PARAMETERS)             \
  CN_DETAIL_DEFINE_PLUGIN(CLASS, NAME, VERSION, DESCRIPTION, nullptr, ::cn::detail::source_table<CLASS>(), \
                          CN_DETAIL_PARAMETERS(PARAMETERS))

#endif  // CN_PLUGIN_HPP
