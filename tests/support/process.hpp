// Running the real connector-host (or any program) from a test, with its
// output captured. Timeouts here are safety nets against a hung child, never
// a way to wait for something: tests wait for output or exit.
#ifndef CN_TEST_PROCESS_HPP
#define CN_TEST_PROCESS_HPP

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace cn::test {

struct ProcessResult {
  int exit_code = -1;  // when the process exited
  int signal = 0;      // when a signal ended it
  long peak_rss_kib = 0;  // its largest resident set (getrusage's ru_maxrss), once reaped
  std::string out, err;
  bool exited_with(int code) const { return signal == 0 && exit_code == code; }
};

using Environment = std::map<std::string, std::string>;  // added to / overriding ours

// Runs argv[0] (a path) to its end, with stdin_data on its standard input.
ProcessResult run_process(const std::vector<std::string> &argv, const std::string &stdin_data = {},
                          const Environment &env = {},
                          std::chrono::seconds safety_timeout = std::chrono::seconds(120));

// A process that runs while the test talks to it.
class Child {
 public:
  // Starts argv[0] (a path) with stdin_data as its standard input.
  explicit Child(const std::vector<std::string> &argv, const Environment &env = {},
                 const std::string &stdin_data = {});
  ~Child();  // kills it (SIGKILL) if still running
  Child(const Child &) = delete;
  Child &operator=(const Child &) = delete;

  // Reads output until ready(out, err) holds; false if the process ended or
  // the safety timeout passed first.
  bool wait_for(const std::function<bool(const std::string &out, const std::string &err)> &ready,
                std::chrono::seconds safety_timeout = std::chrono::seconds(120));
  void send_signal(int sig);
  // Reads the rest of the output and reaps the process.
  ProcessResult wait(std::chrono::seconds safety_timeout = std::chrono::seconds(120));

  const std::string &out() const { return result_.out; }
  const std::string &err() const { return result_.err; }
  int pid() const { return pid_; }

 private:
  bool pump(int timeout_ms);  // false once both pipes are closed
  int pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  bool reaped_ = false;
  ProcessResult result_;
};

// Counts the lines of text.
std::size_t count_lines(const std::string &text);

}  // namespace cn::test

#endif
