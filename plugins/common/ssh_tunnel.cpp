#include "ssh_tunnel.hpp"

#include <libssh/libssh.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace cn::plugins {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kChunk = 64 * 1024;

// A fingerprint as users write it: with or without "SHA256:" and padding.
std::string without_prefix(const std::string &fingerprint) {
  std::string text = fingerprint.rfind("SHA256:", 0) == 0 ? fingerprint.substr(7) : fingerprint;
  while (!text.empty() && text.back() == '=') text.pop_back();
  return text;
}

// "ed25519 key SHA256:...", "" when the bastion's key cannot be read.
struct HostKey {
  std::string type, fingerprint;
};

HostKey host_key_of(ssh_session ssh) {
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(ssh, &key) != SSH_OK) return {};
  HostKey host_key;
  if (const char *type = ssh_key_type_to_char(ssh_key_type(key))) host_key.type = type;
  unsigned char *hash = nullptr;
  size_t length = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == SSH_OK) {
    char *text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
    if (text) host_key.fingerprint = text;
    ssh_string_free_char(text);
    ssh_clean_pubkey_hash(&hash);
  }
  ssh_key_free(key);
  return host_key;
}

// Never a prompt: without this, OpenSSL asks the terminal (or reads
// standard input, where records may be) for an encrypted PEM key's
// passphrase.
int refuse_to_prompt(const char *, char *, size_t, int, int, void *) { return SSH_ERROR; }

ssh_key import_key(const std::string &private_key, const std::string &passphrase) {
  ssh_key key = nullptr;
  if (ssh_pki_import_privkey_base64(private_key.c_str(), passphrase.empty() ? nullptr : passphrase.c_str(),
                                    refuse_to_prompt, nullptr, &key) != SSH_OK)
    return nullptr;
  return key;
}

// A session libssh gave up on (a closed socket, a bad packet) even while
// ssh_is_connected() still says yes.
bool session_alive(ssh_session ssh) {
  return ssh_is_connected(ssh) && !(ssh_get_status(ssh) & (SSH_CLOSED | SSH_CLOSED_ERROR));
}

// A dead bastion must be noticed even when no byte is on its way (a network
// cut sends no reset): TCP keepalives, and a bound on unacknowledged data.
void watch_for_silence(int fd) {
  const int on = 1, idle = 15, interval = 5, count = 3;
  const unsigned int user_timeout_ms = 30000;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
  setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
}

std::string system_error(const char *what) { return std::string(what) + ": " + std::strerror(errno); }

}  // namespace

std::string private_key_problem(const std::string &private_key, const std::string &passphrase) {
  if (ssh_key key = import_key(private_key, passphrase)) {
    ssh_key_free(key);
    return "";
  }
  return "not a private key libssh can read (an OpenSSH or PEM key file), or its passphrase is " +
         std::string(passphrase.empty() ? "missing (ssh_tunnel.passphrase)" : "wrong");
}

// ---- the session -----------------------------------------------------------

struct SshTunnel::Session {
  ssh_session ssh = ssh_new();
  std::string fingerprint;
  ~Session() {
    if (ssh_is_connected(ssh)) ssh_disconnect(ssh);
    ssh_free(ssh);
  }
};

std::string SshTunnel::bastion() const {
  return "the SSH bastion " + settings_.host + ":" + std::to_string(settings_.port);
}

