// Configuration mistakes and the messages a person reads, with the real
// connector-host and the real postgres-sink and postgres-source: a value
// the plugin cannot use is a configuration error (exit 2) before anything
// runs; a server that is not there at the first connection "cannot be
// reached" (retried), which is not a connection "lost"; a target role that
// may not set session_replication_role is told once, plainly; every error
// is one log line.
#include "source_fixture.hpp"

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace cn::test;
using namespace std::chrono_literals;

namespace {

// A loopback port where nothing listens: bound by the kernel's choice, then
// closed.
std::string closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &size) != 0)
    throw std::runtime_error("no free loopback port");
  ::close(fd);
  return std::to_string(ntohs(address.sin_port));
}

// Every line of a host's stderr is a log line: a timestamp first, nothing
// blank, nothing continued on a line of its own.
void check_log_lines(const std::string &err) {
  for (const std::string &line : lines_of(err)) {
    CAPTURE(line);
    CHECK(line.rfind("20", 0) == 0);
  }
  CHECK(!contains(err, "\n\n"));
}

std::string first_error(const ProcessResult &r) { return line_with(r.err, {"ERROR"}); }

// Runs the host with --once on a connector of type ("postgres-sink" or
// "postgres-source") with one more parameters line, and checks that it is
// a configuration error (exit 2) whose message holds every one of parts.
void check_config_error(const SourceFixture &f, const std::string &type, const std::string &line,
                        std::initializer_list<std::string> parts) {
  CAPTURE(line);
  const std::string config =
      type == "postgres-sink" ? f.sink_config({line}) : f.source_config(f.unique("once"), {line});
  ProcessResult r = run_process(f.host_args(config, {"--once"}), {}, {}, 60s);
  INFO(r.err);
  CHECK(r.exited_with(2));
  for (const std::string &part : parts) CHECK(contains(first_error(r), part));
}

}  // namespace

// ---- values the plugins cannot use: exit 2 -----------------------------------

TEST_CASE("a malformed URL is a configuration error: exit 2 at once, naming parameters.url, without connecting") {
  SourceFixture f;
  std::ofstream(f.topic_path());  // an empty topic for the sink
  for (const std::string url : {"postgresql://app:s3cret@[127.0.0.1/db", "postgresql://127.0.0.1/db?no_such_option=1",
                                "host=127.0.0.1 no_such_option=1"}) {
    CAPTURE(url);
    for (const std::string &config :
         {f.sink_config({}, "sink", "events", url), f.source_config(f.unique("bad_url"), {}, url)}) {
      ProcessResult r = run_process(f.host_args(config, {"--once"}), {}, {}, 60s);
      INFO(r.err);
      CHECK(r.exited_with(2));
      CHECK(contains(first_error(r), "parameters.url: not a PostgreSQL URL or key=value string libpq can read"));
      CHECK(!contains(r.err, "s3cret"));
      CHECK(!contains(r.err, "asked to retry"));
      check_log_lines(r.err);
    }
  }
}

TEST_CASE("a parameter value the plugin cannot use exits 2, naming the parameter") {
  SourceFixture f;
  std::ofstream(f.topic_path());  // an empty topic for the sink
  check_config_error(f, "postgres-source", "slot: My-Slot", {"parameters.slot", "'My-Slot' is not a valid slot name"});
  check_config_error(f, "postgres-source", "tables: [shop.orders.old]",
                     {"parameters.tables", "'shop.orders.old' is not a table name or schema.table"});
  check_config_error(f, "postgres-sink", "max_rows_per_statement: 0", {"max_rows_per_statement", "1"});
  check_config_error(f, "postgres-sink", "on_error: skp", {"on_error", "skp"});
  check_config_error(f, "postgres-sink", "offset_table: offsets", {"parameters.offset_table", "schema.table"});
  CHECK(f.src("select count(*) from pg_replication_slots where database = '" + f.source_db() + "'") == "0\n");
}

// ---- the first connection ------------------------------------------------------

