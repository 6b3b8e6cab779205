#include "postgres_server.hpp"

#include "paths.hpp"
#include "certificates.hpp"
#include "poll.hpp"
#include "ports.hpp"

#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "process.hpp"

namespace cn::test {

namespace {

namespace fs = std::filesystem;

const std::string kPgBin = "/usr/lib/postgresql/15/bin/";
const std::string kServerUser = "postgres";
// Another process may take the free port we found before the server binds it.
constexpr int kPortAttempts = 5;
// Safety net for kill9()'s waits: a signalled process stops at once, and
// PID 1 reaps the orphans of a killed postmaster within a second or two.
constexpr auto kProcessTimeout = std::chrono::seconds(30);

// The defaults: logical decoding on, durability off for speed.
const std::vector<std::pair<std::string, std::string>> kDefaultSettings = {
    {"listen_addresses", "127.0.0.1"}, {"wal_level", "logical"}, {"max_wal_senders", "10"},
    {"max_replication_slots", "10"},   {"fsync", "off"},         {"synchronous_commit", "off"},
    {"full_page_writes", "off"},
};

// Written rather than left to initdb, so that replication over TCP is
// certain to be allowed.
const char kPgHba[] =
    "local all         all              trust\n"
    "host  all         all 127.0.0.1/32 trust\n"
    "local replication all              trust\n"
    "host  replication all 127.0.0.1/32 trust\n";

bool running_as_root() { return ::geteuid() == 0; }

std::string find_runuser() {
  for (const char *path : {"/usr/sbin/runuser", "/sbin/runuser"})
    if (::access(path, X_OK) == 0) return path;
  throw std::runtime_error("runuser not found: it is needed to run PostgreSQL as " + kServerUser + " when root");
}

// PostgreSQL refuses to run as root, so as root its programs run as the
// server user.
std::vector<std::string> as_server_user(std::vector<std::string> argv) {
  if (!running_as_root()) return argv;
  static const std::string runuser = find_runuser();
  argv.insert(argv.begin(), {runuser, "-u", kServerUser, "--"});
  return argv;
}

std::string output_of(const ProcessResult &result) { return result.out + result.err; }

void write_file(const fs::path &path, const std::string &text, std::ios::openmode mode = std::ios::trunc) {
  std::ofstream out(path, std::ios::binary | mode);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

// The server user may own everything only when we are root; then it must.
void give_to_server_user(const fs::path &root) {
  if (!running_as_root()) return;
  const passwd *user = ::getpwnam(kServerUser.c_str());
  if (!user) throw std::runtime_error("no " + kServerUser + " user to run PostgreSQL as");
  auto give = [&](const fs::path &path) {
    if (::lchown(path.c_str(), user->pw_uid, user->pw_gid) != 0)
      throw std::runtime_error("chown " + path.string() + ": " + std::strerror(errno));
  };
  give(root);
  for (const fs::directory_entry &entry : fs::recursive_directory_iterator(root)) give(entry.path());
}

// A postgresql.conf value: quoting suits every type of setting.
std::string conf_value(const std::string &value) {
  std::string quoted = "'";
  for (char c : value) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return quoted + "'";
}

// A libpq keyword/value value, quoted only when it has to be.
std::string conninfo_value(const std::string &value) {
  if (!value.empty() && value.find_first_of(" '\\") == std::string::npos) return value;
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

std::string percent_encode(const std::string &text) {
  static const char hex[] = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += hex[c >> 4];
      encoded += hex[c & 15];
    }
  }
  return encoded;
}

std::string sql_identifier(const std::string &name) {
  std::string quoted = "\"";
  for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// Whether the process exists, zombies included: a new postmaster refuses to
// start while the PID in postmaster.pid exists.
bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

struct ProcessStatus {
  char state = 0;  // 'T' when stopped, 'Z' when a zombie
  pid_t parent = 0;
};

// From /proc/PID/stat, "PID (COMMAND) STATE PPID ..."; nullopt once the
// process is gone.
std::optional<ProcessStatus> process_status(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  std::istringstream after_command(stat.substr(stat.rfind(')') + 1));
  ProcessStatus status;
  if (stat.empty() || !(after_command >> status.state >> status.parent)) return std::nullopt;
  return status;
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> children;
  for (const fs::directory_entry &entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::optional<ProcessStatus> status = process_status(std::stoi(name));
    if (status && status->parent == parent) children.push_back(std::stoi(name));
  }
  return children;
}

// Polls for what another process does, which we can only watch.
void wait_until(const std::function<bool()> &done, const std::string &what) {
  if (!poll_until(done, kProcessTimeout)) throw std::runtime_error("timed out waiting for " + what);
}

// A directory of our own in /tmp: the server user can reach it (TMPDIR
// might be private to us) and Unix socket paths in it stay short.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = "/tmp/cn-pg-XXXXXX";
    if (!::mkdtemp(pattern.data())) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
    path_ = pattern;
  }
  ~ScratchDir() {
    // Retried because the server may still be deleting its socket files.
    std::error_code error;
    for (int attempt = 0; attempt < 3; ++attempt)
      if (fs::remove_all(path_, error) != static_cast<std::uintmax_t>(-1) && !error) return;
  }
  ScratchDir(const ScratchDir &) = delete;
  ScratchDir &operator=(const ScratchDir &) = delete;
  const std::string &path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

struct PostgresServer::Impl {
  explicit Impl(const Options &options);
  ~Impl();

