#include "run.hpp"
#include "backoff.hpp"
#include "start_deadline.hpp"
#include "stop.hpp"

namespace cn::host {

namespace {

using Clock = std::chrono::steady_clock;

class SinkRunner {
 public:
  SinkRunner(SinkInstance &sink, TopicReader &topic, const RunOptions &options, Logger &log, RunObserver &observer)
      : sink_(sink), topic_(topic), options_(options), log_(log), observer_(observer),
        backoff_(options.retry_initial, options.retry_max), deadline_(options) {}

  int run() {
    for (;;) {
      switch (session()) {
        case Outcome::done: return kExitOk;
        case Outcome::failed: return kExitFailed;
        case Outcome::retry: sleep_unless_stopped(retry_delay_); break;
        case Outcome::go_on: break;
      }
      if (stop_requested()) {
        log_.info("stopped before the plugin recovered; nothing uncommitted was kept");
        return kExitOk;
      }
    }
  }

 private:
  enum class Outcome { go_on, retry, failed, done };

  // From resume_offset() until the end, a stop, or a failure.
  Outcome session() {
    int64_t last_applied = -1;
    if (Outcome o = check(sink_.resume_offset(last_applied), "resume_offset", ""); o != Outcome::go_on)
      return o;
    deadline_.started();
    observer_.ready(last_applied);
    topic_.seek(last_applied + 1);
    log_.info("reading " + topic_.describe() + " after offset " + std::to_string(last_applied));
    handed_ = last_applied;
    uncommitted_ = 0;
    for (;;) {
      if (stop_requested()) {
        log_.info("stop requested: committing and closing");
        return uncommitted_ ? commit(Outcome::done) : Outcome::done;
      }
      auto wait = uncommitted_ ? std::chrono::milliseconds(0) : options_.poll_wait;
      const std::vector<cn_record> &records =
          topic_.read(options_.batch_records, options_.batch_bytes, static_cast<int>(wait.count()));
      if (records.empty()) {
        if (uncommitted_) {  // caught up: commit now, for latency
          if (Outcome o = commit(Outcome::go_on); o != Outcome::go_on) return o;
          continue;
        }
        observer_.caught_up();
        if (topic_.at_end()) return finish(last_applied);
        continue;
      }
      observer_.read(records);
      std::string range = offsets(records.front().offset, records.back().offset);
      if (Outcome o = check(sink_.consume(records.data(), records.size()), "consume", range);
          o != Outcome::go_on)
        return o;
      if (!uncommitted_) first_uncommitted_at_ = Clock::now();
      handed_ = records.back().offset;
      uncommitted_ += records.size();
      if (uncommitted_ >= options_.batch_records ||
          Clock::now() - first_uncommitted_at_ >= options_.commit_interval)
        if (Outcome o = commit(Outcome::go_on); o != Outcome::go_on) return o;
    }
  }

  Outcome commit(Outcome then) {
    const Clock::time_point start = Clock::now();
    if (Outcome o = check(sink_.commit(handed_), "commit", "offset " + std::to_string(handed_));
        o != Outcome::go_on)
      return o;
    observer_.committed(handed_, Clock::now() - start);
    log_.debug("committed through offset " + std::to_string(handed_));
    uncommitted_ = 0;
    backoff_.reset();
    return then;
  }

  Outcome finish(int64_t last_applied) {
    if (topic_.position() <= last_applied)
      log_.warn("the plugin has applied through offset " + std::to_string(last_applied) + " but " +
                topic_.describe() + " ends before it (at offset " + std::to_string(topic_.position()) +
                "): was the topic replaced?");
    log_.info("end of " + topic_.describe() + " reached; last offset handed over: " + std::to_string(handed_));
    return Outcome::done;
  }

  static std::string offsets(int64_t first, int64_t last) {
    return first == last ? "offset " + std::to_string(first)
                         : "offsets " + std::to_string(first) + "-" + std::to_string(last);
  }

  Outcome check(const CallResult &r, const char *callback, const std::string &where) {
    if (r.ok()) return Outcome::go_on;
    const std::string name = who(sink_.plugin());
    std::string what = std::string(callback) + " " + (r.status == CN_RETRY ? "asked to retry" : "failed") +
                       (where.empty() ? " on " : " at " + where + " of ") + topic_.describe() + ": " + r.error;
    if (r.status != CN_RETRY) {
      log_.error(name + ": " + what);
      return Outcome::failed;
    }
    if (deadline_.passed()) {
      log_.error(deadline_.gave_up(name, what));
      return Outcome::failed;
    }
    observer_.retrying(callback);
    retry_delay_ = deadline_.wait(backoff_.next());
    log_.warn(name + ": " + what + "; resuming from the plugin's last committed offset in " +
              std::to_string(retry_delay_.count()) + " ms (attempt " + std::to_string(backoff_.attempts()) + ")");
    return Outcome::retry;
  }

  SinkInstance &sink_;
  TopicReader &topic_;
  const RunOptions &options_;
  Logger &log_;
  RunObserver &observer_;
  Backoff backoff_;
  StartDeadline deadline_;
  std::chrono::milliseconds retry_delay_{0};
  int64_t handed_ = -1;
  std::size_t uncommitted_ = 0;
  Clock::time_point first_uncommitted_at_;
};

}  // namespace

int run_sink(SinkInstance &sink, TopicReader &topic, const RunOptions &options, Logger &log, RunObserver &observer) {
  return SinkRunner(sink, topic, options, log, observer).run();
}

}  // namespace cn::host
