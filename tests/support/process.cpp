#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char **environ;

namespace cn::test {

namespace {

std::vector<std::string> merged_environment(const Environment &extra) {
  std::map<std::string, std::string> all;
  for (char **e = environ; *e; ++e) {
    std::string kv(*e);
    std::size_t eq = kv.find('=');
    if (eq != std::string::npos) all[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto &[k, v] : extra) all[k] = v;
  std::vector<std::string> out;
  for (const auto &[k, v] : all) out.push_back(k + "=" + v);
  return out;
}

std::vector<char *> c_strings(std::vector<std::string> &strings) {
  std::vector<char *> out;
  for (std::string &s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

void make_pipe(int fds[2]) {
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
}

int spawn(const std::vector<std::string> &argv, const Environment &env, int in_fd, int out_fd, int err_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
  std::vector<std::string> args = argv, envs = merged_environment(env);
  std::vector<char *> c_args = c_strings(args), c_env = c_strings(envs);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv.at(0).c_str(), &actions, nullptr, c_args.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

// The child's standard input: an unlinked file holding data, so that
// feeding it can never block on a full pipe.
int stdin_file(const std::string &data) {
  char path[] = "/tmp/cn-test-stdin-XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) throw std::runtime_error(std::string("mkstemp: ") + std::strerror(errno));
  ::unlink(path);
  if (::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size()) || ::lseek(fd, 0, SEEK_SET) != 0)
    throw std::runtime_error("cannot prepare the child's standard input");
  return fd;
}

}  // namespace

Child::Child(const std::vector<std::string> &argv, const Environment &env, const std::string &stdin_data) {
  int in = stdin_file(stdin_data), out[2], err[2];
  make_pipe(out);
  make_pipe(err);
  pid_ = spawn(argv, env, in, out[1], err[1]);
  ::close(in);
  ::close(out[1]);
  ::close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
}

Child::~Child() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

bool Child::pump(int timeout_ms) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  int open = (out_fd_ >= 0) + (err_fd_ >= 0);
  if (open == 0) return false;
  if (::poll(fds, 2, timeout_ms) <= 0) return true;
  char buf[65536];
  int *fd_of[2] = {&out_fd_, &err_fd_};
  std::string *text_of[2] = {&result_.out, &result_.err};
  for (int i = 0; i < 2; ++i) {
    if (*fd_of[i] < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    ssize_t n = ::read(*fd_of[i], buf, sizeof buf);
    if (n > 0) {
      text_of[i]->append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      ::close(*fd_of[i]);
      *fd_of[i] = -1;
    }
  }
  return true;
}

bool Child::wait_for(const std::function<bool(const std::string &, const std::string &)> &ready,
                     std::chrono::seconds safety_timeout) {
  auto deadline = std::chrono::steady_clock::now() + safety_timeout;
  while (!ready(result_.out, result_.err)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (!pump(100)) return ready(result_.out, result_.err);
  }
  return true;
}

void Child::send_signal(int sig) { ::kill(pid_, sig); }

ProcessResult Child::wait(std::chrono::seconds safety_timeout) {
  auto deadline = std::chrono::steady_clock::now() + safety_timeout;
  while (pump(100))
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      result_.err += "\n[test harness: killed after the safety timeout]\n";
      break;
    }
  int status = 0;
  rusage usage{};
  ::wait4(pid_, &status, 0, &usage);
  reaped_ = true;
  result_.peak_rss_kib = usage.ru_maxrss;
  if (WIFEXITED(status)) result_.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result_.signal = WTERMSIG(status);
  return result_;
}

ProcessResult run_process(const std::vector<std::string> &argv, const std::string &stdin_data,
                          const Environment &env, std::chrono::seconds safety_timeout) {
  return Child(argv, env, stdin_data).wait(safety_timeout);
}

std::size_t count_lines(const std::string &text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace cn::test
