// postgres-source end to end, with the real connector-host, the real
// postgres-source and postgres-sink plugins and real PostgreSQL servers:
// a source database is streamed into a topic, the sink applies the topic to
// a target database, and the target must equal the source table by table
// (count and md5 of the rows ordered by their text form). Under load
// (pgbench), kill -9 of either connector, a restart of the source server,
// TLS, setup mistakes, and the table/schema/initial_load parameters.
#include "source_fixture.hpp"

#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace cn::test;
using namespace std::chrono_literals;

namespace {

auto logged(const std::string &text) {
  return [text](const std::string &, const std::string &err) { return contains(err, text); };
}

std::vector<std::string> pgbench_args(const SourceFixture &f, std::vector<std::string> options) {
  std::vector<std::string> args = {kPgBinDir + "pgbench", "-n"};
  args.insert(args.end(), options.begin(), options.end());
  args.push_back(f.server().conninfo(f.source_db()));
  return args;
}

// Polls condition every 2 ms, without reading the child's output (for
// short waits on a child that logs little), until it holds; false if the
// child ends or the safety timeout passes first.
bool poll_until(const Child &child, const std::function<bool()> &condition,
                std::chrono::seconds safety_timeout = 120s) {
  const auto deadline = std::chrono::steady_clock::now() + safety_timeout;
  while (!condition()) {
    if (!running(child) || std::chrono::steady_clock::now() > deadline) return condition();
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

constexpr std::uintmax_t kNotFound = static_cast<std::uintmax_t>(-1);

// The position of text in the file at or after byte `from`, or kNotFound;
// then `from` moves on past what was read, so that a search repeated while
// the file grows reads only what is new.
std::uintmax_t find_in_file(const std::filesystem::path &path, const std::string &text, std::uintmax_t &from) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(from));
  std::string rest(1 << 20, '\0');  // at most 1 MiB a call: the file may grow fast
  in.read(rest.data(), static_cast<std::streamsize>(rest.size()));
  rest.resize(static_cast<std::size_t>(in.gcount()));
  std::size_t at = rest.find(text);
  if (at != std::string::npos) return from + at;
  if (rest.size() >= text.size()) from += rest.size() - text.size() + 1;
  return kNotFound;
}

// A row of the kinds table: every value kind of the format.
std::string kinds_row(int id, const std::string &c, bool toast) {
  const std::string n = std::to_string(id);
  return "(" + n + ", " + n + "45678.1234, date '2020-02-29' + " + n + ", '2020-01-02 03:04:05.123456+02'::timestamptz + interval '" +
         n + " hours', '{\"a\": [1, 2], \"s\": \"x''y\"}', '{\"k\": " + n + ", \"nested\": {\"z\": null}}', '{1,NULL," + n +
         "}', '{\"a,b\",NULL,\"c\\\"d\",\"O''Brien\"}', '\\x00ff" + (id % 2 ? "10" : "") + "', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd38" +
         std::to_string(1000 + id) + "', '" + (id % 3 == 0 ? "sad" : id % 3 == 1 ? "ok" : "happy") + "', " +
         (id % 2 ? "true" : "false") + ", " + c + ", 'note " + n + "', " +
         (toast ? "(select string_agg(md5(g::text || '" + n + "'), '') from generate_series(1, 700) g)" : "'small'") +
         ")";
}

const std::string kKindsColumns = "id, n, d, ts, j, jb, ia, ta, b, u, m, flag, c, note, big";

}  // namespace

// ---- 1 ---------------------------------------------------------------------

