#include "database_settings.hpp"

#include "postgres_connection.hpp"

#include <cn/plugin.hpp>
#include <openssl/evp.h>

#include <vector>

namespace cn::plugins {

namespace {

const char *const kFields[] = {"host", "port", "database", "user", "password"};
const char *const kTlsSettings[] = {"sslmode", "sslrootcert", "sslcert", "sslkey"};

// The first of host, port, database, user, password that is given; "" when none is.
std::string first_field_given(const PluginConfig &config) {
  for (const char *field : kFields) {
    const bool given = std::string(field) == "port" ? config.integer_parameter(field, 0) != 0
                                                    : !config.string_parameter(field, "").empty();
    if (given) return field;
  }
  return "";
}

ConninfoOptions options_from_fields(const PluginConfig &config) {
  ConninfoOptions options;
  auto set = [&](const char *keyword, const std::string &value) {
    if (!value.empty()) options[keyword] = value;
  };
  set("host", config.string_parameter("host", ""));
  if (const int64_t port = config.integer_parameter("port", 0)) set("port", std::to_string(port));
  set("dbname", config.string_parameter("database", ""));
  set("user", config.string_parameter("user", ""));
  set("password", config.string_parameter("password", ""));
  return options;
}

// Where a tunnel forwards to: the one server the options name, as the
// bastion resolves it.
void read_tunnel_target(const ConninfoOptions &options, DatabaseSettings &settings) {
  auto value = [&](const char *keyword) {
    auto it = options.find(keyword);
    return it == options.end() ? std::string() : it->second;
  };
  std::string host = value("hostaddr").empty() ? value("host") : value("hostaddr");
  const std::string port = value("port");
  if (host.find(',') != std::string::npos || port.find(',') != std::string::npos)
    PluginConfig::bad("ssh_tunnel", "the tunnel forwards to one server; " + settings.given_as + " names several");
  if (!host.empty() && host[0] == '/')
    PluginConfig::bad("ssh_tunnel", "the tunnel forwards to a host and port; " + settings.given_as +
                                        " names a Unix socket (" + host + ")");
  settings.tunnel_to_host = host.empty() ? "localhost" : host;  // the bastion itself, as libpq's default would be
  settings.tunnel_to_port = 5432;
  if (!port.empty()) {
    // url_problem checked that it is digits; libpq checks the range only when it connects.
    if (port.size() > 5 || std::stoi(port) < 1 || std::stoi(port) > 65535)
      PluginConfig::bad("ssh_tunnel", "the port " + port + " that " + settings.given_as + " names is not 1..65535");
    settings.tunnel_to_port = std::stoi(port);
  }
}

// "SHA256:" (optional) and the 32 bytes of a SHA-256 in base64, unpadded
// as OpenSSH prints it (padding tolerated).
bool is_sha256_fingerprint(std::string text) {
  if (text.rfind("SHA256:", 0) == 0) text.erase(0, 7);
  while (!text.empty() && text.back() == '=') text.pop_back();
  return text.size() == 43 && text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") ==
                                  std::string::npos;
}

std::optional<SshTunnelSettings> read_tunnel(const PluginConfig &config) {
  SshTunnelSettings tunnel;
  tunnel.host = config.string_parameter("ssh_tunnel.host", "");
  tunnel.port = static_cast<int>(config.integer_parameter("ssh_tunnel.port", 22));
  tunnel.user = config.string_parameter("ssh_tunnel.user", "");
  const std::string key = config.string_parameter("ssh_tunnel.private_key", "");
  tunnel.passphrase = config.string_parameter("ssh_tunnel.passphrase", "");
  tunnel.known_hosts = config.string_parameter("ssh_tunnel.known_hosts", "");
  tunnel.host_key_sha256 = config.string_parameter("ssh_tunnel.host_key_sha256", "");
  tunnel.insecure_skip_host_key_check = config.bool_parameter("ssh_tunnel.insecure_skip_host_key_check", false);
  const bool anything_given = !tunnel.user.empty() || !key.empty() || !tunnel.passphrase.empty() ||
                              tunnel.port != 22 || !tunnel.known_hosts.empty() || !tunnel.host_key_sha256.empty() ||
                              tunnel.insecure_skip_host_key_check;
  if (tunnel.host.empty()) {
    if (anything_given) PluginConfig::bad("ssh_tunnel.host", "the bastion to tunnel through is missing");
    return std::nullopt;
  }
  if (tunnel.user.empty()) PluginConfig::bad("ssh_tunnel.user", "the user to log in to the bastion as is missing");
  if (key.empty()) PluginConfig::bad("ssh_tunnel.private_key", "the user's private key is missing (base64 of the key file)");
  const std::optional<std::string> text = private_key_text(key);
  if (!text) PluginConfig::bad("ssh_tunnel.private_key", "neither base64 nor a key file's text");
  if (const std::string problem = private_key_problem(*text, tunnel.passphrase); !problem.empty())
    PluginConfig::bad("ssh_tunnel.private_key", problem);
  tunnel.private_key = *text;
  if (!tunnel.host_key_sha256.empty() && !is_sha256_fingerprint(tunnel.host_key_sha256))
    PluginConfig::bad("ssh_tunnel.host_key_sha256", "'" + tunnel.host_key_sha256 +
                                                        "' is not a SHA256 fingerprint as ssh-keygen -l prints it"
                                                        " (SHA256: and 43 characters of base64)");
  if (!tunnel.host_key_sha256.empty() && !tunnel.known_hosts.empty())
    PluginConfig::bad("ssh_tunnel.host_key_sha256", "give it or ssh_tunnel.known_hosts, not both");
  if (tunnel.insecure_skip_host_key_check && (!tunnel.host_key_sha256.empty() || !tunnel.known_hosts.empty()))
    PluginConfig::bad("ssh_tunnel.insecure_skip_host_key_check",
                      "true, yet ssh_tunnel." + std::string(tunnel.known_hosts.empty() ? "host_key_sha256" : "known_hosts") +
                          " says how to check the key");
  return tunnel;
}

}  // namespace

std::optional<std::string> private_key_text(const std::string &given) {
  std::string compact;  // base64 wrapped over lines is base64 too
  for (char c : given)
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') compact += c;
  if (compact.rfind("-----BEGIN", 0) == 0) return given;
  if (compact.empty() || compact.size() % 4 != 0) return std::nullopt;
  std::string decoded(compact.size() / 4 * 3, '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char *>(decoded.data()),
                                     reinterpret_cast<const unsigned char *>(compact.data()), static_cast<int>(compact.size()));
  if (length < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  const std::size_t padding = compact.size() - compact.find_last_not_of('=') - 1;
  decoded.resize(static_cast<std::size_t>(length) - std::min<std::size_t>(padding, 2));
  if (decoded.rfind("-----BEGIN", 0) != 0) return std::nullopt;
  return decoded;
}

DatabaseSettings read_database_settings(const PluginConfig &config, const char *what) {
  DatabaseSettings settings;
  std::string url = config.string_parameter("url", "");
  const std::string field = first_field_given(config);
  if (!url.empty() && !field.empty())
    PluginConfig::bad("url", "give the " + std::string(what) + " database as url or as host, port, database, user and"
                                 " password, not both (parameters." + field + " is given too)");
  ConninfoOptions options;
  ConninfoOptions from_url;
  if (!field.empty()) {
    if (config.string_parameter("host", "").empty())
      PluginConfig::bad("host", "missing: parameters." + field + " is given without it");
    settings.given_as = "parameters host, port, database, user and password";
    options = options_from_fields(config);
    if (std::optional<std::string> problem = url_problem(conninfo_text(options)))
      throw cn::ConfigError(settings.given_as + ": " + *problem);
  } else {
    settings.given_as = "parameters.url";
    if (url.empty()) {
      url = config.secret("FLUVIO_PG_DATABASE_URL");
      settings.given_as = "the secret FLUVIO_PG_DATABASE_URL";
    }
    if (url.empty())
      PluginConfig::bad("url", std::string("no ") + what + " database: set parameters.url, parameters.host (with port,"
                                   " database, user and password) or the secret FLUVIO_PG_DATABASE_URL");
    if (std::optional<std::string> problem = url_problem(url))
      throw cn::ConfigError(settings.given_as + ": not a PostgreSQL URL or key=value string libpq can read: " + *problem);
    options = from_url = conninfo_options(url);
  }
  for (const char *keyword : kTlsSettings) {
    const std::string value = std::string(keyword) == "sslmode" ? config.enum_parameter(keyword, "")
                                                                : config.string_parameter(keyword, "");
    if (value.empty()) continue;
    if (from_url.count(keyword))
      PluginConfig::bad(keyword, "given twice: " + settings.given_as + " sets " + keyword + " too");
    options[keyword] = value;
  }
  settings.conninfo = conninfo_text(options);
  settings.tunnel = read_tunnel(config);
  if (settings.tunnel) read_tunnel_target(options, settings);
  return settings;
}

}  // namespace cn::plugins
