// A throwaway PostgreSQL 15 server for integration tests: initdb in a
// temporary directory, a free loopback port, wal_level=logical; run as the
// `postgres` user when the tests run as root (PostgreSQL refuses root).
// Stopped and deleted when the object goes away.
#ifndef CN_TEST_POSTGRES_SERVER_HPP
#define CN_TEST_POSTGRES_SERVER_HPP

#include <map>
#include <string>

namespace cn::test {

class PostgresServer {
 public:
  struct Options {
    // Extra postgresql.conf settings (name -> value), on top of the defaults.
    std::map<std::string, std::string> settings;
    // Serve TLS with a freshly made CA and server certificate (CN=localhost,
    // subjectAltName localhost and 127.0.0.1); see ca_certificate().
    bool tls = false;
  };

  PostgresServer();  // default Options
  explicit PostgresServer(const Options &options);
  ~PostgresServer();  // stops the server (immediate), removes its directory
  PostgresServer(const PostgresServer &) = delete;
  PostgresServer &operator=(const PostgresServer &) = delete;

  int port() const;
  // The temporary directory holding everything (removed by the destructor)
  // and the data directory inside it.
  const std::string &directory() const;
  const std::string &data_directory() const;
  // libpq keyword/value string: host=127.0.0.1 port=N user=postgres dbname=DB
  std::string conninfo(const std::string &dbname = "postgres") const;
  // postgresql://postgres@127.0.0.1:N/DB
  std::string url(const std::string &dbname = "postgres") const;
  // The CA certificate that signed the server's (only with Options::tls;
  // throws std::logic_error without it).
  std::string ca_certificate() const;

  void create_database(const std::string &name);
  // Runs SQL with psql; returns its unaligned, tuples-only output (newline-
  // terminated rows, exactly as psql prints them). Throws
  // std::runtime_error with psql's message on failure.
  std::string psql(const std::string &sql, const std::string &dbname = "postgres") const;

  void stop();     // fast shutdown; keeps the data
  void start();    // on the same port and data
  void restart();  // stop() + start()
  // SIGKILLs the postmaster and its backends (a crash) and waits until they
  // are gone; start() recovers. With the default synchronous_commit=off the
  // last commits may be lost: set it on where a test needs them.
  void kill9();

 private:
  struct Impl;
  Impl *impl_;
};

}  // namespace cn::test

#endif