TEST_CASE("round trip: every value kind, TOAST, FULL identity, no key, key change, delete, truncate, ADD COLUMN") {
  SourceFixture f;
  f.src(R"(
create type mood as enum ('sad', 'ok', 'happy');
create table kinds (id int primary key, n numeric(12,4), d date, ts timestamptz, j json, jb jsonb, ia int[],
                    ta text[], b bytea, u uuid, m mood, flag bool, c "char", note text, big text);
create table floats (id int primary key, f4 real, f8 double precision);
create table dup (a int, b text);
alter table dup replica identity full;
create table nokey (a int, b text);
create table keyed (id int primary key, v text);
create table emptied (id int primary key, v text);
)");
  // Before the source starts: the initial load's rows.
  f.src("insert into kinds (" + kKindsColumns + ") values " + kinds_row(1, "'a'", false) + ", " +
        kinds_row(2, "E'\\\\201'::\"char\"", false) + ", " + kinds_row(3, "'z'", true) + ";"
        "insert into floats values (1, 1.5, 2.25), (2, 'NaN', 'NaN'), (3, 'Infinity', '-Infinity');"
        "insert into dup values (1, 'x'), (1, 'x'), (2, 'y');"
        "insert into nokey values (1, 'a'), (1, 'a');"
        "insert into keyed values (1, 'one'), (2, 'two'), (3, 'three');"
        "insert into emptied values (1, 'gone')");

  Child source(f.host_args(f.source_config(f.unique("round_trip"))));
  INFO(source.err());
  REQUIRE(source.wait_for(streaming()));

  // Streamed changes, one transaction per statement.
  f.src("insert into kinds (" + kKindsColumns + ") values " + kinds_row(10, "E'\\\\201'::\"char\"", false) + ", " +
        kinds_row(11, "''::\"char\"", false) + ", " + kinds_row(12, "'q'", true));
  f.src("insert into kinds (id) values (13)");  // every other column NULL
  f.src("insert into floats values (4, 'NaN', 'Infinity'), (5, '-0', '-0'), (6, 1e-45, 1.7976931348623157e308),"
        " (7, 0.1, 0.1)");
  // Only note changes: big (stored out of line) arrives as UnchangedToast.
  f.src("update kinds set note = 'changed' where id in (3, 12)");
  f.src("update kinds set big = (select string_agg(md5(g::text), '') from generate_series(1, 700) g), flag = null"
        " where id = 11");
  f.src("update kinds set n = 'NaN', ia = '{}', ta = '{}', jb = '[]' where id = 1");
  f.src("insert into dup values (1, 'x');"
        "delete from dup where ctid = (select ctid from dup where a = 1 limit 1);"
        "update dup set b = 'z' where a = 2");
  f.src("insert into nokey values (2, 'b'), (1, 'a')");
  f.src("update keyed set id = 10 where id = 1; delete from keyed where id = 2");
  f.src("truncate emptied; insert into emptied values (2, 'after')");
  f.src("alter table keyed add column extra text");
  f.src("insert into keyed values (4, 'four', 'x4'); update keyed set extra = 'x3' where id = 3");
  uint64_t last = f.marker("insert into keyed values (99, 'last', null)");
  REQUIRE(f.wait_for_commit(source, last));
  ProcessResult stopped = stop(source);
  INFO(stopped.err);
  CHECK(stopped.exited_with(0));

  // The topic holds what the test means to exercise.
  std::vector<std::string> lines = f.topic();
  TopicCheck c = check_topic(lines);
  check_topic_ok(c);
  CHECK(c.loads == 1);
  CHECK(c.load_inserts == 15);
  const std::string topic = read_file(f.topic_path());
  CHECK(occurrences(topic, "\"UnchangedToast\"") >= 2);
  CHECK(contains(topic, "{\"Char\":-127}"));
  CHECK(contains(topic, "{\"Char\":0}"));
  CHECK(contains(topic, "{\"Float4\":null}"));
  CHECK(contains(topic, "{\"Float8\":null}"));
  CHECK(contains(topic, "\"replica_identity\":\"Full\""));
  CHECK(contains(topic, "\"type\":\"truncate\""));
  CHECK(contains(topic, "\"name\":\"extra\""));
  CHECK(occurrences(topic, "\"type\":\"type\"") >= 1);  // the enum

  ProcessResult sink = f.run_sink();
  INFO(sink.err);
  REQUIRE(sink.exited_with(0));
  check_tables_equal(f, {"kinds", "dup", "nokey", "keyed", "emptied"});
  CHECK(f.tgt("select count(*) from kinds where length(big) = 22400") == "3\n");
  // Floats: finite values and NaN come back as they were; the format has
  // no infinities (it writes every non-finite value as null) and the sink
  // documents storing NaN for them.
  const std::string finite = "select id, f4, f8 from floats where id not in (3, 4, 5) order by id";
  CHECK(f.tgt(finite) == f.src(finite));
  // -0 keeps its sign: the source writes -0.0, which no JSON reader takes
  // for the integer 0.
  CHECK(contains(topic, "{\"Float4\":-0.0}"));
  CHECK(f.tgt("select f4, f8 from floats where id = 5") == "-0|-0\n");
  CHECK(f.tgt("select id, f4, f8 from floats where id in (3, 4) order by id") == "3|NaN|NaN\n4|NaN|NaN\n");
}