TEST_CASE("a first connection to a port where nothing listens: 'cannot reach ... at 127.0.0.1:PORT', retried") {
  SourceFixture f;
  const std::string port = closed_port();
  const std::string url = "postgresql://postgres@127.0.0.1:" + port + "/" + f.source_db();
  std::ofstream(f.topic_path());  // an empty topic for the sink
  for (const std::string what : {"target", "source"}) {
    CAPTURE(what);
    const std::string config =
        what == "target" ? f.sink_config({}, "sink", "events", url) : f.source_config(f.unique("closed"), {}, url);
    const std::string expected = "cannot reach the " + what + " at 127.0.0.1:" + port + ": ";
    Child host(f.host_args(config));
    INFO(host.err());
    REQUIRE(host.wait_for([&](const std::string &, const std::string &err) {
      return occurrences(err, expected) >= 2;  // and so retried
    }));
    ProcessResult r = stop(host);
    CHECK(r.exited_with(0));
    const std::string warning = line_with(r.err, {"WARN", expected});
    CHECK(contains(warning, "asked to retry"));
    CHECK(contains(warning, "Connection refused"));
    CHECK(!contains(r.err, "lost the connection"));
    check_log_lines(r.err);
  }
}

TEST_CASE("a first connection that retrying cannot mend (no such database) stops the source at once, in one line") {
  SourceFixture f;
  const std::string url = "postgresql://postgres@127.0.0.1:" + std::to_string(f.server().port()) + "/no_such_db";
  ProcessResult r = run_process(f.host_args(f.source_config(f.unique("no_db"), {}, url), {"--once"}), {}, {}, 60s);
  INFO(r.err);
  CHECK(r.exited_with(1));
  const std::string error = first_error(r);
  CHECK(contains(error, "cannot connect to the source at 127.0.0.1:" + std::to_string(f.server().port()) +
                            " (check parameters.url): "));
  CHECK(contains(error, "does not exist"));
  CHECK(!contains(r.err, "asked to retry"));
  check_log_lines(r.err);
}

// ---- the target role -----------------------------------------------------------

TEST_CASE("a target role that may not set session_replication_role: said once, plainly, also across reconnections") {
  SourceFixture f;
  const std::string role = f.unique("plain");
  f.tgt("create role " + role + " login; grant create on database " + f.target_db() + " to " + role +
        "; grant create on schema public to " + role);
  const std::vector<std::string> dogs = read_lines(sample_topics_dir() / "dogs.jsonl");
  auto append_to_topic = [&](std::size_t from, std::size_t to) {
    std::ofstream out(f.topic_path(), std::ios::binary | std::ios::app);
    for (std::size_t i = from; i < to; ++i) out << dogs[i] << '\n';
  };
  append_to_topic(0, 18);  // offsets 0-17, ending with a commit
  const std::string url =
      "postgresql://" + role + "@127.0.0.1:" + std::to_string(f.server().port()) + "/" + f.target_db();
  Child host(f.host_args(f.sink_config({}, "sink", "events", url)));
  INFO(host.err());
  REQUIRE(wait_until({&host}, [&] { return stored_offset(f.server(), f.target_db()) >= 17; }));
  // A reconnection: the sink's session ends under it, and the next records
  // need a new one.
  f.tgt("select pg_terminate_backend(pid) from pg_stat_activity where usename = '" + role + "'");
  append_to_topic(18, dogs.size());
  REQUIRE(wait_until({&host}, [&] {
    return stored_offset(f.server(), f.target_db()) >= 36 && occurrences(host.err(), "connected;") >= 2;
  }));
  ProcessResult r = stop(host);
  CHECK(r.exited_with(0));
  CHECK(occurrences(r.err, "session_replication_role") == 1);
  const std::string said = line_with(r.err, {"session_replication_role"});
  CHECK(contains(said, " INFO "));
  CHECK(contains(said, "the target role may not set session_replication_role (not a superuser): triggers and foreign"
                       " keys fire, so tables are written in foreign-key order"));
  CHECK(!contains(said, "permission denied"));
  check_log_lines(r.err);
  f.tgt("drop owned by " + role + "; drop role " + role);
}

// ---- keys the host checks against the declarations (written last: they
// ---- need a host that validates parameters)

TEST_CASE("a misspelled parameter is a configuration error naming the key the plugin declares") {
  SourceFixture f;
  std::ofstream(f.topic_path());  // an empty topic for the sink
  check_config_error(f, "postgres-sink", "on_eror: skip", {"on_eror", "did you mean", "on_error"});
  check_config_error(f, "postgres-source", "initial_laod: false", {"initial_laod", "did you mean", "initial_load"});
}