std::unique_ptr<SshTunnel::Session> SshTunnel::connect_session() {
  auto session = std::make_unique<Session>();
  ssh_session ssh = session->ssh;
  if (!ssh) throw TunnelError("cannot start an SSH session: out of memory", false);
  const long timeout = settings_.connect_timeout_seconds;
  const int nodelay = 1;
  const bool process_config = false;
  // The tunnel is what connect.yml says, not what ~/.ssh/config adds; a
  // known_hosts file named there is the only one that counts.
  if (ssh_options_set(ssh, SSH_OPTIONS_HOST, settings_.host.c_str()) != SSH_OK ||
      ssh_options_set(ssh, SSH_OPTIONS_PORT, &settings_.port) != SSH_OK ||
      ssh_options_set(ssh, SSH_OPTIONS_USER, settings_.user.c_str()) != SSH_OK ||
      ssh_options_set(ssh, SSH_OPTIONS_TIMEOUT, &timeout) != SSH_OK ||
      ssh_options_set(ssh, SSH_OPTIONS_NODELAY, &nodelay) != SSH_OK ||  // a commit's few bytes must not wait
      ssh_options_set(ssh, SSH_OPTIONS_PROCESS_CONFIG, &process_config) != SSH_OK ||
      (!settings_.known_hosts.empty() &&
       (ssh_options_set(ssh, SSH_OPTIONS_KNOWNHOSTS, settings_.known_hosts.c_str()) != SSH_OK ||
        ssh_options_set(ssh, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") != SSH_OK)))
    throw TunnelError("cannot set up the SSH session to " + bastion() + ": " + ssh_get_error(ssh), true);

  if (ssh_connect(ssh) != SSH_OK) throw TunnelError("cannot reach " + bastion() + ": " + ssh_get_error(ssh), false);
  const HostKey host_key = host_key_of(ssh);
  if (host_key.fingerprint.empty())
    throw TunnelError("cannot read the host key " + bastion() + " offered: " + ssh_get_error(ssh), false);
  session->fingerprint = host_key.fingerprint;
  const std::string offered = "offered the " + host_key.type + " host key " + host_key.fingerprint;
  if (settings_.insecure_skip_host_key_check) {
    log_(true, bastion() + " " + offered + ", which is not checked (ssh_tunnel.insecure_skip_host_key_check):"
                           " whoever sits between here and the bastion can read and change the database traffic");
  } else if (!settings_.host_key_sha256.empty()) {
    if (without_prefix(settings_.host_key_sha256) != without_prefix(host_key.fingerprint))
      throw TunnelError(bastion() + " " + offered + ", not the one ssh_tunnel.host_key_sha256 pins (" +
                            settings_.host_key_sha256 + "): if the bastion's key was changed, pin the new one",
                        true);
  } else {
    const std::string files = settings_.known_hosts.empty() ? "~/.ssh/known_hosts (or /etc/ssh/ssh_known_hosts)"
                                                            : settings_.known_hosts;
    switch (ssh_session_is_known_server(ssh)) {
      case SSH_KNOWN_HOSTS_OK: break;
      case SSH_KNOWN_HOSTS_CHANGED:
      case SSH_KNOWN_HOSTS_OTHER:
        throw TunnelError(bastion() + " " + offered + ", but " + files + " lists another key for it: if the"
                              " bastion's key was changed, replace its line; else someone may be between here and"
                              " the bastion",
                          true);
      case SSH_KNOWN_HOSTS_NOT_FOUND:
      case SSH_KNOWN_HOSTS_UNKNOWN:
        throw TunnelError(bastion() + " " + offered + ", which " + files + " does not list: add the bastion's key" +
                              " there, or pin it with ssh_tunnel.host_key_sha256: " + host_key.fingerprint,
                          true);
      case SSH_KNOWN_HOSTS_ERROR:
        throw TunnelError("cannot check " + bastion() + "'s host key against " + files + ": " + ssh_get_error(ssh),
                          true);
    }
  }

  ssh_key key = import_key(settings_.private_key, settings_.passphrase);
  if (!key)
    throw TunnelError("ssh_tunnel.private_key: " + private_key_problem(settings_.private_key, settings_.passphrase),
                      true);
  const int auth = ssh_userauth_publickey(ssh, nullptr, key);
  ssh_key_free(key);
  switch (auth) {
    case SSH_AUTH_SUCCESS: break;
    case SSH_AUTH_DENIED:
      throw TunnelError(bastion() + " refused the key (ssh_tunnel.private_key) for the user '" + settings_.user +
                            "': is its public key in that user's authorized_keys on the bastion?",
                        true);
    case SSH_AUTH_PARTIAL:
      throw TunnelError(bastion() + " accepted the key for '" + settings_.user +
                            "' but asks for more (another factor), which the tunnel cannot give",
                        true);
    default:
      throw TunnelError("lost " + bastion() + " while authenticating: " + ssh_get_error(ssh), false);
  }
  watch_for_silence(ssh_get_fd(ssh));
  return session;
}

// ---- forwarding ------------------------------------------------------------

// The thread that owns the listening socket, every forwarded connection and
// the session it was handed (libssh wants a session used by one thread at a
// time). Bytes move only as fast as the slower side takes them: a client is
// read no further than its channel's window, and a channel no further than
// the client's socket accepts, so a stalled connection holds up no other
// (a write waits only for the SSH connection itself, which all share).
// Channels open without waiting for the bastion's answer.
class SshTunnel::Forwarder {
 public:
  explicit Forwarder(const SshTunnel &tunnel) : tunnel_(tunnel) {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 ||
        listen(listener_, 64) != 0 || getsockname(listener_, reinterpret_cast<sockaddr *>(&address), &length) != 0 ||
        (wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
      const std::string reason = system_error("cannot listen on a loopback port for the SSH tunnel");
      close_fds();
      throw TunnelError(reason, false);
    }
    port_ = ntohs(address.sin_port);
    try {
      thread_ = std::thread([this] { run(); });
    } catch (...) {
      close_fds();
      throw;
    }
  }

  ~Forwarder() {
    stop_ = true;
    wake();
    thread_.join();
    close_fds();
  }

  int port() const { return port_; }

  bool session_up() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return up_;
  }

  void adopt(std::unique_ptr<Session> session) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      handed_ = std::move(session);
      up_ = true;
      failure_.clear();
    }
    wake();
  }

  std::string failure() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return failure_;
  }

  void clear_failure() {
    std::lock_guard<std::mutex> lock(mutex_);
    failure_.clear();
  }

 private:
  struct Forward {
    int client;  // the accepted socket (libpq's connection); -1 once given up
    ssh_channel channel;
    bool open = false;             // the bastion confirmed the channel
    Clock::time_point open_until;  // while not open: when to give up on the bastion's answer
    std::string to_client;         // read from the channel, not yet taken by the client
    bool done = false;
  };

  void close_fds() {
    if (wake_ >= 0) close(wake_);
    if (listener_ >= 0) close(listener_);
  }

  void wake() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t ignored = write(wake_, &one, sizeof one);
  }

  void fail(const std::string &why) {
    std::lock_guard<std::mutex> lock(mutex_);
    failure_ = why;
  }

  std::string database() const {
    return "the database " + tunnel_.database_host_ + ":" + std::to_string(tunnel_.database_port_) + " behind " +
           tunnel_.bastion();
  }

  void run() {
    while (!stop_) {
      take_handed_session();
      std::vector<pollfd> fds{{wake_, POLLIN, 0}, {listener_, POLLIN, 0}};
      bool waiting_for_answers = false, channel_data = false;
      if (session_) {
        const bool output_pending = ssh_get_status(session_->ssh) & SSH_WRITE_PENDING;
        fds.push_back({ssh_get_fd(session_->ssh), static_cast<short>(POLLIN | (output_pending ? POLLOUT : 0)), 0});
      }
      const std::size_t first_forward = fds.size();
      for (Forward &f : forwards_) {
        short events = f.to_client.empty() ? 0 : POLLOUT;
        if (f.open && f.client >= 0 && ssh_channel_window_size(f.channel) > 0) events |= POLLIN;
        // poll() reports a reset socket even for no events: leave it out
        // until there is something to do with it, or it would spin.
        fds.push_back({events ? f.client : -1, events, 0});
        waiting_for_answers |= !f.open;
        channel_data |= f.open && f.to_client.empty() && ssh_channel_poll(f.channel, 0) > 0;
      }
      const int timeout_ms = channel_data ? 0 : waiting_for_answers ? 100 : 1000;
      if (poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR && errno != ENOMEM) {
        fail(system_error("the SSH tunnel stopped forwarding"));
        break;
      }
      if (fds[0].revents) {
        uint64_t count;
        [[maybe_unused]] ssize_t ignored = read(wake_, &count, sizeof count);
      }
      if (session_ && fds[2].revents && ssh_event_dopoll(event_, 0) == SSH_ERROR) {
        lose_session();
        continue;
      }
      std::size_t i = first_forward;
      for (Forward &f : forwards_)
        if (fds[i++].revents & (POLLIN | POLLHUP | POLLERR)) to_bastion(f);
      for (Forward &f : forwards_) f.open ? to_client(f) : await_answer(f);
      if (session_ && !session_alive(session_->ssh)) {
        lose_session();
        continue;
      }
      forwards_.remove_if([](Forward &f) {
        if (!f.done) return false;
        if (f.client >= 0) close(f.client);
        ssh_channel_free(f.channel);
        return true;
      });
      if (fds[1].revents & POLLIN) accept_clients();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      up_ = false;
    }
    drop_session();
  }

  void take_handed_session() {
    std::unique_ptr<Session> handed;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      handed = std::move(handed_);
    }
    if (!handed) return;
    drop_session();
    session_ = std::move(handed);
    event_ = ssh_event_new();
    ssh_event_add_session(event_, session_->ssh);
  }

  // Every forwarded connection is closed, so that libpq sees its connection
  // lost and the plugin retries; the next open() connects again.
  void lose_session() {
    fail("lost the connection to " + tunnel_.bastion() + ": " + ssh_get_error(session_->ssh));
    {
      std::lock_guard<std::mutex> lock(mutex_);
      up_ = false;
    }
    drop_session();
  }

  void drop_session() {
    for (Forward &f : forwards_) {
      if (f.client >= 0) close(f.client);
      ssh_channel_free(f.channel);
    }
    forwards_.clear();
    if (event_) {
      ssh_event_remove_session(event_, session_->ssh);
      ssh_event_free(event_);
      event_ = nullptr;
    }
    session_.reset();
  }

  // The client's bytes, no more than the channel's window takes, so that
  // ssh_channel_write never waits for the bastion's window.
  void to_bastion(Forward &f) {
    char buffer[kChunk];
    const std::size_t window = ssh_channel_window_size(f.channel);
    if (window == 0 || f.done || f.client < 0) return;
    const ssize_t n = recv(f.client, buffer, std::min(window, sizeof buffer), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    // The client closed (libpq never half-closes) or failed: so does the channel.
    if (n <= 0 || ssh_channel_write(f.channel, buffer, static_cast<uint32_t>(n)) != n) f.done = true;
  }

  // The channel's bytes, while the client's socket takes them.
  void to_client(Forward &f) {
    char buffer[kChunk];
    while (!f.done) {
      if (!f.to_client.empty()) {
        const ssize_t n = send(f.client, f.to_client.data(), f.to_client.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n < 0) {
          f.done = true;
          return;
        }
        f.to_client.erase(0, static_cast<std::size_t>(n));
        if (!f.to_client.empty()) return;
      }
      const int n = ssh_channel_read_nonblocking(f.channel, buffer, sizeof buffer, 0);
      if (n > 0) {
        f.to_client.assign(buffer, static_cast<std::size_t>(n));
      } else {
        // The database closed its side (or the channel failed): close ours.
        if (n < 0 || ssh_channel_is_eof(f.channel) || ssh_channel_is_closed(f.channel)) f.done = true;
        return;
      }
    }
  }

  // Asks the bastion to open f's channel, without waiting: true once it
  // answered (open, or refused and f done).
  bool request_channel(Forward &f) {
    ssh_set_blocking(session_->ssh, 0);
    const int rc = ssh_channel_open_forward(f.channel, tunnel_.database_host_.c_str(), tunnel_.database_port_,
                                            "127.0.0.1", port_);
    ssh_set_blocking(session_->ssh, 1);
    if (rc == SSH_AGAIN) return false;
    if (rc != SSH_OK && !session_alive(session_->ssh)) {  // the loop tells the session's loss
      f.done = true;
      return true;
    }
    if (rc == SSH_OK) {
      f.open = true;
      if (f.client < 0) f.done = true;  // given up on meanwhile: closed now that it can be
      return true;
    }
    // Told before the client learns it, so that its connect_failed() finds it.
    if (f.client >= 0) fail("cannot reach " + database() + ", which refused to forward the connection: " +
                            ssh_get_error(session_->ssh));
    f.done = true;
    return true;
  }

  // A channel the bastion has not answered for yet. Past open_until the
  // client is let go, and the channel kept until the answer comes, so that
  // the bastion's side is closed too.
  void await_answer(Forward &f) {
    if (request_channel(f) || f.client < 0 || Clock::now() < f.open_until) return;
    fail("cannot reach " + database() + ": the bastion did not answer within " +
         std::to_string(tunnel_.settings_.connect_timeout_seconds) + " s");
    close(f.client);
    f.client = -1;
  }

  void accept_clients() {
    for (;;) {
      const int client = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (client < 0) return;
      take_handed_session();  // open() may have handed one just before this client came
      ssh_channel channel = session_ ? ssh_channel_new(session_->ssh) : nullptr;
      if (!channel) {
        fail(session_ ? "cannot open a channel to " + tunnel_.bastion() + ": " + ssh_get_error(session_->ssh)
                      : "no connection to " + tunnel_.bastion());
        close(client);
        continue;
      }
      Forward &f = forwards_.emplace_back();
      f.client = client;
      f.channel = channel;
      f.open_until = Clock::now() + std::chrono::seconds(tunnel_.settings_.connect_timeout_seconds);
      request_channel(f);
    }
  }

  const SshTunnel &tunnel_;
  int listener_ = -1, wake_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;

  mutable std::mutex mutex_;
  std::unique_ptr<Session> handed_;  // by open(), for the thread to take
  bool up_ = false;                  // a session is handed or in use, not lost
  std::string failure_;

  // The thread's own.
  std::unique_ptr<Session> session_;
  ssh_event event_ = nullptr;
  std::list<Forward> forwards_;
};

// ---- the tunnel ------------------------------------------------------------

SshTunnel::SshTunnel(SshTunnelSettings settings, std::string database_host, int database_port, Log log)
    : settings_(std::move(settings)),
      database_host_(std::move(database_host)),
      database_port_(database_port),
      log_(std::move(log)) {}

SshTunnel::~SshTunnel() = default;

int SshTunnel::open() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!forwarder_) forwarder_ = std::make_unique<Forwarder>(*this);
  if (!forwarder_->session_up()) {
    std::unique_ptr<Session> session = connect_session();
    fingerprint_ = session->fingerprint;
    forwarder_->adopt(std::move(session));
  }
  forwarder_->clear_failure();
  return forwarder_->port();
}

std::string SshTunnel::forwarding_failure() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return forwarder_ ? forwarder_->failure() : "";
}

std::string SshTunnel::host_key_fingerprint() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fingerprint_;
}

}  // namespace cn::plugins
