// The loader (cn/loader.hpp), driving plugin instances: every call goes
// through call_plugin(), which turns whatever the plugin does into a
// CallResult (or, for open(), into an OpenError).
#include <cn/loader.hpp>

#include <atomic>
#include <exception>
#include <utility>

namespace cn {
namespace detail {

// host_ctx of one instance: what the cn_host callbacks need.
struct InstanceContext {
  LogSink *log = nullptr;
  MetricSink *metrics = nullptr;  // none: metric_register returns NULL
  std::string plugin_name;
  std::string error;  // last set_error text, reset before each call
  cn_host host{};
};

}  // namespace detail

namespace {

using detail::InstanceContext;

// Constant-initialised, so reading it needs no TLS guard: safe in a signal
// handler (current_plugin_call).
thread_local PluginCallSite t_call_site;

// Marks the calling thread as inside one callback of ctx's plugin while it
// lives; restores what was there before.
class CallSiteMark {
 public:
  CallSiteMark(const InstanceContext &ctx, const char *callback, int64_t first_offset = -1,
               int64_t last_offset = -1) noexcept
      : saved_(t_call_site) {
    t_call_site = PluginCallSite{ctx.plugin_name.c_str(), callback, first_offset, last_offset};
    std::atomic_signal_fence(std::memory_order_seq_cst);  // complete before the plugin runs
  }
  ~CallSiteMark() {
    std::atomic_signal_fence(std::memory_order_seq_cst);
    t_call_site = saved_;
  }
  CallSiteMark(const CallSiteMark &) = delete;
  CallSiteMark &operator=(const CallSiteMark &) = delete;

