// The connector's state as /healthz and /readyz tell it: set by the run
// loops' RunObserver, read by the metrics endpoint's threads.
#ifndef CN_HOST_HEALTH_HPP
#define CN_HOST_HEALTH_HPP

#include <atomic>
#include <chrono>

namespace cn::host {

class Health {
 public:
  enum class State { starting, running, retrying, stopped, failed };

  // unhealthy_after: how long the connector may keep retrying (a plugin
  // callback asking to retry again and again: its database down) and still
  // count as healthy. (A topic backend that waits out its servers on its
  // own, as NATS does, is not counted.)
  explicit Health(std::chrono::seconds unhealthy_after) : unhealthy_after_(unhealthy_after) {}

  void set(State state) {
    // The time first, so that a scrape never sees "retrying" with an old one.
    if (state == State::retrying && state_.load() != State::retrying)
      retrying_since_.store(std::chrono::steady_clock::now().time_since_epoch().count());
    state_.store(state);
  }
  void set_ready() { ready_ = true; }

  State state() const { return state_; }
  // /healthz: starting or running, or retrying for less than
  // unhealthy_after; not once stopped or failed.
  bool healthy() const {
    switch (state_.load()) {
      case State::starting:
      case State::running: return true;
      case State::retrying:
        return std::chrono::steady_clock::now().time_since_epoch().count() - retrying_since_.load() <
               std::chrono::duration_cast<std::chrono::steady_clock::duration>(unhealthy_after_).count();
      default: return false;
    }
  }
  // /readyz: the plugin has opened and the topic answered, and it has not
  // stopped since.
  bool ready() const { return ready_ && state_ != State::stopped && state_ != State::failed; }

 private:
  const std::chrono::seconds unhealthy_after_;
  std::atomic<State> state_{State::starting};
  std::atomic<bool> ready_{false};
  std::atomic<std::chrono::steady_clock::rep> retrying_since_{0};
};

}  // namespace cn::host

#endif
