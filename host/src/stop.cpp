#include "stop.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <thread>

namespace cn::host {

namespace {
std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }
}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // A reader that went away (stdout topic piped into head) is an error to
  // report, not a reason to die silently.
  std::signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() { return g_stop.load(); }

void sleep_unless_stopped(std::chrono::milliseconds d) {
  constexpr auto kSlice = std::chrono::milliseconds(20);
  auto until = std::chrono::steady_clock::now() + d;
  while (!stop_requested()) {
    auto left = until - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, kSlice));
  }
}

}  // namespace cn::host