// ---- 2 ---------------------------------------------------------------------

TEST_CASE("pgbench on the source while the source and the sink connectors run: the target ends equal") {
  SourceFixture f;
  pgbench_init(f);
  Child source(f.host_args(f.source_config(f.unique("bench"))));
  INFO(source.err());
  REQUIRE(source.wait_for(streaming()));
  Child sink(f.host_args(f.sink_config()));  // following the topic
  INFO(sink.err());

  ProcessResult bench = run_process(pgbench_args(f, {"-c", "2", "-j", "2", "-t", "1000"}));
  INFO(bench.err);
  REQUIRE(bench.exited_with(0));
  uint64_t last = f.marker("update pgbench_branches set filler = 'the end' where bid = 1");
  REQUIRE(f.wait_for_commit(source, last, "events", 120s, {&sink}));
  std::vector<std::string> lines = f.topic();
  TopicCheck c = check_topic(lines);
  check_topic_ok(c);
  CHECK(c.loads == 1);
  CHECK(c.transactions >= 2001);
  // The sink catches up with the last commit of the topic.
  REQUIRE(wait_until({&sink, &source}, [&] { return stored_offset(f.server(), f.target_db()) >= static_cast<int64_t>(c.last_commit); }));
  CHECK(stored_offset(f.server(), f.target_db()) == static_cast<int64_t>(lines.size()) - 1);
  check_tables_equal(f, kPgbenchTables);

  ProcessResult source_stopped = stop(source), sink_stopped = stop(sink);
  INFO(source_stopped.err);
  INFO(sink_stopped.err);
  CHECK(source_stopped.exited_with(0));
  CHECK(sink_stopped.exited_with(0));
}

// ---- 3 ---------------------------------------------------------------------

