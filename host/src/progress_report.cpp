#include "progress_report.hpp"

#include <cmath>
#include <cstdio>

namespace cn::host {

namespace {

std::string duration_text(double seconds) {
  const long s = std::lround(seconds);
  char text[32];
  if (s >= 3600) std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, s / 60 % 60);
  else if (s >= 60) std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(text, sizeof text, "%lds", s);
  return text;
}

std::string number(double value) { return std::to_string(std::llround(value)); }

}  // namespace

ProgressReport::ProgressReport(Logger &log, const RunObserver &observer, std::function<std::optional<double>()> end,
                               std::chrono::seconds interval, Style style)
    : log_(log), observer_(observer), end_(std::move(end)), interval_(interval), style_(style),
      thread_([this] { run(); }) {}

ProgressReport::~ProgressReport() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (style_ == Style::terminal_line) std::fputs("\n", stderr);
}

std::string ProgressReport::line(double records, double added, double seconds, int64_t committed,
                                 std::optional<double> end) {
  const double rate = seconds > 0 ? added / seconds : 0;
  std::string text = number(records) + " records (+" + number(added) + " in " + duration_text(seconds) + ", " +
                     number(rate) + "/s); offset " + std::to_string(committed);
  if (end && *end > 0) {
    const double lag = std::max(0.0, *end - static_cast<double>(committed + 1));
    text += " of " + number(*end - 1) + " (" + number(100.0 * static_cast<double>(committed + 1) / *end) +
            "%), lag " + number(lag) + " records";
    if (lag > 0 && rate > 0) text += ", ETA " + duration_text(lag / rate);
  }
  return text;
}

void ProgressReport::run() {
  auto last = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    const auto now = std::chrono::steady_clock::now();
    report(std::chrono::duration<double>(now - last).count());
    last = now;
  }
}

void ProgressReport::report(double seconds) {
  // The end last: it only grows, so the line never shows an offset past it.
  const int64_t committed = observer_.committed_offset();
  const double records = observer_.records();
  std::optional<double> end;
  try {
    if (end_) end = end_();
  } catch (const std::exception &) {
    // No end this time; the next report tries again.
  }
  try {
    const std::string text = line(records, records - last_records_, seconds, committed, end);
    last_records_ = records;
    if (style_ == Style::log_line) {
      log_.info("progress: " + text);
    } else {
      std::fprintf(stderr, "\r\033[K%s", text.c_str());
      std::fflush(stderr);
    }
  } catch (const std::exception &) {
    // Out of memory: no line this time.
  }
}

}  // namespace cn::host
