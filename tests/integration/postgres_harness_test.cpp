// The throwaway PostgreSQL server the integration tests run against.
#include <doctest/doctest.h>
#include <sys/socket.h>

#include <cerrno>
#include <filesystem>
#include <pqxx/pqxx>
#include <string>

#include "paths.hpp"
#include "postgres_server.hpp"
#include "process.hpp"

using cn::test::PostgresServer;

namespace {

// The single value `sql` returns, as text.
std::string query_value(const std::string &conninfo, const std::string &sql) {
  pqxx::connection connection{conninfo};
  pqxx::work work{connection};
  return work.exec1(sql)[0].as<std::string>();
}

// Whether the server end of the connection has gone. Asked of the socket
// because libpqxx 6.4 leaks a result when a query finds the connection lost.
bool closed_by_server(const pqxx::connection &connection) {
  char byte;
  ssize_t n = ::recv(connection.sock(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

PostgresServer::Options with_settings(std::map<std::string, std::string> settings) {
  PostgresServer::Options options;
  options.settings = std::move(settings);
  return options;
}

PostgresServer::Options with_tls() {
  PostgresServer::Options options;
  options.tls = true;
  return options;
}

// A self-signed CA certificate that has signed nothing.
std::string make_unrelated_ca(const cn::test::TempDir &dir) {
  cn::test::ProcessResult result = cn::test::run_process(
      {"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-days", "1", "-subj", "/CN=unrelated CA", "-keyout", dir / "ca.key", "-out", dir / "ca.crt"});
  REQUIRE_MESSAGE(result.exited_with(0), result.err);
  return dir / "ca.crt";
}

}  // namespace

TEST_CASE("servers start with logical decoding, each on its own port and directory") {
  PostgresServer first, second;
  for (const PostgresServer *server : {&first, &second}) {
    CHECK(query_value(server->conninfo(), "show wal_level") == "logical");
    CHECK(query_value(server->url(), "select current_user") == "postgres");
  }
  CHECK(first.port() != second.port());
  CHECK(first.data_directory() != second.data_directory());
}

TEST_CASE("committed data and settings survive a restart and a crash") {
  // Crash recovery only keeps commits that were flushed before the crash.
  PostgresServer server(with_settings({{"synchronous_commit", "on"}, {"max_wal_senders", "7"}}));
  server.psql("create table dogs (name text); insert into dogs values ('rex')");

  server.restart();
  CHECK(query_value(server.conninfo(), "select string_agg(name, ',') from dogs") == "rex");
  CHECK(query_value(server.conninfo(), "show max_wal_senders") == "7");

  pqxx::connection connection{server.conninfo()};
  pqxx::work insert{connection};
  insert.exec0("insert into dogs values ('fido')");
  insert.commit();
  CHECK_FALSE(closed_by_server(connection));
  server.kill9();
  CHECK(closed_by_server(connection));

  server.start();
  CHECK(query_value(server.conninfo(), "select string_agg(name, ',' order by name) from dogs") == "fido,rex");
}

TEST_CASE("psql runs SQL in a database made by create_database") {
  PostgresServer server;
  const std::string name = "Dog \"Show\" db";
  server.create_database(name);
  server.psql("create table dogs (name text, age int); insert into dogs values ('rex', 3), ('fido', 5);", name);
  CHECK(server.psql("select name, age from dogs order by age", name) == "rex|3\nfido|5\n");
  CHECK(server.psql("select current_database()", name) == name + "\n");

  CHECK_THROWS_WITH_AS(server.psql("select * from no_such_table"),
                       doctest::Contains("relation \"no_such_table\" does not exist"), std::runtime_error);
}

TEST_CASE("a destroyed server is stopped and its directory removed") {
  std::string conninfo, directory;
  {
    PostgresServer server;
    conninfo = server.conninfo();
    directory = server.directory();
    CHECK(query_value(conninfo, "select 1") == "1");
  }
  CHECK_THROWS_AS(pqxx::connection{conninfo}, pqxx::broken_connection);
  CHECK_FALSE(std::filesystem::exists(directory));
}

TEST_CASE("TLS connections verify against the server's CA only") {
  PostgresServer server(with_tls());
  const std::string verified = server.conninfo() + " sslrootcert=" + server.ca_certificate();
  CHECK(query_value(verified + " sslmode=verify-ca", "select ssl from pg_stat_ssl where pid = pg_backend_pid()") ==
        "t");
  CHECK(query_value(verified + " sslmode=verify-full", "select 1") == "1");

  cn::test::TempDir dir;
  const std::string unrelated_ca = make_unrelated_ca(dir);
  CHECK_THROWS_WITH_AS(pqxx::connection(server.conninfo() + " sslmode=verify-ca sslrootcert=" + unrelated_ca),
                       doctest::Contains("certificate verify failed"), pqxx::broken_connection);
}

TEST_CASE("replication connections are allowed") {
  PostgresServer server;
  pqxx::connection connection{server.conninfo() + " replication=database"};
  pqxx::nontransaction replication{connection};
  pqxx::result system = replication.exec("IDENTIFY_SYSTEM");
  REQUIRE(system.size() == 1);
  CHECK(system[0]["dbname"].as<std::string>() == "postgres");
}
