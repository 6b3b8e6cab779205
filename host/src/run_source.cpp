#include "run.hpp"
#include "backoff.hpp"
#include "start_deadline.hpp"
#include "stop.hpp"

namespace cn::host {

namespace {

// Hands the plugin the topic's records, newest first, while it wants more.
bool resume(SourceInstance &source, TopicWriter &topic, Logger &log, const std::string &name) {
  if (!source.wants_resume()) return true;
  CallResult failure;
  int64_t handed = 0;
  topic.read_back([&](const cn_record &record) {
    bool more = false;
    CallResult r = source.resume(&record, more);
    ++handed;
    if (!r.ok()) failure = r;
    return more;
  });
  if (handed == 0) {  // tells the plugin that this host reads back, and found nothing
    bool more = false;
    failure = source.resume(nullptr, more);
  }
  if (!failure.ok()) {
    log.error(name + ": resume failed reading back " + topic.describe() + ": " + failure.error);
    return false;
  }
  log.debug(name + ": read back " + std::to_string(handed) + " records of " + topic.describe());
  return true;
}

}  // namespace

int run_source(SourceInstance &source, TopicWriter &topic, const RunOptions &options, Logger &log,
               RunObserver &observer) {
  Backoff backoff(options.retry_initial, options.retry_max);
  StartDeadline deadline(options);
  const std::string name = who(source.plugin());
  int64_t acked = -1;
  if (!resume(source, topic, log, name)) return kExitFailed;
  observer.ready();
  for (;;) {
    if (stop_requested()) {
      log.info("stop requested: closing; last acknowledged offset: " + std::to_string(acked));
      return kExitOk;
    }
    int64_t first = -1, last = -1;
    std::size_t bytes = 0;
    RecordAppender append = [&](const cn_record &record) {
      last = topic.append(record);
      bytes += record.value.len;
      if (first < 0) first = last;
      return last;
    };
    CallResult r = source.poll(append, static_cast<uint32_t>(options.poll_wait.count()));
    // Whatever was emitted is kept, also when poll then failed: the
    // contract says a source emits only what is ready to be kept.
    if (last >= 0) {
      const auto flush_start = std::chrono::steady_clock::now();
      try {
        topic.flush();
      } catch (const TopicError &e) {
        // A topic that cannot be written (a full disk; a write that failed
        // during poll fails flush too) stops the connector, said here,
        // before the plugin closes. Nothing after the last ack was
        // confirmed upstream: the next start, once the topic is mended,
        // goes on from what the topic holds, and nothing is lost.
        log.error(name + ": writing to the topic failed: " + e.what() + "; stopping (last acknowledged offset: " +
                  std::to_string(acked) + "; the next start goes on from what the topic holds)");
        return kExitFailed;
      }
      observer.wrote(static_cast<std::size_t>(last - first + 1), bytes);
      if (r.ok() || r.status == CN_RETRY) {
        CallResult a = source.ack(last);
        if (a.status == CN_ERROR) {
          log.error(name + ": ack failed at offset " + std::to_string(last) + " of " + topic.describe() + ": " + a.error);
          return kExitFailed;
        }
        if (a.ok()) acked = last;
        if (a.ok()) observer.committed(acked, std::chrono::steady_clock::now() - flush_start);
        // An ack the plugin could not take now is repeated by the next one,
        // which covers the same offsets.
      }
    }
    if (r.status == CN_ERROR) {
      log.error(name + ": poll failed" +
                (last >= 0 ? " after emitting offsets " + std::to_string(first) + "-" + std::to_string(last) : "") +
                " into " + topic.describe() + ": " + r.error);
      return kExitFailed;
    }
    if (r.status == CN_RETRY) {
      const std::string asked = "poll asked to retry: " + r.error;
      if (deadline.passed()) {
        log.error(deadline.gave_up(name, asked));
        return kExitFailed;
      }
      observer.retrying("poll");
      auto delay = deadline.wait(backoff.next());
      log.warn(name + ": " + asked + "; polling again in " + std::to_string(delay.count()) + " ms (attempt " +
               std::to_string(backoff.attempts()) + ")");
      sleep_unless_stopped(delay);
      continue;
    }
    deadline.started();
    backoff.reset();
    observer.state(Health::State::running);  // (after a retry too, when the poll brought nothing)
    if (last < 0 && options.once) {
      log.info(name + ": nothing more to read; last acknowledged offset of " + topic.describe() + ": " +
               std::to_string(acked));
      return kExitOk;
    }
  }
}

}  // namespace cn::host