TEST_CASE("kill -9 of the source connector at random moments of a pgbench load: no duplicate, no gap") {
  SourceFixture f;
  pgbench_init(f);
  std::mt19937_64 random = seeded_random();
  const std::string config = f.source_config(f.unique("killed"));
  const auto topic = f.topic_path();
  // pgbench runs until the kills are done (-T is a safety net).
  Child bench(pgbench_args(f, {"-c", "2", "-j", "2", "-T", "300"}));
  REQUIRE(wait_until({}, [&] { return f.src("select count(*) > 0 from pgbench_history") == "t\n"; }));

  int ended_inside_transaction = 0;
  // 1: inside the initial load (100,000 accounts, about 20 MB of events).
  {
    Child source(f.host_args(config));
    const uint64_t at = random_between(random, 64 << 10, 5 << 20);
    REQUIRE(poll_until(source, [&] { return topic_bytes(topic) >= at; }));
    source.send_signal(SIGKILL);
    ProcessResult killed = source.wait();
    CHECK(killed.signal == SIGKILL);
    CHECK_MESSAGE(last_commit_lsn(topic) == 0, "the first kill was meant to cut the initial load");
    MESSAGE("killed in the initial load at " << topic_bytes(topic) << " bytes");
  }
  // 2-4 while streaming: 2 after a random growth of the topic; 3 at once
  // when streaming starts (while the source skips what PostgreSQL sends
  // again); 4 inside a transaction of 50,000 inserts (about 30 MB of events,
  // written in several polls), which the next start must complete.
  for (int kill = 2; kill <= 4; ++kill) {
    CAPTURE(kill);
    Child source(f.host_args(config));
    INFO(source.err());
    REQUIRE(source.wait_for(streaming()));
    CHECK_MESSAGE(running(bench), "pgbench was meant to run during every kill");
    const std::uintmax_t start = topic_bytes(topic);
    uint64_t growth = 0;
    if (kill == 2) growth = random_between(random, 1, 300 << 10);
    std::uintmax_t from = start;
    if (kill == 4) {
      const std::string xid = f.src("begin; insert into pgbench_history (tid, bid, aid, delta, mtime)"
                                    " select 1, 1, g, g, now() from generate_series(1, 50000) g;"
                                    " select txid_current() % 4294967296; commit;");
      // From its begin on, however much came before it.
      const std::string begin = "\"xid\":" + xid.substr(0, xid.size() - 1) + "}";
      std::uintmax_t scanned = start;
      REQUIRE(poll_until(source, [&] { return (from = find_in_file(topic, begin, scanned)) != kNotFound; }));
      growth = random_between(random, 64 << 10, 1 << 20);
    }
    REQUIRE(poll_until(source, [&] { return topic_bytes(topic) >= from + growth; }));
    source.send_signal(SIGKILL);
    ProcessResult killed = source.wait();
    CHECK(killed.signal == SIGKILL);
    // The killed writer's last line may be cut (the next start cuts it off).
    std::string text = read_file(topic);
    bool inside = check_topic(lines_of(text.substr(0, text.rfind('\n') + 1))).problem ==
                  "the topic ends inside a transaction";
    ended_inside_transaction += inside;
    MESSAGE("kill " << kill << ": after " << growth << " bytes of growth; the topic ends "
                    << std::string(inside ? "inside a transaction" : "after a commit"));
    // Timing decides whether the kill lands inside; the transaction is
    // complete and equal either way (checked below), so this only reports.
    if (kill == 4 && !inside) MESSAGE("the fourth kill missed the large transaction this time");
  }
  bench.send_signal(SIGINT);
  bench.wait();

  Child source(f.host_args(config));
  INFO(source.err());
  uint64_t last = f.marker("update pgbench_branches set filler = 'the end' where bid = 1");
  REQUIRE(f.wait_for_commit(source, last));
  ProcessResult stopped = stop(source);
  CHECK(stopped.exited_with(0));

  std::vector<std::string> lines = f.topic();
  TopicCheck c = check_topic(lines);
  check_topic_ok(c);
  CHECK(c.loads == 2);  // the cut one, then the one that replaced it
  CHECK(c.transactions > 0);
  MESSAGE(c.transactions << " streamed transactions, " << lines.size() << " events; " << ended_inside_transaction
                         << " of the kills left the topic inside a transaction");

  // The sink, killed twice, then run to the end: while it writes the loads
  // (one source transaction each, uncommitted in the target), and as soon
  // as it has committed them, in the streamed transactions.
  const int64_t last_offset = static_cast<int64_t>(lines.size()) - 1;
  const int64_t loads_end = static_cast<int64_t>(c.loads_end);
  const std::string sink_config = f.sink_config();
  for (int kill = 1; kill <= 2; ++kill) {
    CAPTURE(kill);
    Child sink(f.host_args(sink_config, {"--batch-records", "200"}));
    INFO(sink.err());
    REQUIRE(poll_until(sink, [&] {
      return kill == 1 ? f.tgt("select count(*) from pg_stat_activity where datname = current_database()"
                               " and backend_xid is not null and pid <> pg_backend_pid()") != "0\n"
                       : stored_offset(f.server(), f.target_db()) >= loads_end;
    }));
    sink.send_signal(SIGKILL);
    CHECK(sink.wait().signal == SIGKILL);
    const int64_t stored = stored_offset(f.server(), f.target_db());
    MESSAGE("sink kill " << kill << ": stored offset " << stored << " (loads end at " << loads_end << ", the topic at "
                         << last_offset << ")");
    if (kill == 1) CHECK(stored < loads_end);
    if (kill == 2) CHECK_MESSAGE(stored < last_offset, "the second kill was meant to land before the topic's end");
  }
  ProcessResult sink = f.run_sink();
  INFO(sink.err);
  REQUIRE(sink.exited_with(0));
  CHECK(stored_offset(f.server(), f.target_db()) == last_offset);
  check_tables_equal(f, kPgbenchTables);
}

// ---- 4 ---------------------------------------------------------------------

