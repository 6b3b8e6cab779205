// One job at a time on another thread: the target writes and commits a
// batch while the next one is parsed and folded.
#ifndef CN_PGSINK_BACKGROUND_JOB_HPP
#define CN_PGSINK_BACKGROUND_JOB_HPP

#include <functional>
#include <future>

namespace pgsink {

class BackgroundJob {
 public:
  ~BackgroundJob() { wait_quietly(); }

  // Starts job once the previous one has ended (and rethrows its error).
  void start(std::function<void()> job) {
    wait();
    pending_ = std::async(std::launch::async, std::move(job));
  }

  // Waits for the running job, if any; rethrows what it threw.
  void wait() {
    if (pending_.valid()) pending_.get();
  }

  // Waits, and forgets an error (the caller is giving up the work anyway).
  void wait_quietly() noexcept {
    try {
      wait();
    } catch (...) {
    }
  }

 private:
  std::future<void> pending_;
};

}  // namespace pgsink

#endif
