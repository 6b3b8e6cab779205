// Waiting for what another process does, which a test can only watch: the
// one polling loop of the harnesses.
#ifndef CN_TEST_POLL_HPP
#define CN_TEST_POLL_HPP

#include <chrono>
#include <functional>
#include <thread>

namespace cn::test {

// Checks condition every interval until it holds (true) or safety_timeout
// passes (false). The timeout is a safety net, not the synchronisation.
inline bool poll_until(const std::function<bool()> &condition, std::chrono::seconds safety_timeout,
                       std::chrono::milliseconds interval = std::chrono::milliseconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + safety_timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(interval);
  }
  return true;
}

}  // namespace cn::test

#endif
