// --connect-timeout: with --once, a connector that has never started gives
// up at RunOptions::give_up_at instead of retrying forever. A batch job
// (--once) must end, and say why; a daemon (no --once) keeps waiting for its
// database as long as it takes. Started means: open() returned CN_OK and
// then, for a sink, resume_offset did; for a source, poll did. After that,
// retries are recoveries and never time out.
#ifndef CN_HOST_START_DEADLINE_HPP
#define CN_HOST_START_DEADLINE_HPP

#include "run.hpp"

#include <algorithm>
#include <chrono>
#include <string>

namespace cn::host {

class StartDeadline {
 public:
  explicit StartDeadline(const RunOptions &options) : options_(options) {}

  void started() { started_ = true; }

  // True when the connector has not started and the deadline has come.
  bool passed() const { return !started_ && Clock::now() >= options_.give_up_at; }

  // delay, cut short so that the wait ends at the deadline: the last attempt
  // comes at the deadline, not up to --retry-max-ms after it.
  std::chrono::milliseconds wait(std::chrono::milliseconds delay) const {
    if (started_ || options_.give_up_at == Clock::time_point::max()) return delay;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(options_.give_up_at - Clock::now());
    return std::max(std::chrono::milliseconds(0), std::min(delay, left));
  }

  // The error on giving up: "WHO: could not connect within N s
  // (--connect-timeout); the last attempt: LAST_ATTEMPT".
  std::string gave_up(const std::string &who, const std::string &last_attempt) const {
    return who + ": could not connect within " + std::to_string(options_.connect_timeout.count()) +
           " s (--connect-timeout); the last attempt: " + last_attempt;
  }

 private:
  using Clock = std::chrono::steady_clock;
  const RunOptions &options_;
  bool started_ = false;
};

}  // namespace cn::host

#endif
