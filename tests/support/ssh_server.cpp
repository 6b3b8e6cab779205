#include "ssh_server.hpp"

#include "base64.hpp"
#include "poll.hpp"
#include "ports.hpp"
#include "process.hpp"

#include <pwd.h>
#include <shadow.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace cn::test {

namespace {

namespace fs = std::filesystem;

const std::string kSshd = "/usr/sbin/sshd";
const std::string kSshKeygen = "/usr/bin/ssh-keygen";
const std::string kPrivilegeSeparationDir = "/run/sshd";
// Another process may take the free port we found before sshd binds it.
constexpr int kPortAttempts = 5;
// Safety net for waits on sshd and on signalled processes, which take
// milliseconds.
constexpr auto kSafetyTimeout = std::chrono::seconds(30);

std::string key_file(SshServer::KeyType key) {
  switch (key) {
    case SshServer::KeyType::ed25519: return "user_ed25519";
    case SshServer::KeyType::rsa: return "user_rsa";
    case SshServer::KeyType::unauthorized: return "user_unauthorized";
    case SshServer::KeyType::ed25519_with_passphrase: return "user_ed25519_passphrase";
  }
  throw std::logic_error("unknown SshServer::KeyType");
}

const std::string kPassphrase = "cn-test-ssh-passphrase-5b7e1c";


void write_file(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

// The last lines of a log, enough to see why sshd stopped.
std::string tail(const std::string &text, std::size_t lines = 40) {
  std::size_t start = text.size();
  for (std::size_t seen = 0; start > 0 && seen <= lines; --start)
    if (text[start - 1] == '\n') ++seen;
  return text.substr(start == 0 ? 0 : start + 1);
}


// ssh-keygen's keys, made side by side.
void make_keys(const std::vector<std::vector<std::string>> &commands) {
  std::vector<std::unique_ptr<Child>> keygens;
  for (const auto &command : commands) keygens.push_back(std::make_unique<Child>(command));
  for (std::size_t i = 0; i < keygens.size(); ++i) {
    const ProcessResult result = keygens[i]->wait(kSafetyTimeout);
    if (!result.exited_with(0))
      throw std::runtime_error("ssh-keygen -f " + commands[i].back() + " failed: " + result.out + result.err);
  }
}

std::vector<std::string> keygen(const std::string &type, const std::string &passphrase, const std::string &comment,
                                const std::string &path) {
  std::vector<std::string> command = {kSshKeygen, "-q", "-t", type, "-N", passphrase, "-C", comment};
  if (type == "rsa") command.insert(command.end(), {"-b", "3072"});
  command.insert(command.end(), {"-f", path});
  return command;
}

// "TYPE BASE64" of a .pub file, without its comment: a known_hosts or
// authorized_keys entry.
std::string public_key(const std::string &pub_file) {
  std::istringstream in(read_file(pub_file));
  std::string type, key;
  if (!(in >> type >> key)) throw std::runtime_error("no public key in " + pub_file);
  return type + " " + key;
}

// Making an RSA key takes up to seconds (it hunts for primes), so one is
// made per test process and copied to each server; the other keys take
// milliseconds and are each server's own.
const std::string &shared_rsa_key() {
  static const TempDir dir;
  static const std::string path = [] {
    make_keys({keygen("rsa", "", "cn-test rsa", dir / "user_rsa")});
    return dir / "user_rsa";
  }();
  return path;
}

std::string current_user() {
  const passwd *entry = ::getpwuid(::getuid());
  if (!entry) throw std::runtime_error("the user running the tests (uid " + std::to_string(::getuid()) +
                                       ") has no passwd entry, so sshd cannot log them in");
  return entry->pw_name;
}

// Without PAM, sshd refuses every login, keys included, to an account whose
// shadow password is locked ('!...', as useradd leaves it), and only root
// can see that. PAM's account checks allow such logins, but PAM's session
// modules can fail in containers (pam_loginuid, for one), so it is used only
// when it must be.
bool needs_pam(const std::string &user) {
  if (::geteuid() != 0) return false;
  const spwd *shadow = ::getspnam(user.c_str());
  return shadow && shadow->sp_pwdp && shadow->sp_pwdp[0] == '!';
}

// As root, sshd chroots its pre-authentication process there and exits if
// it is missing; the system creates it only when it starts its own sshd.
void ensure_privilege_separation_dir() {
  if (::geteuid() != 0) return;
  if (::mkdir(kPrivilegeSeparationDir.c_str(), 0755) == 0) {
    ::chmod(kPrivilegeSeparationDir.c_str(), 0755);  // whatever our umask
  } else if (errno != EEXIST) {
    throw std::runtime_error("cannot create " + kPrivilegeSeparationDir + ": " + std::strerror(errno));
  }
}

// Each setting is there because a test relies on it, or because sshd's
// default would get in the way of a throwaway server.
std::string sshd_config(const TempDir &dir, int port, const std::string &user) {
  std::ostringstream config;
  config << "ListenAddress 127.0.0.1:" << port << "\n"
         << "HostKey " << (dir / "host_key") << "\n"
         << "PidFile " << (dir / "sshd.pid") << "\n"
         << "AuthorizedKeysFile " << (dir / "authorized_keys") << "\n"
         // The temporary directory's owner and modes are not those of a home.
         << "StrictModes no\n"
         << "PasswordAuthentication no\n"
         << "KbdInteractiveAuthentication no\n"
         << "PubkeyAuthentication yes\n"
         << "AllowTcpForwarding yes\n"
         // The tests run as root in CI.
         << "PermitRootLogin prohibit-password\n"
         << "UsePAM " << (needs_pam(user) ? "yes" : "no") << "\n"
         << "PrintMotd no\n"
         << "PrintLastLog no\n"
         // Logs each key offered and accepted, which tests look for.
         << "LogLevel VERBOSE\n";
  return config.str();
}

struct ProcessStatus {
  char state = 0;  // 'T' when stopped, 'Z' when a zombie
  pid_t parent = 0;
  unsigned long long start_time = 0;  // tells a process from a later one with its PID
};

// From /proc/PID/stat, "PID (COMMAND) STATE PPID ..." with the start time as
// field 22; nullopt once the process is gone.
std::optional<ProcessStatus> process_status(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t command_end = stat.rfind(')');
  if (command_end == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(command_end + 1));
  ProcessStatus status;
  std::string skipped;
  if (!(fields >> status.state >> status.parent)) return std::nullopt;
  for (int field = 5; field < 22; ++field) fields >> skipped;
  if (!(fields >> status.start_time)) return std::nullopt;
  return status;
}

std::map<pid_t, ProcessStatus> all_processes() {
  std::map<pid_t, ProcessStatus> processes;
  std::error_code error;
  for (const fs::directory_entry &entry : fs::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = std::stoi(name);
    if (std::optional<ProcessStatus> status = process_status(pid)) processes.emplace(pid, *status);
  }
  return processes;
}

// A dead process holds no socket any more, even while nobody has reaped it.
bool dead(pid_t pid, unsigned long long start_time) {
  const std::optional<ProcessStatus> status = process_status(pid);
  return !status || status->start_time != start_time || status->state == 'Z' || status->state == 'X';
}

bool stopped_or_dead(pid_t pid, unsigned long long start_time) {
  const std::optional<ProcessStatus> status = process_status(pid);
  return dead(pid, start_time) || (status && (status->state == 'T' || status->state == 't'));
}

using Processes = std::map<pid_t, unsigned long long>;  // PID -> start time

bool every(const Processes &processes, bool (*holds)(pid_t, unsigned long long)) {
  return std::all_of(processes.begin(), processes.end(), [&](const auto &p) { return holds(p.first, p.second); });
}

void wait_until(const std::function<bool()> &done, const std::string &what) {
  if (!poll_until(done, kSafetyTimeout)) throw std::runtime_error("SshServer: timed out waiting for " + what);
}

}  // namespace

SshServer::SshServer() : user_(current_user()) {
  ensure_privilege_separation_dir();
  for (const std::string suffix : {"", ".pub"})
    fs::copy_file(shared_rsa_key() + suffix, private_key_path(KeyType::rsa) + suffix);
  make_keys({
      keygen("ed25519", "", "cn-test host key", dir_ / "host_key"),
      keygen("ed25519", "", "cn-test ed25519", dir_ / key_file(KeyType::ed25519)),
      keygen("ed25519", "", "cn-test unauthorized", dir_ / key_file(KeyType::unauthorized)),
      keygen("ed25519", kPassphrase, "cn-test ed25519 with passphrase",
             dir_ / key_file(KeyType::ed25519_with_passphrase)),
  });
  std::string authorized;
  for (KeyType key : {KeyType::ed25519, KeyType::rsa, KeyType::ed25519_with_passphrase})
    authorized += public_key(private_key_path(key) + ".pub") + "\n";
  write_file(dir_ / "authorized_keys", authorized);

  const ProcessResult fingerprint = run_process({kSshKeygen, "-l", "-E", "sha256", "-f", dir_ / "host_key.pub"});
  std::istringstream fields(fingerprint.out);
  std::string bits;
  if (!fingerprint.exited_with(0) || !(fields >> bits >> host_key_sha256_) || host_key_sha256_.rfind("SHA256:", 0) != 0)
    throw std::runtime_error("ssh-keygen -l gave no fingerprint: " + fingerprint.out + fingerprint.err);

  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    port_ = free_loopback_port();
    write_file(dir_ / "sshd_config", sshd_config(dir_, port_, user_));
    write_file(known_hosts_file(),
               "[127.0.0.1]:" + std::to_string(port_) + " " + public_key(dir_ / "host_key.pub") + "\n");
    if (try_start()) return;
  }
  throw std::runtime_error("sshd found no free port in " + std::to_string(kPortAttempts) +
                           " attempts; the end of its log:\n" + tail(log()));
}

