// Jobs run in order on another thread: the target writes batches while the
// next ones are parsed and folded. A few may wait in line, so that a stretch
// of records that is slow to parse and one that is slow to write even out
// instead of each stalling the other.
#ifndef CN_PGSINK_BACKGROUND_JOBS_HPP
#define CN_PGSINK_BACKGROUND_JOBS_HPP

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace cn::pgsink {

class BackgroundJobs {
 public:
  explicit BackgroundJobs(std::size_t max_waiting) : max_waiting_(max_waiting) {}
  ~BackgroundJobs() {
    wait_quietly();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    if (worker_.joinable()) worker_.join();
  }
  BackgroundJobs(const BackgroundJobs &) = delete;
  BackgroundJobs &operator=(const BackgroundJobs &) = delete;

  // Queues job; blocks while max_waiting jobs wait already. After a job has
  // failed, later ones are dropped unrun until wait() reports the failure.
  void start(std::function<void()> job) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!worker_.joinable()) worker_ = std::thread([this] { run(); });
    changed_.wait(lock, [this] { return queue_.size() < max_waiting_; });
    queue_.push_back(std::move(job));
    changed_.notify_all();
  }

  // Waits until every queued job has ended; rethrows the first failure.
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [this] { return queue_.empty() && !running_; });
    if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
  }

  // Waits, and forgets a failure (the caller is giving up the work anyway).
  void wait_quietly() noexcept {
    try {
      wait();
    } catch (...) {
    }
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      std::function<void()> job = std::move(queue_.front());
      queue_.pop_front();
      running_ = true;
      const bool skip = failure_ != nullptr;
      lock.unlock();
      changed_.notify_all();  // room in the line
      std::exception_ptr failed;
      if (!skip) {
        try {
          job();
        } catch (...) {
          failed = std::current_exception();
        }
      }
      job = nullptr;
      lock.lock();
      if (failed && !failure_) failure_ = failed;
      running_ = false;
      changed_.notify_all();
    }
  }

  const std::size_t max_waiting_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::function<void()>> queue_;
  bool running_ = false;
  bool stopping_ = false;
  std::exception_ptr failure_;
  std::thread worker_;
};

}  // namespace cn::pgsink

#endif
