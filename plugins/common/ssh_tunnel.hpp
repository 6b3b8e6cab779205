// Reaching a database that only a bastion host can reach: an SSH session to
// the bastion (libssh) and a loopback port of our own whose every connection
// is forwarded, as a direct-tcpip channel, to the database's host:port as
// the bastion sees it. libpq connects to that port like to any server, so
// the replication connection and the ordinary ones go the same way.
//
// Failures name the hop that failed (the bastion, or the database behind
// it) and say whether trying again can help: an unknown host key or a
// refused user key cannot mend itself; an unreachable bastion or database
// may.
#ifndef CN_PLUGINS_SSH_TUNNEL_HPP
#define CN_PLUGINS_SSH_TUNNEL_HPP

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

namespace cn::plugins {

struct SshTunnelSettings {
  std::string host;  // the bastion
  int port = 22;
  std::string user;
  std::string private_key;  // the key file's text (OpenSSH or PEM); a secret
  std::string passphrase;   // of private_key, "" when it has none; a secret
  // How the bastion's host key is checked: against host_key_sha256 when set
  // ("SHA256:..." as ssh-keygen -l prints it), else against the known_hosts
  // file (libssh's default, ~/.ssh/known_hosts, when empty), unless
  // insecure_skip_host_key_check.
  std::string known_hosts;
  std::string host_key_sha256;
  bool insecure_skip_host_key_check = false;
  int connect_timeout_seconds = 10;  // for the TCP connection, the handshake, each channel opened
};

// Why private_key cannot be used (not a key libssh reads, or the passphrase
// is wrong or missing); "" when it can. Nothing of the key is in the reason.
std::string private_key_problem(const std::string &private_key, const std::string &passphrase);

// A hop of the tunnel that failed. what() names it: "SSH bastion
// HOST:PORT: ..." or "the database DBHOST:DBPORT, through the SSH bastion
// HOST:PORT: ...".
class TunnelError : public std::runtime_error {
 public:
  TunnelError(const std::string &message, bool permanent) : std::runtime_error(message), permanent_(permanent) {}
  // Retrying cannot mend it: the host key does not match, the bastion
  // refuses the key or wants more than a key.
  bool permanent() const { return permanent_; }

 private:
  bool permanent_;
};

class SshTunnel {
 public:
  // Lines for the connector's log: (true, text) for a warning.
  using Log = std::function<void(bool warning, const std::string &text)>;

  // Forwards to database_host:database_port as the bastion resolves it.
  // Connects nothing yet (open() does).
  SshTunnel(SshTunnelSettings settings, std::string database_host, int database_port, Log log);
  // Closes every forwarded connection and the session. Waits for the
  // forwarding thread.
  ~SshTunnel();
  SshTunnel(const SshTunnel &) = delete;
  SshTunnel &operator=(const SshTunnel &) = delete;

  // The loopback port whose connections reach the database, with a session
  // to the bastion up: connects (checks the host key, authenticates) when
  // there is none, or the last one was lost. Throws TunnelError when the
  // bastion cannot be reached or refuses. Thread-safe.
  int open();

  // Why the bastion could not forward a connection accepted since open()
  // last returned, or why the session was lost; "" when nothing failed.
  // For turning libpq's "server closed the connection unexpectedly" into
  // what happened. Thread-safe.
  std::string forwarding_failure() const;

  // "the SSH bastion HOST:PORT", for messages.
  std::string bastion() const;
  // The host key the bastion last offered, "SHA256:..."; "" before open().
  std::string host_key_fingerprint() const;

 private:
  class Forwarder;
  struct Session;
  std::unique_ptr<Session> connect_session();

  SshTunnelSettings settings_;
  std::string database_host_;
  int database_port_;
  Log log_;
  mutable std::mutex mutex_;  // one handshake at a time; forwarder_ and fingerprint_
  std::unique_ptr<Forwarder> forwarder_;
  std::string fingerprint_;
};

}  // namespace cn::plugins

#endif