SshServer::~SshServer() {
  try {
    kill9();
  } catch (...) {
    // The Child still kills sshd itself; the rest may outlive us.
  }
}

std::string SshServer::private_key_path(KeyType key) const { return dir_ / key_file(key); }

std::string SshServer::private_key(KeyType key) const { return read_file(private_key_path(key)); }

std::string SshServer::private_key_base64(KeyType key) const { return base64(private_key(key)); }

std::string SshServer::passphrase() const { return kPassphrase; }

std::string SshServer::known_hosts_file() const { return dir_ / "known_hosts"; }

std::string SshServer::other_known_hosts_file() const {
  const std::string path = dir_ / "other_known_hosts";
  if (fs::exists(path)) return path;
  make_keys({keygen("ed25519", "", "cn-test other host key", dir_ / "other_host_key")});
  write_file(path, "[127.0.0.1]:" + std::to_string(port_) + " " + public_key(dir_ / "other_host_key.pub") + "\n");
  return path;
}

std::string SshServer::log() const { return read_file(dir_ / "sshd.log"); }

// sshd's own "listening" line rather than a probe connection: it is logged
// just after listen(), and a probe would leave a stray connection in the log
// that tests read.
bool SshServer::try_start() {
  const std::string log_file = dir_ / "sshd.log";
  const std::size_t log_before = read_file(log_file).size();
  sshd_ = std::make_unique<Child>(std::vector<std::string>{kSshd, "-D", "-e", "-E", log_file, "-f",
                                                           dir_ / "sshd_config"});
  const std::string listening = "Server listening on 127.0.0.1 port " + std::to_string(port_) + ".";
  bool ready = false, port_taken = false;
  poll_until([&] {
    const std::string whole = read_file(log_file);
    const std::string text = whole.substr(std::min(log_before, whole.size()));
    ready = text.find(listening) != std::string::npos;
    port_taken = text.find("Address already in use") != std::string::npos;
    const std::optional<ProcessStatus> status = process_status(sshd_->pid());
    return ready || port_taken || !status || status->state == 'Z';
  }, kSafetyTimeout);
  if (ready) return true;
  sshd_->send_signal(SIGKILL);
  const ProcessResult result = sshd_->wait(kSafetyTimeout);
  sshd_.reset();
  if (port_taken) return false;
  throw std::runtime_error("sshd did not start on port " + std::to_string(port_) + ": " + result.out + result.err +
                           "\nthe end of its log:\n" + tail(log().substr(std::min(log_before, log().size()))));
}

