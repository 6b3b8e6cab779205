#include "crash_report.hpp"

#include "run.hpp"

#include <cn/loader.hpp>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <ctime>
#include <unistd.h>

namespace cn::host {

namespace {

// Everything below runs in a signal handler: no allocation, no locks, no
// stdio; only fixed buffers and write(2).

char g_plugin[256];
char g_topic[512];

// Appends to a fixed buffer, dropping what does not fit.
class Line {
 public:
  void add(const char *text) {
    while (*text && size_ < sizeof buffer_) buffer_[size_++] = *text++;
  }
  void add(int64_t value) {
    char digits[24];
    int n = 0;
    const bool negative = value < 0;
    uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
    do digits[n++] = static_cast<char>('0' + magnitude % 10); while ((magnitude /= 10) != 0);
    if (negative) add("-");
    while (n > 0 && size_ < sizeof buffer_) buffer_[size_++] = digits[--n];
  }
  void add_padded(int64_t value, int width) {  // non-negative, zero-padded
    int64_t limit = 1;
    for (int i = 1; i < width; ++i) limit *= 10;
    for (; limit > 1 && value < limit; limit /= 10) add("0");
    add(value);
  }
  void write_to(int fd) const {
    for (std::size_t done = 0; done < size_;) {
      ssize_t n = ::write(fd, buffer_ + done, size_ - done);
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
  }

 private:
  char buffer_[1024];
  std::size_t size_ = 0;
};

// "2026-12-02T13:45:01.123Z", as the Logger writes it, without gmtime_r
// (not async-signal-safe): days since 1970 to a civil date.
void add_timestamp(Line &line) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t days = now.tv_sec / 86400, seconds = now.tv_sec % 86400;
  days += 719468;  // from 1970-03-01 counted as day 0 of an era-based calendar
  const int64_t era = days / 146097, day_of_era = days - era * 146097;
  const int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t month_index = (5 * day_of_year + 2) / 153;  // 0 = March
  const int64_t day = day_of_year - (153 * month_index + 2) / 5 + 1;
  const int64_t month = month_index < 10 ? month_index + 3 : month_index - 9;
  const int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  line.add_padded(year, 4), line.add("-"), line.add_padded(month, 2), line.add("-"), line.add_padded(day, 2);
  line.add("T"), line.add_padded(seconds / 3600, 2), line.add(":"), line.add_padded(seconds / 60 % 60, 2);
  line.add(":"), line.add_padded(seconds % 60, 2), line.add("."), line.add_padded(now.tv_nsec / 1000000, 3);
  line.add("Z");
}

const char *signal_name(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
  }
  return "?";
}

extern "C" void on_fatal_signal(int sig) {
  const PluginCallSite call = current_plugin_call();
  Line line;
  add_timestamp(line);
  line.add(" ERROR host: ");
  if (call.plugin) {
    line.add("plugin "), line.add(call.plugin), line.add(" crashed in "), line.add(call.callback);
  } else {
    line.add("connector-host crashed outside any plugin callback (in the host, or in a thread of plugin ");
    line.add(g_plugin), line.add(")");
  }
  line.add(" (signal "), line.add(sig), line.add(", "), line.add(signal_name(sig)), line.add(")");
  if (call.plugin && call.first_offset >= 0) {
    if (call.first_offset == call.last_offset)
      line.add(" at offset "), line.add(call.first_offset);
    else
      line.add(" at offsets "), line.add(call.first_offset), line.add("-"), line.add(call.last_offset);
    line.add(" of "), line.add(g_topic);
  }
  line.add("; exiting with code "), line.add(int64_t{kExitCrashed});
  line.add(": start it again and it resumes after its last commit\n");
  line.write_to(STDERR_FILENO);
  _exit(kExitCrashed);
}

template <std::size_t N>
void copy_name(char (&target)[N], const std::string &name) {
  std::size_t n = std::min(name.size(), N - 1);
  std::memcpy(target, name.data(), n);
  target[n] = '\0';
}

}  // namespace

void install_crash_report(const std::string &plugin_name, const std::string &topic) {
  copy_name(g_plugin, plugin_name);
  copy_name(g_topic, topic);
  static bool installed = false;
  if (installed) return;
  installed = true;

  // A stack overflow leaves no stack to run the handler on.
  static char alternate_stack[64 * 1024];
  stack_t stack{};
  stack.ss_sp = alternate_stack;
  stack.ss_size = sizeof alternate_stack;
  sigaltstack(&stack, nullptr);

  struct sigaction action {};
  action.sa_handler = on_fatal_signal;
  action.sa_flags = SA_ONSTACK | SA_RESETHAND;  // a second fault inside the handler ends the process
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) sigaction(sig, &action, nullptr);
}

}  // namespace cn::host
