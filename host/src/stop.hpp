// Stopping on SIGINT / SIGTERM, and waiting in a way that a stop cuts short.
#ifndef CN_HOST_STOP_HPP
#define CN_HOST_STOP_HPP

#include <algorithm>
#include <chrono>

namespace cn::host {

// Installs the SIGINT and SIGTERM handlers (once per process).
void install_stop_handlers();

// True once SIGINT or SIGTERM arrived (or request_stop() was called).
bool stop_requested();
void request_stop();

// Sleeps for d, or less if a stop is requested meanwhile.
void sleep_unless_stopped(std::chrono::milliseconds d);

// Capped exponential backoff for CN_RETRY: initial, 2x, 4x, ... up to max.
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
  int attempts() const { return attempts_; }

 private:
  std::chrono::milliseconds initial_, max_, next_;
  int attempts_ = 0;
};

}  // namespace cn::host

#endif