TEST_CASE("a restart of the source server while the source streams: it reconnects, and the target ends equal") {
  PostgresServer server(source_server_options());
  SourceFixture f(server);
  f.src("create table t (id int primary key, v text); insert into t select g, 'loaded' from generate_series(1, 1000) g");
  Child source(f.host_args(f.source_config(f.unique("restarted"))));
  INFO(source.err());
  REQUIRE(source.wait_for(streaming()));
  uint64_t first = f.marker("insert into t select g, 'streamed' from generate_series(1001, 2000) g");
  REQUIRE(f.wait_for_commit(source, first));

  server.restart();
  // Changes made while the source is reconnecting.
  f.src("update t set v = 'after the restart' where id % 3 = 0");
  f.src("delete from t where id % 7 = 0");
  uint64_t last = f.marker("insert into t values (5000, 'last')");
  REQUIRE(f.wait_for_commit(source, last));
  REQUIRE(source.wait_for(streaming(2)));  // its log, read up to the new start
  CHECK(!line_with(source.err(), {"WARN", "asked to retry"}).empty());
  ProcessResult stopped = stop(source);
  CHECK(stopped.exited_with(0));

  check_topic_ok(check_topic(f.topic()));
  ProcessResult sink = f.run_sink();
  INFO(sink.err);
  REQUIRE(sink.exited_with(0));
  check_tables_equal(f, {"t"});
}

// ---- 5 ---------------------------------------------------------------------

TEST_CASE("initial load while updates and inserts run on the loaded table: the target ends equal") {
  SourceFixture f;
  f.src("create table big (id bigserial primary key, v int not null default 0, note text);"
        "insert into big (note) select md5(g::text) from generate_series(1, 50000) g");
  const std::string script = f.dir() / "writes.sql";
  std::ofstream(script) << "\\set id random(1, 50000)\n"
                           "update big set v = v + 1 where id = :id;\n"
                           "insert into big (v, note) values (:id, 'new');\n";
  Child bench(pgbench_args(f, {"-c", "2", "-j", "2", "-T", "300", "-f", script}));
  REQUIRE(wait_until({}, [&] { return f.src("select count(*) > 50000 from big") == "t\n"; }));

  Child source(f.host_args(f.source_config(f.unique("loaded_under_writes"))));
  INFO(source.err());
  REQUIRE(source.wait_for(logged("initial load done")));
  CHECK_MESSAGE(running(bench), "the writes were meant to go on during the whole load");
  bench.send_signal(SIGINT);
  bench.wait();

  uint64_t last = f.marker("insert into big (v, note) values (-1, 'last')");
  REQUIRE(f.wait_for_commit(source, last));
  ProcessResult stopped = stop(source);
  CHECK(stopped.exited_with(0));
  TopicCheck c = check_topic(f.topic());
  check_topic_ok(c);
  CHECK(c.loads == 1);
  CHECK(c.load_inserts > 50000);
  CHECK(c.transactions > 1);

  ProcessResult sink = f.run_sink();
  INFO(sink.err);
  REQUIRE(sink.exited_with(0));
  check_tables_equal(f, {"big"});
}

// ---- 6 ---------------------------------------------------------------------

TEST_CASE("TLS: sslmode=verify-full with the server's CA streams over TLS end to end") {
  PostgresServer server(source_server_options(true));
  SourceFixture f(server);
  f.src("create table t (id int primary key, v text); insert into t values (1, 'loaded')");
  const std::string url = "postgresql://postgres@localhost:" + std::to_string(server.port()) + "/" + f.source_db() +
                          "?sslmode=verify-full&sslrootcert=" + server.ca_certificate();
  Child source(f.host_args(f.source_config(f.unique("tls"), {}, url)));
  INFO(source.err());
  REQUIRE(source.wait_for(streaming()));
  CHECK(f.src("select s.ssl from pg_stat_replication r join pg_stat_ssl s using (pid)"
              " where r.application_name = 'postgres-source'") == "t\n");
  uint64_t last = f.marker("insert into t values (2, 'streamed')");
  REQUIRE(f.wait_for_commit(source, last));
  ProcessResult stopped = stop(source);
  CHECK(stopped.exited_with(0));
  ProcessResult sink = f.run_sink();
  INFO(sink.err);
  REQUIRE(sink.exited_with(0));
  check_tables_equal(f, {"t"});
  CHECK(f.tgt("select count(*) from t") == "2\n");
}