void SshServer::start() {
  if (sshd_) throw std::logic_error("SshServer::start(): sshd is running");
  if (!try_start())
    throw std::runtime_error("sshd could not get its port " + std::to_string(port_) +
                             " back; the end of its log:\n" + tail(log()));
}

// The per-connection processes call setsid() and users' commands run in
// sessions of their own, so neither a process group nor a session reaches
// them all: the parent links in /proc do. Each process is stopped as it is
// found, so that it cannot start one we would miss, and only then are they
// all killed.
void SshServer::kill9() {
  if (!sshd_) return;
  Processes server;
  if (const std::optional<ProcessStatus> master = process_status(sshd_->pid())) {
    ::kill(sshd_->pid(), SIGSTOP);
    server.emplace(sshd_->pid(), master->start_time);
  }
  for (bool found = !server.empty(); found;) {
    wait_until([&] { return every(server, stopped_or_dead); }, "sshd's processes to stop");
    found = false;
    for (const auto &[pid, status] : all_processes())
      if (server.count(status.parent) && !server.count(pid) && status.state != 'Z') {
        ::kill(pid, SIGSTOP);
        server.emplace(pid, status.start_time);
        found = true;
      }
  }
  for (const auto &[pid, start_time] : server)
    if (!dead(pid, start_time)) ::kill(pid, SIGKILL);
  sshd_.reset();  // reaps the listener; the others are orphans for init to reap
  wait_until([&] { return every(server, dead); }, "sshd's killed processes to die");
}

}  // namespace cn::test
