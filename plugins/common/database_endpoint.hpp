// A plugin's way to its database while it runs: the connection string of
// the next connection, through the SSH tunnel when there is one (opened, or
// opened again after it was lost, on the way), and a failed attempt told as
// the hop that failed. Owned by the plugin instance; one per database.
#ifndef CN_PLUGINS_DATABASE_ENDPOINT_HPP
#define CN_PLUGINS_DATABASE_ENDPOINT_HPP

#include "database_settings.hpp"
#include "postgres_connection.hpp"
#include "ssh_tunnel.hpp"

#include <cn/plugin.hpp>
#include <pqxx/connection>

#include <memory>
#include <string>

namespace cn::plugins {

// The tunnel's lines into the connector's log. host must outlive the log.
SshTunnel::Log log_to(const cn::Host &host);

class DatabaseEndpoint {
 public:
  // what: "source" or "target", for messages. log: where the tunnel's
  // lines go (a warning at each start when it skips the host key check).
  // Connects nothing yet.
  DatabaseEndpoint(DatabaseSettings settings, const char *what, SshTunnel::Log log);

  // The connection string for a connection to make now: the settings', or,
  // with a tunnel, the same aimed at the tunnel's loopback port (hostaddr
  // and port; host stays, so that TLS checks the server's name). Throws
  // ConnectError when the tunnel cannot reach or log in to the bastion.
  std::string conninfo();

  // A connection. Throws ConnectError naming the hop that failed.
  std::unique_ptr<pqxx::connection> connect();

  // Throws the ConnectError for a connection attempt that failed with
  // libpq's reason: the tunnel's own failure when it could not forward the
  // attempt (the database unreachable from the bastion, the bastion lost),
  // else from_libpq. For code that connects with libpq itself.
  [[noreturn]] void connect_failed(const std::string &libpq_reason) const;

  // The database, for messages: "db:5432", or "db:5432 through the SSH
  // bastion b:22".
  std::string address() const;
  // The tunnel hop's description for --check, once conninfo() opened it:
  // "the SSH bastion b:22 as 'user', host key SHA256:... (checked against
  // ...)"; "" without a tunnel.
  std::string tunnel_description() const;
  bool has_tunnel() const { return tunnel_ != nullptr; }
  const char *what() const { return what_; }

 private:
  DatabaseSettings settings_;
  const char *what_;
  std::unique_ptr<SshTunnel> tunnel_;
};

}  // namespace cn::plugins

#endif