  void init_cluster() const;
  void configure(const Options &options) const;
  void make_certificates() const;
  void start_on_a_free_port();
  bool try_start();  // false when the port was taken
  void start();
  void stop(const std::string &mode);
  pid_t postmaster_pid() const;
  void remove_crashed_shared_memory() const noexcept;
  std::string failure(const std::string &what, const ProcessResult &result) const;

  ScratchDir dir;
  const std::string data = dir.path() + "/data";
  const std::string log = dir.path() + "/server.log";
  const std::string ca_cert = dir.path() + "/ca.crt";
  const bool tls;
  int port = 0;
};

PostgresServer::Impl::Impl(const Options &options) : tls(options.tls) {
  give_to_server_user(dir.path());
  init_cluster();
  configure(options);
  if (tls) make_certificates();
  give_to_server_user(dir.path());
  start_on_a_free_port();
}

PostgresServer::Impl::~Impl() {
  try {
    stop("immediate");
  } catch (...) {
    // Already stopped, or crashed by kill9().
    remove_crashed_shared_memory();
  }
}

// A crashed server leaves its System V shared memory segment behind, which
// only the next start of the server would remove. postmaster.pid names it
// on line 7: "KEY ID".
void PostgresServer::Impl::remove_crashed_shared_memory() const noexcept {
  std::ifstream pid_file(data + "/postmaster.pid");
  std::string line;
  pid_t postmaster = 0;
  if (!(pid_file >> postmaster) || process_exists(postmaster)) return;
  for (int skipped = 0; skipped < 6; ++skipped) std::getline(pid_file, line);  // to line 7
  unsigned long key = 0;
  int id = -1;
  if (pid_file >> key >> id) ::shmctl(id, IPC_RMID, nullptr);
}

void PostgresServer::Impl::init_cluster() const {
  ProcessResult result = run_process(as_server_user({kPgBin + "initdb", "-D", data, "-U", "postgres", "--auth=trust",
                                                     "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"}));
  if (!result.exited_with(0)) throw std::runtime_error("initdb failed:\n" + output_of(result));
}

// In postgresql.conf rather than on the command line, so that a restart by
// anyone keeps them; later lines override earlier ones.
void PostgresServer::Impl::configure(const Options &options) const {
  std::string conf = "\n# cn::test::PostgresServer\n";
  auto set = [&](const std::string &name, const std::string &value) { conf += name + " = " + conf_value(value) + "\n"; };
  set("unix_socket_directories", dir.path());
  for (const auto &[name, value] : kDefaultSettings) set(name, value);
  if (tls) {
    set("ssl", "on");
    set("ssl_cert_file", data + "/server.crt");
    set("ssl_key_file", data + "/server.key");
  }
  for (const auto &[name, value] : options.settings) set(name, value);
  write_file(data + "/postgresql.conf", conf, std::ios::app);
  write_file(data + "/pg_hba.conf", kPgHba);
}

void PostgresServer::Impl::make_certificates() const {
  make_test_certificates("cn_test PostgresServer CA", ca_cert, data + "/server.crt", data + "/server.key");
}

void PostgresServer::Impl::start_on_a_free_port() {
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    port = free_loopback_port();
    if (try_start()) return;
  }
  throw std::runtime_error("PostgreSQL found no free port in " + std::to_string(kPortAttempts) +
                           " attempts; its log:\n" + read_file(log));
}

bool PostgresServer::Impl::try_start() {
  std::uintmax_t log_before = fs::exists(log) ? fs::file_size(log) : 0;
  ProcessResult result = run_process(as_server_user(
      {kPgBin + "pg_ctl", "start", "-w", "-s", "-D", data, "-l", log, "-o", "-p " + std::to_string(port)}));
  if (result.exited_with(0)) return true;
  // pg_ctl -w may give up on a server that then comes up after all.
  try {
    stop("immediate");
  } catch (const std::runtime_error &) {
    // Not running: the usual case.
  }
  if (read_file(log).substr(log_before).find("Address already in use") != std::string::npos) return false;
  throw std::runtime_error(failure("PostgreSQL did not start", result));
}

void PostgresServer::Impl::start() {
  if (!try_start()) throw std::runtime_error("PostgreSQL could not get its port " + std::to_string(port) + " back");
}

void PostgresServer::Impl::stop(const std::string &mode) {
  ProcessResult result = run_process(as_server_user({kPgBin + "pg_ctl", "stop", "-w", "-s", "-D", data, "-m", mode}));
  if (!result.exited_with(0)) throw std::runtime_error(failure("pg_ctl stop -m " + mode + " failed", result));
}

pid_t PostgresServer::Impl::postmaster_pid() const {
  std::ifstream pid_file(data + "/postmaster.pid");
  pid_t pid = 0;
  if (!(pid_file >> pid) || pid <= 0) throw std::runtime_error("PostgreSQL is not running (no postmaster.pid)");
  return pid;
}

std::string PostgresServer::Impl::failure(const std::string &what, const ProcessResult &result) const {
  return what + ":\n" + output_of(result) + "\nserver log " + log + ":\n" + read_file(log);
}

PostgresServer::PostgresServer() : PostgresServer(Options{}) {}

PostgresServer::PostgresServer(const Options &options) : impl_(new Impl(options)) {}

PostgresServer::~PostgresServer() { delete impl_; }

int PostgresServer::port() const { return impl_->port; }

const std::string &PostgresServer::directory() const { return impl_->dir.path(); }

const std::string &PostgresServer::data_directory() const { return impl_->data; }

std::string PostgresServer::conninfo(const std::string &dbname) const {
  return "host=127.0.0.1 port=" + std::to_string(impl_->port) + " user=postgres dbname=" + conninfo_value(dbname);
}

std::string PostgresServer::url(const std::string &dbname) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(impl_->port) + "/" + percent_encode(dbname);
}

