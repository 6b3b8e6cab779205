// A throwaway OpenSSH server (the system's /usr/sbin/sshd) for the SSH
// tunnel's integration tests: a bastion on a free loopback port, with its own
// host key, configuration, user keys and log in a temporary directory,
// killed (with every connection it serves) and deleted when the object goes
// away. Only public-key logins of the user running the tests are possible:
// sshd can only become someone else when it runs as root, and a test that
// logs in as another user would depend on the machine's accounts.
#ifndef CN_TEST_SSH_SERVER_HPP
#define CN_TEST_SSH_SERVER_HPP

#include "paths.hpp"

#include <memory>
#include <string>

namespace cn::test {

class Child;

class SshServer {
 public:
  // The user keys made for each server, all in OpenSSH's own private key
  // format, as ssh-keygen writes it.
  enum class KeyType {
    ed25519,                  // authorized
    rsa,                      // authorized; 3072 bits, the same for every server of the process
    unauthorized,             // ed25519, refused: for "the server said no"
    ed25519_with_passphrase,  // authorized; encrypted with passphrase()
  };

  // Makes the keys and starts sshd on a free 127.0.0.1 port, returning once
  // it accepts connections. As root, creates /run/sshd (sshd's privilege
  // separation directory) if missing. Throws std::runtime_error with the end
  // of sshd's log if it does not start.
  SshServer();
  // Kills the server as kill9() does, then removes the directory; never
  // throws.
  ~SshServer();
  SshServer(const SshServer &) = delete;
  SshServer &operator=(const SshServer &) = delete;

  // Where to connect: "127.0.0.1" and the port, the same for the object's
  // whole life (start() reuses it).
  std::string host() const { return "127.0.0.1"; }
  int port() const { return port_; }
  // The one user who may log in: the one running the tests.
  std::string user() const { return user_; }

  // The private key file's content and path (the file stays until the
  // object goes away).
  std::string private_key(KeyType key) const;
  std::string private_key_path(KeyType key) const;
  // The key file's bytes in base64, on one line without a newline: how users
  // hand a key to the connector's configuration.
  std::string private_key_base64(KeyType key) const;
  // What decrypts KeyType::ed25519_with_passphrase. Distinctive, so that a
  // test can search logs and output for it.
  std::string passphrase() const;

  // The host key's fingerprint exactly as OpenSSH prints it:
  // "SHA256:" and unpadded base64.
  std::string host_key_sha256() const { return host_key_sha256_; }
  // A known_hosts file naming this server's host key for [127.0.0.1]:PORT,
  // unhashed.
  std::string known_hosts_file() const;
  // A known_hosts file naming a different host key for the same
  // [127.0.0.1]:PORT, for "the host key has changed"; made on the first call.
  std::string other_known_hosts_file() const;

  // A crash of the bastion: SIGKILLs sshd and every process it has started
  // (the per-connection sshd processes and the users' commands, which run
  // in sessions of their own), and returns once they are all dead, so that
  // the port refuses connections and every session and forwarded
  // connection through the server is broken. Does nothing if not running.
  // Throws std::runtime_error if a process will not die.
  void kill9();
  // Starts sshd again after kill9(), on the same port with the same host
  // key, returning once it accepts connections. Throws std::logic_error if
  // it is running, std::runtime_error (with the end of its log) if it does
  // not start, for instance because another process took the port.
  void start();

  // Everything sshd has logged (LogLevel VERBOSE) since the constructor,
  // across restarts; for tests that look for a login, or that a secret was
  // never sent.
  std::string log() const;

 private:
  bool try_start();  // false when the port was taken

  TempDir dir_;
  std::string user_;
  int port_ = 0;
  std::string host_key_sha256_;
  std::unique_ptr<Child> sshd_;
};

}  // namespace cn::test

#endif