TEST_CASE("TLS: sslmode=require against a server without TLS fails at once with a clear error") {
  SourceFixture f;
  Child source(f.host_args(f.source_config(f.unique("no_tls"), {}, f.source_url() + "?sslmode=require"), {"--once"}));
  // Retrying 20 times (4 s at the test's 200 ms backoff ceiling) counts as
  // retrying forever.
  bool retrying = source.wait_for([](const std::string &, const std::string &err) {
    return occurrences(err, "asked to retry") >= 20;
  }, 60s);
  if (retrying) source.send_signal(SIGTERM);
  ProcessResult r = source.wait();
  INFO(r.err);
  CHECK_MESSAGE(!retrying, "the source retries a server that has no TLS instead of stopping");
  CHECK(r.exited_with(1));
  CHECK(contains(line_with(r.err, {"ERROR"}), "SSL"));
}

// ---- 7 ---------------------------------------------------------------------

TEST_CASE("setup errors stop the source with exit code 1 and a message naming the fix") {
  SUBCASE("wal_level = replica") {
    PostgresServer::Options options = source_server_options();
    options.settings["wal_level"] = "replica";
    PostgresServer server(options);
    SourceFixture f(server);
    ProcessResult r = run_process(f.host_args(f.source_config(f.unique("replica")), {"--once"}), {}, {}, 60s);
    INFO(r.err);
    CHECK(r.exited_with(1));
    std::string error = line_with(r.err, {"ERROR", "wal_level"});
    CHECK(contains(error, "wal_level = replica"));
    CHECK(contains(error, "ALTER SYSTEM SET wal_level = logical"));
  }
  SUBCASE("a role without REPLICATION") {
    SourceFixture f;
    const std::string role = f.unique("plain_role");
    f.src("create role " + role + " login; create table t (id int primary key); grant select on t to " + role +
          "; create publication " + f.unique("no_repl") + " for all tables");
    const std::string url = "postgresql://" + role + "@127.0.0.1:" + std::to_string(f.server().port()) + "/" +
                            f.source_db();
    ProcessResult r = run_process(f.host_args(f.source_config(f.unique("no_repl"), {}, url), {"--once"}), {}, {}, 60s);
    INFO(r.err);
    CHECK(r.exited_with(1));
    CHECK(contains(line_with(r.err, {"ERROR", "may not replicate"}), "ALTER ROLE"));
    f.src("drop publication " + f.unique("no_repl") + "; drop table t; drop role " + role);
  }
  SUBCASE("a role that may replicate but may not create the publication: what to grant, or to make it beforehand") {
    SourceFixture f;
    const std::string role = f.unique("repl_only");
    const std::string name = f.unique("not_owner");
    f.src("create role " + role + " login replication; create table t (id int primary key); grant select on t to " +
          role);
    const std::string url = "postgresql://" + role + "@127.0.0.1:" + std::to_string(f.server().port()) + "/" +
                            f.source_db();
    const std::string config = f.source_config(name, {"tables: [public.t]"}, url);
    ProcessResult r = run_process(f.host_args(config, {"--once"}), {}, {}, 60s);
    INFO(r.err);
    CHECK(r.exited_with(1));
    std::string error = line_with(r.err, {"ERROR", "creating the publication"});
    CHECK(contains(error, "permission denied for database"));
    CHECK(contains(error, "fix: GRANT CREATE ON DATABASE \"" + f.source_db() + "\" TO \"" + role + "\""));
    CHECK(contains(error, "an existing publication is used as it is"));

    f.src("grant create on database " + f.source_db() + " to " + role);
    r = run_process(f.host_args(config, {"--once"}), {}, {}, 60s);
    INFO(r.err);
    CHECK(r.exited_with(1));
    error = line_with(r.err, {"ERROR", "creating the publication"});
    CHECK(contains(error, "must be owner of table t"));
    CHECK(contains(error, "fix: GRANT <the tables' owner> TO \"" + role + "\", or have the tables' owner run"
                          " CREATE PUBLICATION \"" + name + "\" FOR TABLE \"public\".\"t\" on the source"));
    f.src("drop table t; revoke all on database " + f.source_db() + " from " + role + "; drop role " + role);
  }
  SUBCASE("skip_setup: true without the publication") {
    SourceFixture f;
    ProcessResult r =
        run_process(f.host_args(f.source_config(f.unique("skipped"), {"skip_setup: true"}), {"--once"}), {}, {}, 60s);
    INFO(r.err);
    CHECK(r.exited_with(1));
    std::string error = line_with(r.err, {"ERROR", "publication"});
    CHECK(contains(error, "does not exist"));
    CHECK(contains(error, "CREATE PUBLICATION"));
    CHECK(f.src("select count(*) from pg_replication_slots where slot_name = '" + f.unique("skipped") + "'") == "0\n");
  }
}

