#include "database_endpoint.hpp"

#include "postgres_errors.hpp"

namespace cn::plugins {

SshTunnel::Log log_to(const cn::Host &host) {
  return [&host](bool warning, const std::string &text) { warning ? host.warn(text) : host.info(text); };
}

DatabaseEndpoint::DatabaseEndpoint(DatabaseSettings settings, const char *what, SshTunnel::Log log)
    : settings_(std::move(settings)), what_(what) {
  if (settings_.tunnel)
    tunnel_ = std::make_unique<SshTunnel>(*settings_.tunnel, settings_.tunnel_to_host, settings_.tunnel_to_port, log);
}

std::string DatabaseEndpoint::conninfo() {
  if (!tunnel_) return settings_.conninfo;
  int port = 0;
  try {
    port = tunnel_->open();
  } catch (const TunnelError &e) {
    throw ConnectError("cannot open the SSH tunnel to the " + std::string(what_) + " at " +
                           server_address(settings_.conninfo) + ": " + e.what(),
                       e.permanent());
  }
  ConninfoOptions options = conninfo_options(settings_.conninfo);
  options["hostaddr"] = "127.0.0.1";
  options["port"] = std::to_string(port);
  if (!options.count("host")) options["host"] = settings_.tunnel_to_host;
  // The tunnel gives the bastion connect_timeout_seconds to open the
  // forwarded connection, then closes libpq's side with the reason; libpq
  // is given twice that (unless the URL sets its own), so that one attempt
  // ends even if the tunnel never answers: without it, a tunnel that hung
  // held the plugin's open() for good, out of reach of --connect-timeout.
  options.emplace("connect_timeout", std::to_string(2 * settings_.tunnel->connect_timeout_seconds));
  return conninfo_text(options);
}

std::unique_ptr<pqxx::connection> DatabaseEndpoint::connect() {
  const std::string info = conninfo();
  try {
    return std::make_unique<pqxx::connection>(info);
  } catch (const pqxx::broken_connection &e) {
    connect_failed(message_of(e));
  }
}

void DatabaseEndpoint::connect_failed(const std::string &libpq_reason) const {
  if (tunnel_)
    if (const std::string failure = tunnel_->forwarding_failure(); !failure.empty())
      throw ConnectError("cannot reach the " + std::string(what_) + ": " + failure, false);
  throw ConnectError::from_libpq(what_, address(), settings_.given_as, libpq_reason);
}

std::string DatabaseEndpoint::address() const {
  const std::string database = server_address(settings_.conninfo);
  return tunnel_ ? database + " through " + tunnel_->bastion() : database;
}

std::string DatabaseEndpoint::tunnel_description() const {
  if (!tunnel_) return "";
  const SshTunnelSettings &t = *settings_.tunnel;
  const std::string checked = t.insecure_skip_host_key_check ? "NOT checked (insecure_skip_host_key_check)"
                              : !t.host_key_sha256.empty()   ? "matches ssh_tunnel.host_key_sha256"
                                                             : "listed in " + (t.known_hosts.empty() ? std::string("~/.ssh/known_hosts") : t.known_hosts);
  return "logged in to " + tunnel_->bastion() + " as '" + t.user + "'; its host key " +
         tunnel_->host_key_fingerprint() + " " + checked + "; forwarding to " + settings_.tunnel_to_host + ":" +
         std::to_string(settings_.tunnel_to_port);
}

}  // namespace cn::plugins