 private:
  PluginCallSite saved_;
};

void host_log(void *ctx, cn_log_level level, cn_str message) {
  auto *c = static_cast<InstanceContext *>(ctx);
  c->log->write(level, c->plugin_name, std::string_view(message.ptr, message.ptr ? message.len : 0));
}

void host_set_error(void *ctx, cn_str message) {
  auto *c = static_cast<InstanceContext *>(ctx);
  c->error.assign(message.ptr ? message.ptr : "", message.ptr ? message.len : 0);
}

std::string text_of(cn_str s) { return std::string(s.ptr ? s.ptr : "", s.ptr ? s.len : 0); }

// Never throws: it is called from the plugin's C code.
cn_metric *host_metric_register(void *ctx, const cn_metric_spec *spec) noexcept {
  auto *c = static_cast<InstanceContext *>(ctx);
  if (!c->metrics || !spec) return nullptr;
  try {
    std::string problem;
    if (!CN_HAS_FIELD(spec, cn_metric_spec, bucket_count)) {
      problem = "its cn_metric_spec is " + std::to_string(spec->struct_size) + " bytes, shorter than 1.3's";
    } else {
      MetricSpec copy;
      copy.kind = spec->kind;
      copy.name = text_of(spec->name);
      copy.help = text_of(spec->help);
      for (std::size_t i = 0; i < spec->label_count && spec->labels; ++i)
        copy.labels.emplace_back(text_of(spec->labels[i].name), text_of(spec->labels[i].value));
      if (spec->buckets) copy.buckets.assign(spec->buckets, spec->buckets + spec->bucket_count);
      if (MetricCell *cell = c->metrics->register_metric(c->plugin_name, copy, problem))
        return reinterpret_cast<cn_metric *>(cell);
      problem = "metric " + copy.name + " not kept: " + problem;
    }
    c->log->write(CN_LOG_WARN, c->plugin_name, problem);
  } catch (...) {
    // Out of memory: the plugin carries on without the metric.
  }
  return nullptr;
}

MetricCell *cell_of(cn_metric *metric) { return reinterpret_cast<MetricCell *>(metric); }

void host_metric_add(cn_metric *metric, double delta) {
  if (metric) cell_of(metric)->add(delta);
}
void host_metric_set(cn_metric *metric, double value) {
  if (metric) cell_of(metric)->set(value);
}
void host_metric_observe(cn_metric *metric, double value) {
  if (metric) cell_of(metric)->observe(value);
}

std::unique_ptr<InstanceContext> make_context(const Plugin &plugin, LogSink &log, MetricSink *metrics) {
  auto ctx = std::make_unique<InstanceContext>();
  ctx->log = &log;
  ctx->metrics = metrics;
  ctx->plugin_name = plugin.name();
  ctx->host = cn_host{sizeof(cn_host),       CN_ABI_VERSION,   &host_log,        &host_set_error,
                      &host_metric_register, &host_metric_add, &host_metric_set, &host_metric_observe};
  return ctx;
}

std::string describe_current_exception() {
  try {
    throw;
  } catch (const std::exception &e) {
    return std::string("an exception escaped the plugin: ") + e.what();
  } catch (...) {
    return "an exception of unknown type escaped the plugin";
  }
}

// Which statuses a callback may return beyond CN_OK, CN_RETRY and CN_ERROR:
// CN_INVALID_CONFIG is open()'s, check()'s and teardown()'s alone
// (plugin.h); from any other callback it is a plugin bug, reported as
// CN_ERROR. check() and teardown() may not ask to retry: CN_RETRY from them
// is CN_ERROR.
enum class Callback { open, check, other };

// Which callback a call_plugin() runs, for current_plugin_call().
struct CallName {
  const char *callback;
  int64_t first_offset = -1, last_offset = -1;
};

// Calls into the plugin. call returns the plugin's cn_status.
template <class Call>
CallResult call_plugin(InstanceContext &ctx, CallName name, Call &&call, Callback callback = Callback::other) {
  ctx.error.clear();
  CallResult result;
  int status;
  try {
    CallSiteMark mark(ctx, name.callback, name.first_offset, name.last_offset);
    status = static_cast<int>(call());
  } catch (...) {
    return CallResult{CN_ERROR, describe_current_exception()};
  }
  switch (status) {
    case CN_OK:
      return result;
    case CN_INVALID_CONFIG:
      if (callback == Callback::other)
        return CallResult{CN_ERROR, "the plugin returned 3 (CN_INVALID_CONFIG), which only open may return"};
      [[fallthrough]];
    case CN_RETRY:
    case CN_ERROR:
      result.status = status == CN_RETRY && callback == Callback::check ? CN_ERROR : static_cast<cn_status>(status);
      result.error = ctx.error.empty() ? "(the plugin gave no reason)" : ctx.error;
      return result;
    default:
      return CallResult{CN_ERROR, "the plugin returned " + std::to_string(status) +
                                      ", which is not a cn_status"};
  }
}

template <class Table>
void *open_instance(const Plugin &plugin, const Table &table, InstanceContext &ctx,
                    std::string_view config_json) {
  void *state = nullptr;
  CallResult r = call_plugin(ctx, {"open"}, [&] {
    return table.open(&ctx.host, &ctx, cn_str{config_json.data(), config_json.size()}, &state);
  }, Callback::open);
  if (!r.ok()) throw OpenError(plugin, r.status, r.error);
  return state;
}

template <class Table>
void close_instance(const Table &table, const InstanceContext &ctx, void *state) noexcept {
  try {
    CallSiteMark mark(ctx, "close");
    table.close(state);
  } catch (...) {
    // close() has no way to report; an escaping exception must not
    // terminate the host while it is shutting down.
  }
}

// emit_ctx of a poll() call.
struct EmitContext {
  const RecordAppender *append;
  std::string error;
};

cn_status host_emit(void *emit_ctx, const cn_record *record, int64_t *assigned_offset) {
  auto *e = static_cast<EmitContext *>(emit_ctx);
  if (!record) {
    e->error = "the plugin emitted a NULL record";
    return CN_ERROR;
  }
  try {
    int64_t offset = (*e->append)(*record);
    if (assigned_offset) *assigned_offset = offset;
    return CN_OK;
  } catch (const std::exception &ex) {
    e->error = ex.what();
  } catch (...) {
    e->error = "the topic refused the record";
  }
  return CN_ERROR;
}

// report_ctx of a check() or teardown() call.
struct ReportContext {
  const FindingFn *on_finding;
};

void host_report(void *report_ctx, cn_check_level level, cn_str subject, cn_str detail) {
  auto *r = static_cast<ReportContext *>(report_ctx);
  const int value = static_cast<int>(level);
  const cn_check_level known = value >= CN_CHECK_OK && value <= CN_CHECK_FAIL ? level : CN_CHECK_FAIL;
  try {
    (*r->on_finding)(known, std::string_view(subject.ptr, subject.ptr ? subject.len : 0),
                     std::string_view(detail.ptr, detail.ptr ? detail.len : 0));
  } catch (...) {
    // Nothing may unwind into the plugin.
  }
}

CallResult run_check_callback(const Plugin &plugin, const char *name, cn_check_fn callback, LogSink &log,
                              std::string_view config_json, const FindingFn &on_finding) {
  if (!callback) return CallResult{CN_ERROR, "the plugin has no such callback"};
  std::unique_ptr<InstanceContext> ctx = make_context(plugin, log, nullptr);  // valid during the call only
  ReportContext report{&on_finding};
  return call_plugin(*ctx, {name}, [&] {
    return callback(&ctx->host, ctx.get(), cn_str{config_json.data(), config_json.size()}, &host_report, &report);
  }, Callback::check);
}

}  // namespace

PluginCallSite current_plugin_call() noexcept { return t_call_site; }

CallResult Plugin::run_check(LogSink &log, std::string_view config_json, const FindingFn &on_finding) const {
  return run_check_callback(*this, "check", check_, log, config_json, on_finding);
}

CallResult Plugin::run_teardown(LogSink &log, std::string_view config_json, const FindingFn &on_finding) const {
  return run_check_callback(*this, "teardown", teardown_, log, config_json, on_finding);
}

OpenError::OpenError(const Plugin &plugin, cn_status status, const std::string &reason)
    : std::runtime_error(plugin.name() + " (" + plugin.path().string() + "): open failed" +
                         (status == CN_RETRY            ? " (retryable)"
                          : status == CN_INVALID_CONFIG ? " (invalid configuration)"
                                                        : "") +
                         ": " + reason),
      status_(status),
      reason_(reason) {}

SinkInstance::SinkInstance(std::shared_ptr<const Plugin> plugin, LogSink &log,
                           std::string_view config_json, MetricSink *metrics)
    : plugin_(std::move(plugin)), ctx_(make_context(*plugin_, log, metrics)) {
  state_ = open_instance(*plugin_, plugin_->sink_table(), *ctx_, config_json);
}

SinkInstance::~SinkInstance() { close_instance(plugin_->sink_table(), *ctx_, state_); }

CallResult SinkInstance::resume_offset(int64_t &last_applied) {
  int64_t value = -1;
  CallResult r =
      call_plugin(*ctx_, {"resume_offset"}, [&] { return plugin_->sink_table().resume_offset(state_, &value); });
  if (r.ok() && value < -1)
    return CallResult{CN_ERROR, "resume_offset gave " + std::to_string(value) +
                                    "; an offset is -1 (nothing applied) or more"};
  if (r.ok()) last_applied = value;
  return r;
}

CallResult SinkInstance::consume(const cn_record *records, std::size_t count) {
  const cn_record_batch batch{sizeof(cn_record_batch), CN_ABI_VERSION, sizeof(cn_record), count,
                              records};
  CallName name{"consume"};
  if (count > 0) name = {"consume", records[0].offset, records[count - 1].offset};
  return call_plugin(*ctx_, name, [&] { return plugin_->sink_table().consume(state_, &batch); });
}

CallResult SinkInstance::commit(int64_t offset) {
  return call_plugin(*ctx_, {"commit", offset, offset}, [&] { return plugin_->sink_table().commit(state_, offset); });
}

SourceInstance::SourceInstance(std::shared_ptr<const Plugin> plugin, LogSink &log,
                               std::string_view config_json, MetricSink *metrics)
    : plugin_(std::move(plugin)), ctx_(make_context(*plugin_, log, metrics)) {
  state_ = open_instance(*plugin_, plugin_->source_table(), *ctx_, config_json);
}

SourceInstance::~SourceInstance() { close_instance(plugin_->source_table(), *ctx_, state_); }

CallResult SourceInstance::poll(const RecordAppender &append, uint32_t timeout_ms) {
  EmitContext emit{&append, {}};
  CallResult r = call_plugin(*ctx_, {"poll"}, [&] {
    return plugin_->source_table().poll(state_, &host_emit, &emit, timeout_ms);
  });
  // A record the topic refused is lost unless the connector stops, whatever
  // the plugin made of it.
  if (!emit.error.empty()) return CallResult{CN_ERROR, "writing to the topic failed: " + emit.error};
  return r;
}

CallResult SourceInstance::ack(int64_t offset) {
  return call_plugin(*ctx_, {"ack", offset, offset}, [&] { return plugin_->source_table().ack(state_, offset); });
}

bool SourceInstance::wants_resume() const noexcept { return plugin_->source_table().resume != nullptr; }

CallResult SourceInstance::resume(const cn_record *record, bool &more) {
  int wants_more = 0;
  CallResult r =
      call_plugin(*ctx_, {"resume"}, [&] { return plugin_->source_table().resume(state_, record, &wants_more); });
  more = r.ok() && wants_more != 0;
  return r;
}

}  // namespace cn
