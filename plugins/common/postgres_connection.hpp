// Connection strings, one way for every plugin here: the URL checked as libpq
// reads it, without connecting (so that a malformed URL is a configuration
// error at open(), not a connection retried forever); the server it names,
// for messages; and what a failed connection attempt means to a person. A
// connection that fails before it was ever up is "cannot reach"; one lost
// after it was up is the caller's "lost the connection".
#ifndef CN_PLUGINS_POSTGRES_CONNECTION_HPP
#define CN_PLUGINS_POSTGRES_CONNECTION_HPP

#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace cn::plugins {

// Why libpq cannot read url (a postgresql:// URL or a key=value string): a
// malformed URL, an unknown keyword, a port that is not a number; nullopt
// when it can. The URL itself is left out of the reason (it may hold a
// password).
std::optional<std::string> url_problem(const std::string &url);

// The server(s) url names, for messages: "127.0.0.1:5433", "a:5432, b:5433";
// what url leaves out is libpq's default (PGHOST, PGPORT, else localhost and
// 5432). url must be readable (url_problem).
std::string server_address(const std::string &url);

// A connection attempt that failed: the database refused or could not be
// reached (from libpq's reason), or a hop of the SSH tunnel failed.
class ConnectError : public std::runtime_error {
 public:
  ConnectError(const std::string &message, bool permanent) : std::runtime_error(message), permanent_(permanent) {}
  // From libpq's reason: what() reads
  //   cannot reach the WHAT at ADDRESS: <reason>
  // when trying again may help (nothing listening, a name that does not
  // resolve, a server starting up), else
  //   cannot connect to the WHAT at ADDRESS (check GIVEN_AS): <reason>
  // what: "source" or "target"; given_as: DatabaseSettings::given_as.
  static ConnectError from_libpq(const char *what, const std::string &address, const std::string &given_as,
                                 const std::string &reason);
  // Retrying cannot mend it (connect_failure_is_permanent): a wrong
  // password, database, role or certificate; a host key that does not match.
  bool permanent() const { return permanent_; }

 private:
  bool permanent_;
};

// A connection string's keywords and values, as libpq reads them; only
// those it sets. url must be readable (url_problem).
using ConninfoOptions = std::map<std::string, std::string>;
ConninfoOptions conninfo_options(const std::string &url);
// The options as a key=value string, every value quoted as libpq reads it.
std::string conninfo_text(const ConninfoOptions &options);

// url (a URL or a key=value string) as a key=value string that also sets
// connect_timeout, unless url sets one: for a connection that must not hold
// up its caller (one made while closing) when a server drops packets and
// the attempt would otherwise wait for TCP to give up.
std::string with_connect_timeout(const std::string &url, int seconds);

}  // namespace cn::plugins

#endif
