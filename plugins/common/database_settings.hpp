// Where a postgres plugin's database is, as connect.yml says it, read the
// same way by the source and the sink: a libpq URL (parameters.url, else the
// secret FLUVIO_PG_DATABASE_URL), or the same as separate fields (host,
// port, database, user, password); TLS settings with either; and an SSH
// tunnel through a bastion (ssh_tunnel:) when only the bastion reaches it.
#ifndef CN_PLUGINS_DATABASE_SETTINGS_HPP
#define CN_PLUGINS_DATABASE_SETTINGS_HPP

#include "plugin_config.hpp"
#include "ssh_tunnel.hpp"

#include <cn/plugin.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace cn::plugins {

struct DatabaseSettings {
  // A key=value string libpq reads, TLS settings merged in; a secret.
  std::string conninfo;
  // What the user wrote it as, for "check ..." in messages:
  // "parameters.url", "the secret FLUVIO_PG_DATABASE_URL" or "parameters
  // host, port, database, user and password".
  std::string given_as;
  std::optional<SshTunnelSettings> tunnel;
  // The database's host and port as the bastion sees them (with a tunnel).
  std::string tunnel_to_host;
  int tunnel_to_port = 5432;
};

inline constexpr const char *kSslModes[] = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full", nullptr};

// The parameters read_database_settings reads, for each plugin's
// cn_param_list (with_database_parameters).
// name, type, description, default_text, secret, min, max, choices
inline constexpr cn_param kDatabaseParameters[] = {
    {"url", CN_PARAM_STRING, "libpq URL or key=value string of the database (or give host, port, ...)",
     "the secret FLUVIO_PG_DATABASE_URL", 1, 0, 0, nullptr},
    {"host", CN_PARAM_STRING, "the database server's host name or address (instead of url)", nullptr, 0, 0, 0,
     nullptr},
    {"port", CN_PARAM_INTEGER, "the database server's port (with host)", "5432", 0, 1, 65535, nullptr},
    {"database", CN_PARAM_STRING, "the database's name (with host)", "the user's name", 0, 0, 0, nullptr},
    {"user", CN_PARAM_STRING, "the role to connect as (with host)", "the system user's name", 0, 0, 0, nullptr},
    {"password", CN_PARAM_STRING, "the role's password (with host)", nullptr, 1, 0, 0, nullptr},
    {"sslmode", CN_PARAM_ENUM, "libpq's sslmode, with url or host", "prefer", 0, 0, 0, kSslModes},
    {"sslrootcert", CN_PARAM_STRING, "file of the CAs that may sign the server's certificate", nullptr, 0, 0, 0,
     nullptr},
    {"sslcert", CN_PARAM_STRING, "file of the client certificate", nullptr, 0, 0, 0, nullptr},
    {"sslkey", CN_PARAM_STRING, "file of the client certificate's key", nullptr, 0, 0, 0, nullptr},
    {"ssh_tunnel.host", CN_PARAM_STRING, "the SSH bastion that reaches the database", nullptr, 0, 0, 0, nullptr},
    {"ssh_tunnel.port", CN_PARAM_INTEGER, "the bastion's SSH port", "22", 0, 1, 65535, nullptr},
    {"ssh_tunnel.user", CN_PARAM_STRING, "the user to log in to the bastion as", nullptr, 0, 0, 0, nullptr},
    {"ssh_tunnel.private_key", CN_PARAM_STRING, "the user's private key file, base64-encoded", nullptr, 1, 0, 0,
     nullptr},
    {"ssh_tunnel.passphrase", CN_PARAM_STRING, "the private key's passphrase", "no passphrase", 1, 0, 0, nullptr},
    {"ssh_tunnel.known_hosts", CN_PARAM_STRING, "known_hosts file that lists the bastion's host key",
     "~/.ssh/known_hosts", 0, 0, 0, nullptr},
    {"ssh_tunnel.host_key_sha256", CN_PARAM_STRING, "the bastion's host key fingerprint (SHA256:...), pinned",
     nullptr, 0, 0, 0, nullptr},
    {"ssh_tunnel.insecure_skip_host_key_check", CN_PARAM_BOOL, "do not check the bastion's host key (a warning each start)",
     "false", 0, 0, 0, nullptr},
};

// own followed by kDatabaseParameters, for a plugin's cn_param_list:
//   constexpr auto kParameters = plugins::with_database_parameters(kOwn);
template <std::size_t N>
constexpr std::array<cn_param, N + std::size(kDatabaseParameters)> with_database_parameters(const cn_param (&own)[N]) {
  std::array<cn_param, N + std::size(kDatabaseParameters)> all{};
  std::size_t i = 0;
  for (const cn_param &p : own) all[i++] = p;
  for (const cn_param &p : kDatabaseParameters) all[i++] = p;
  return all;
}

template <std::size_t N>
constexpr cn_param_list parameter_list(const std::array<cn_param, N> &params) {
  return cn_param_list{sizeof(cn_param_list), CN_ABI_VERSION, sizeof(cn_param), N, params.data()};
}

// Reads kDatabaseParameters (and the secret FLUVIO_PG_DATABASE_URL). what:
// "source" or "target", for messages. Throws cn::ConfigError naming the
// parameter at fault: no database given, url and host both given, a URL or
// field libpq cannot read, a TLS setting the URL sets too, an unreadable
// private key, a tunnel to a database it cannot forward to (a Unix socket,
// several hosts), contradicting host key checks.
DatabaseSettings read_database_settings(const PluginConfig &config, const char *what);

// The key file's text from ssh_tunnel.private_key: base64 of the file, as
// users pass keys in secrets, or the file's text itself. nullopt when it is
// neither.
std::optional<std::string> private_key_text(const std::string &given);

}  // namespace cn::plugins

#endif