TEST_CASE("a slot in use by another process: a warning naming it while retrying, then the source goes on") {
  SourceFixture f;
  const std::string name = f.unique("busy");
  f.src("create table t (id int primary key, v text); insert into t values (1, 'loaded')");
  const std::string config = f.source_config(name);
  {
    Child source(f.host_args(config));
    INFO(source.err());
    REQUIRE(source.wait_for(streaming()));
    REQUIRE(f.wait_for_commit(source, f.marker("insert into t values (2, 'first run')")));
    CHECK(stop(source).exited_with(0));
  }
  Child holder({kPgBinDir + "pg_recvlogical", "-d", f.server().conninfo(f.source_db()), "--slot", name, "--start",
                "--no-loop", "-f", "/dev/null", "-o", "proto_version=1", "-o", "publication_names=" + name});
  REQUIRE(wait_until({&holder}, [&] {
    return f.src("select active from pg_replication_slots where slot_name = '" + name + "'") == "t\n";
  }));

  Child source(f.host_args(config));
  INFO(source.err());
  REQUIRE(source.wait_for(logged("in use by another process")));
  std::string warning = line_with(source.err(), {"WARN", "in use by another process"});
  CHECK(contains(warning, "'" + name + "'"));
  CHECK(contains(warning, "asked to retry"));

  {
    // A second connector on the same slot, with an empty topic and an
    // initial load to make: it must not take the slot from its user (nor
    // drop it), and says why.
    Child second(f.host_args(config, {"--topic", "second"}));
    bool retrying = second.wait_for([](const std::string &, const std::string &err) {
      return occurrences(err, "asked to retry") >= 3;
    }, 60s);
    if (retrying) second.send_signal(SIGTERM);
    ProcessResult r = second.wait();
    INFO(r.err);
    CHECK(contains(r.err, "'" + name + "'"));
    CHECK(contains(r.err, "give this connector its own parameters.slot"));
    CHECK(r.signal == 0);
    CHECK((r.exit_code == 1 || retrying));
  }

  holder.send_signal(SIGTERM);
  holder.wait();
  REQUIRE(source.wait_for(streaming()));
  uint64_t last = f.marker("insert into t values (3, 'after the holder left')");
  REQUIRE(f.wait_for_commit(source, last));
  CHECK(stop(source).exited_with(0));
  check_topic_ok(check_topic(f.topic()));
  ProcessResult sink = f.run_sink();
  INFO(sink.err);
  REQUIRE(sink.exited_with(0));
  check_tables_equal(f, {"t"});
  CHECK(f.tgt("select count(*) from t") == "3\n");
}

TEST_CASE("the slot dropped while the topic holds records: exit code 1, naming the slot and the fix") {
  SourceFixture f;
  const std::string name = f.unique("dropped");
  f.src("create table t (id int primary key); insert into t values (1)");
  const std::string config = f.source_config(name);
  {
    Child source(f.host_args(config));
    INFO(source.err());
    REQUIRE(source.wait_for(streaming()));
    CHECK(stop(source).exited_with(0));
  }
  REQUIRE(!f.topic().empty());
  f.src("select pg_drop_replication_slot('" + name + "')");
  ProcessResult r = run_process(f.host_args(config, {"--once"}), {}, {}, 60s);
  INFO(r.err);
  CHECK(r.exited_with(1));
  std::string error = line_with(r.err, {"ERROR", "'" + name + "'"});
  CHECK(contains(error, "is gone"));
  CHECK(contains(error, "fix: start over with a new topic"));
  CHECK(f.src("select count(*) from pg_replication_slots where slot_name = '" + name + "'") == "0\n");
}

