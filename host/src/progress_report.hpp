// Progress a person can see while a connector runs: every --status-interval
// seconds an info line with the totals and the rate since the last line;
// or, with --once on a terminal, a status line on stderr redrawn every
// second. Never on stdout (a topic may be there).
//
//   progress: 120000 records (+40000 in 30s, 1333/s); offset 119999 of 284280 (42%), lag 164281 records, ETA 2m03s
#ifndef CN_HOST_PROGRESS_REPORT_HPP
#define CN_HOST_PROGRESS_REPORT_HPP

#include "log.hpp"
#include "run_observer.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace cn::host {

class ProgressReport {
 public:
  enum class Style { log_line, terminal_line };

  // Reports on a thread of its own every interval until destroyed. end:
  // the topic's end offset (a sink's; empty for a source), called on that
  // thread.
  ProgressReport(Logger &log, const RunObserver &observer, std::function<std::optional<double>()> end,
                 std::chrono::seconds interval, Style style);
  ~ProgressReport();
  ProgressReport(const ProgressReport &) = delete;
  ProgressReport &operator=(const ProgressReport &) = delete;

  // The line for these figures (for the tests of its format too).
  static std::string line(double records, double added, double seconds, int64_t committed, std::optional<double> end);

 private:
  void run();
  void report(double seconds);

  Logger &log_;
  const RunObserver &observer_;
  std::function<std::optional<double>()> end_;
  std::chrono::seconds interval_;
  Style style_;
  double last_records_ = 0;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cn::host

#endif
