#include "postgres_connection.hpp"

#include "postgres_errors.hpp"

#include <libpq-fe.h>

#include <map>
#include <vector>

namespace cn::plugins {

namespace {

// The keywords libpq's options set, with their values; frees them.
ConninfoOptions values_of(PQconninfoOption *options) {
  ConninfoOptions values;
  for (const PQconninfoOption *o = options; o && o->keyword; ++o)
    if (o->val && *o->val) values[o->keyword] = o->val;
  PQconninfoFree(options);
  return values;
}

std::string value(const ConninfoOptions &options, const char *keyword) {
  auto it = options.find(keyword);
  return it == options.end() ? "" : it->second;
}

std::vector<std::string> split_commas(const std::string &list) {
  std::vector<std::string> items;
  for (std::size_t at = 0;;) {
    const std::size_t comma = list.find(',', at);
    items.push_back(list.substr(at, comma - at));
    if (comma == std::string::npos) return items;
    at = comma + 1;
  }
}

bool is_number(const std::string &text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

// The password of postgresql://user:password@host..., as written; "" when
// there is none.
std::string password_in(const std::string &url) {
  const std::size_t scheme = url.find("://"), at = url.rfind('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return "";
  const std::size_t colon = url.find(':', scheme + 3);
  return colon < at ? url.substr(colon + 1, at - colon - 1) : "";
}

// libpq's reason without the URL it quotes whole (" in URI: "..."") or the
// password it quotes as a token it cannot read.
std::string without_secrets(std::string reason, const std::string &url) {
  const std::size_t whole = reason.find(" in URI: \"" + url + "\"");
  if (whole != std::string::npos) reason.erase(whole);
  const std::string quoted_password = "\"" + password_in(url) + "\"";
  if (const std::size_t at = reason.find(quoted_password); quoted_password.size() > 2 && at != std::string::npos)
    reason.replace(at, quoted_password.size(), "\"****\"");
  return reason;
}

// A value in a key=value connection string: single-quoted, with quotes and
// backslashes escaped by a backslash, as libpq reads it.
std::string conninfo_value(const std::string &value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

}  // namespace

std::optional<std::string> url_problem(const std::string &url) {
  char *error = nullptr;
  PQconninfoOption *parsed = PQconninfoParse(url.c_str(), &error);
  if (!parsed) {
    const std::string reason = trimmed_message(error ? error : "out of memory");
    PQfreemem(error);
    return without_secrets(reason, url);
  }
  // libpq reads the port only when it connects, and a bad one would then
  // be retried as if the server were away.
  for (const std::string &port : split_commas(value(values_of(parsed), "port")))
    if (!port.empty() && !is_number(port)) return "the port '" + port + "' is not a number";
  return std::nullopt;
}

std::string server_address(const std::string &url) {
  const ConninfoOptions given = conninfo_options(url);
  const ConninfoOptions defaults = values_of(PQconndefaults());  // PGHOST, PGPORT, 5432
  std::string host = value(given, "host"), port = value(given, "port");
  if (host.empty()) host = value(given, "hostaddr");
  if (host.empty()) host = value(defaults, "host");
  if (port.empty()) port = value(defaults, "port");
  const std::vector<std::string> hosts = split_commas(host), ports = split_commas(port);
  std::string address;
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    const std::string &port_i = ports[i < ports.size() ? i : 0];
    address += (i ? ", " : "") + (hosts[i].empty() ? "localhost" : hosts[i]) + ":" + (port_i.empty() ? "5432" : port_i);
  }
  return address;
}

ConnectError ConnectError::from_libpq(const char *what, const std::string &address, const std::string &given_as,
                                      const std::string &reason) {
  const bool permanent = connect_failure_is_permanent(reason);
  const std::string where = std::string(what) + " at " + address;
  return ConnectError(permanent ? "cannot connect to the " + where + " (check " + given_as + "): " + reason
                                : "cannot reach the " + where + ": " + reason,
                      permanent);
}

ConninfoOptions conninfo_options(const std::string &url) { return values_of(PQconninfoParse(url.c_str(), nullptr)); }

std::string conninfo_text(const ConninfoOptions &options) {
  std::string conninfo;
  for (const auto &[keyword, value] : options)
    conninfo += (conninfo.empty() ? "" : " ") + keyword + "=" + conninfo_value(value);
  return conninfo;
}

std::string with_connect_timeout(const std::string &url, int seconds) {
  ConninfoOptions options = conninfo_options(url);
  options.emplace("connect_timeout", std::to_string(seconds));
  return conninfo_text(options);
}

}  // namespace cn::plugins