// ---- 8 ---------------------------------------------------------------------

TEST_CASE("tables:, schemas: and initial_load: false decide what reaches the topic") {
  SourceFixture f;
  f.src("create schema other;"
        "create table public.a (id int primary key); create table public.b (id int primary key);"
        "create table other.c (id int primary key); create table other.d (id int primary key);"
        "insert into public.a values (1); insert into public.b values (1);"
        "insert into other.c values (1); insert into other.d values (1)");
  struct Run {
    std::string topic;
    std::vector<std::string> parameters;
    std::set<std::string> tables;  // expected in the topic
    std::size_t load_rows;
  };
  const std::vector<Run> runs = {
      {"tables", {"tables: [public.a, other.c]"}, {"public.a", "other.c"}, 2},
      {"schemas", {"schemas: [other]"}, {"other.c", "other.d"}, 2},
      {"comma_list", {"tables: \"public.b, other.d\""}, {"public.b", "other.d"}, 2},
      {"no_load", {"initial_load: false"}, {"public.a", "public.b", "other.c", "other.d"}, 0},
  };
  std::vector<std::unique_ptr<Child>> sources;
  for (const Run &run : runs) {
    sources.push_back(std::make_unique<Child>(
        f.host_args(f.source_config(f.unique(run.topic), run.parameters, "", run.topic))));
    INFO(sources.back()->err());
    REQUIRE(sources.back()->wait_for(streaming()));
  }
  f.src("insert into public.a values (2); insert into public.b values (2); insert into other.c values (2)");
  // A marker every run publishes: one transaction writing each table.
  uint64_t last = f.marker("insert into public.a values (3); insert into public.b values (3);"
                           " insert into other.c values (3); insert into other.d values (3)");
  for (std::size_t i = 0; i < runs.size(); ++i) {
    CAPTURE(runs[i].topic);
    INFO(sources[i]->err());
    REQUIRE(f.wait_for_commit(*sources[i], last, runs[i].topic));
    ProcessResult stopped = stop(*sources[i]);
    CHECK(stopped.exited_with(0));
    TopicCheck c = check_topic(f.topic(runs[i].topic));
    check_topic_ok(c);
    CHECK(c.tables == runs[i].tables);
    CHECK(c.loads == (runs[i].load_rows ? 1 : 0));
    CHECK(c.load_inserts == runs[i].load_rows);
    std::size_t streamed = 0;  // rows of the two streamed transactions in these tables
    for (const std::string &t : runs[i].tables) streamed += t == "other.d" ? 1 : 2;
    CHECK(c.inserts - c.load_inserts == streamed);
  }
}

// ---- 10 --------------------------------------------------------------------

TEST_CASE("an idle source lets its slot move past WAL that holds nothing for it, so the server frees that WAL") {
  SourceFixture f;
  const std::string name = f.unique("idle");
  f.src("create table t (id int primary key)");
  Child source(f.host_args(f.source_config(name, {"tables: [public.t]"})));
  INFO(source.err());
  REQUIRE(source.wait_for(streaming()));
  const std::string slot_position =
      "select (confirmed_flush_lsn - '0/0')::bigint from pg_replication_slots where slot_name = '" + name + "'";
  // WAL that the publication does not cover: another table, in its own
  // transactions. The slot must not stay behind it.
  f.src("create table unpublished (x int); insert into unpublished select generate_series(1, 10000)");
  const uint64_t after = std::stoull(f.src("select (pg_current_wal_insert_lsn() - '0/0')::bigint"));
  CHECK(wait_until({&source}, [&] { return std::stoull(f.src(slot_position)) >= after; }, std::chrono::seconds(60)));
  for (const std::string &line : f.topic()) CHECK_FALSE(contains(line, "unpublished"));  // none of it reached the topic
  // And a change made afterwards still arrives: nothing was confirmed too far.
  uint64_t last = f.marker("insert into t values (1)");
  REQUIRE(f.wait_for_commit(source, last));
  CHECK(stop(source).exited_with(0));
  ProcessResult sink = f.run_sink();
  INFO(sink.err);
  REQUIRE(sink.exited_with(0));
  check_tables_equal(f, {"t"});
}
