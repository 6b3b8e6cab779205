// The one rule for retrying in the host: after a plugin returns CN_RETRY,
// wait, doubling the wait each time up to a cap, and start again from the
// initial wait once the plugin works again. Every retry (open, the sink's
// calls, poll) goes through it, so --retry-initial-ms and --retry-max-ms
// mean the same everywhere.
#ifndef CN_HOST_BACKOFF_HPP
#define CN_HOST_BACKOFF_HPP

#include <algorithm>
#include <chrono>

namespace cn::host {

// Capped exponential backoff: initial, 2x, 4x, ... up to max.
class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max)
      : initial_(initial), max_(max), next_(initial) {}

  // The delay to wait now; the following one is twice as long (capped).
  std::chrono::milliseconds next() {
    auto d = next_;
    next_ = std::min(max_, next_ * 2);
    ++attempts_;
    return d;
  }
  void reset() {
    next_ = initial_;
    attempts_ = 0;
  }
  // How many delays next() has given since the last reset(): the number of
  // the retry being waited for.
  int attempts() const { return attempts_; }

 private:
  std::chrono::milliseconds initial_, max_, next_;
  int attempts_ = 0;
};

}  // namespace cn::host

#endif