std::string PostgresServer::ca_certificate() const {
  if (!impl_->tls) throw std::logic_error("ca_certificate(): this PostgresServer was made without Options::tls");
  return impl_->ca_cert;
}

void PostgresServer::create_database(const std::string &name) { psql("CREATE DATABASE " + sql_identifier(name)); }

std::string PostgresServer::psql(const std::string &sql, const std::string &dbname) const {
  ProcessResult result =
      run_process({kPgBin + "psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo(dbname)}, sql);
  if (!result.exited_with(0)) throw std::runtime_error("psql failed: " + result.err);
  return result.out;
}

void PostgresServer::stop() { impl_->stop("fast"); }

void PostgresServer::start() { impl_->start(); }

void PostgresServer::restart() {
  stop();
  start();
}

// Its backends are killed too, so that the crash is immediate for clients
// and no backend is left attached to the old shared memory, which would
// keep the next postmaster from starting.
void PostgresServer::kill9() {
  pid_t postmaster = impl_->postmaster_pid();
  // Stopped, the postmaster cannot fork a backend we would miss.
  if (::kill(postmaster, SIGSTOP) != 0)
    throw std::runtime_error("cannot stop the postmaster " + std::to_string(postmaster) + ": " + std::strerror(errno));
  wait_until([&] { return process_status(postmaster).value_or(ProcessStatus{}).state == 'T'; },
             "the postmaster to stop");
  std::vector<pid_t> server = children_of(postmaster);
  server.push_back(postmaster);
  for (pid_t pid : server) ::kill(pid, SIGKILL);
  wait_until([&] { return std::none_of(server.begin(), server.end(), process_exists); },
             "the killed PostgreSQL processes to be reaped");
}

}  // namespace cn::test
