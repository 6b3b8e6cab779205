// What the postgres-source integration tests share: a PostgreSQL server for
// the whole test program, a source and a target database per test, a topic
// directory, runs of the real connector-host with the real postgres-source
// and postgres-sink plugins, and readers of the topic they write.
#ifndef CN_TEST_SOURCE_FIXTURE_HPP
#define CN_TEST_SOURCE_FIXTURE_HPP

#include "paths.hpp"
#include "postgres_server.hpp"
#include "process.hpp"

#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace cn::test {

inline const std::string kPgBinDir = "/usr/lib/postgresql/15/bin/";

// Started on first use, stopped when the test program ends. Commits are
// synchronous so that what a test committed is what a crash keeps.
inline PostgresServer::Options source_server_options(bool tls = false) {
  return PostgresServer::Options{
      {{"synchronous_commit", "on"}, {"max_replication_slots", "20"}, {"max_wal_senders", "20"}}, tls};
}

inline PostgresServer &source_server() {
  static PostgresServer server(source_server_options());
  return server;
}

inline bool contains(const std::string &text, const std::string &part) { return text.find(part) != std::string::npos; }

inline std::size_t occurrences(const std::string &text, const std::string &part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

// The first line of text holding every one of parts; empty if none does.
inline std::string line_with(const std::string &text, std::initializer_list<std::string> parts) {
  for (const std::string &line : lines_of(text)) {
    bool all = true;
    for (const std::string &p : parts) all = all && contains(line, p);
    if (all) return line;
  }
  return {};
}

// Whether the child has not ended yet (a zombie has ended).
inline bool running(const Child &child) {
  std::string stat = read_file("/proc/" + std::to_string(child.pid()) + "/stat");
  std::size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

// Reads the children's output (so that none blocks on a full pipe) while
// polling condition, about every 100 ms per child, until it holds. False if
// the safety timeout passes first, or once one of the children has ended
// and the condition still does not hold.
inline bool wait_until(const std::vector<Child *> &children, const std::function<bool()> &condition,
                       std::chrono::seconds safety_timeout = std::chrono::seconds(120)) {
  const auto deadline = std::chrono::steady_clock::now() + safety_timeout;
  for (;;) {
    if (condition()) return true;
    for (Child *child : children) {
      if (!running(*child)) return condition();
      int calls = 0;  // one read of the output, of at most 100 ms
      child->wait_for([&](const std::string &, const std::string &) { return calls++ > 0; });
    }
    // With no output to read, the pause between polls of the condition.
    if (children.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (std::chrono::steady_clock::now() > deadline) return condition();
  }
}

// ---- the topic ---------------------------------------------------------------

// The raw token of a field of a change event as the source writes it:
// a number, or a string without its quotes (no escapes in test names).
inline std::string event_field(const std::string &line, const std::string &key) {
  const std::string marker = "\"" + key + "\":";
  std::size_t at = line.find(marker);
  if (at == std::string::npos) return {};
  at += marker.size();
  if (at < line.size() && line[at] == '"') {
    std::size_t end = line.find('"', at + 1);
    return line.substr(at + 1, end - at - 1);
  }
  std::size_t end = line.find_first_of(",}]", at);
  return line.substr(at, end - at);
}

inline std::string event_type(const std::string &line) { return event_field(line, "type"); }

inline uint64_t event_u64(const std::string &line, const std::string &key) {
  std::string token = event_field(line, key);
  if (token.empty()) throw std::runtime_error("no " + key + " in " + line.substr(0, 200));
  return std::stoull(token);
}

// The commit_lsn of the last complete commit event of a topic file (read
// from its tail only); 0 if there is none yet.
inline uint64_t last_commit_lsn(const std::filesystem::path &topic) {
  std::ifstream in(topic, std::ios::binary);
  if (!in) return 0;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff from = std::max<std::streamoff>(0, size - (1 << 20));
  in.seekg(from);
  std::string tail(static_cast<std::size_t>(size - from), '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  std::size_t end = tail.rfind('\n');
  if (end == std::string::npos) return 0;
  std::size_t at = tail.rfind("\"type\":\"commit\"", end);
  if (at == std::string::npos) return 0;
  std::size_t line_start = tail.rfind('\n', at);
  std::size_t line_end = tail.find('\n', at);
  return event_u64(tail.substr(line_start == std::string::npos ? 0 : line_start + 1,
                               line_end - (line_start == std::string::npos ? 0 : line_start + 1)),
                   "commit_lsn");
}

// The sink's stored offset in a target database; -1 while there is none
// or while the server is away.
inline int64_t stored_offset(const PostgresServer &server, const std::string &db, const std::string &connector = "sink") {
  try {
    const std::string out =
        server.psql("select current_offset from fluvio.offset where connector = '" + connector + "'", db);
    return out.empty() ? -1 : std::stoll(out);
  } catch (const std::runtime_error &) {
    return -1;
  }
}

// What a reader checks about a whole topic written by postgres-source.
struct TopicCheck {
  std::string problem;         // the first thing wrong; empty when none
  int loads = 0;               // initial-load transactions (xid 0)
  int transactions = 0;        // streamed transactions
  std::size_t last_commit = 0; // offset of the last commit event
  std::size_t loads_end = 0;   // offset of the last initial load's commit
  std::set<std::string> tables;  // schema.table of every relation event
  std::size_t inserts = 0, updates = 0, deletes = 0, truncates = 0;
  std::size_t load_inserts = 0;  // inserts inside loads
};

// Every line is a whole change event; begin and commit alternate, each
// commit closing its begin (commit_lsn == final_lsn), every other event
// inside a transaction; the final_lsn of the begins strictly grows (so no
// transaction is there twice) and no xid repeats; initial loads (xid 0)
// come first, and a load that replaces one cut short empties the tables
// (a truncate) before any row. With complete, the topic ends with a commit.
inline TopicCheck check_topic(const std::vector<std::string> &lines, bool complete = true) {
  TopicCheck c;
  bool open = false, open_is_load = false, load_changes_seen = false;
  uint64_t final_lsn = 0, previous_final_lsn = 0;
  std::set<uint64_t> xids;
  auto fail = [&](std::size_t offset, const std::string &what) {
    if (c.problem.empty())
      c.problem = "offset " + std::to_string(offset) + ": " + what + ": " + lines[offset].substr(0, 300);
  };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string &line = lines[i];
    if (line.rfind("{\"wal_start\":", 0) != 0 || line.size() < 2 || line.compare(line.size() - 2, 2, "}}") != 0) {
      fail(i, "not a whole change event");
      continue;
    }
    const std::string type = event_type(line);
    if (type == "begin") {
      if (open) fail(i, "a begin inside a transaction");
      open = true;
      final_lsn = event_u64(line, "final_lsn");
      uint64_t xid = event_u64(line, "xid");
      // A load's final_lsn is its slot's consistent point, where a real
      // transaction may commit too (the load's snapshot did not see it).
      if (final_lsn < previous_final_lsn || (final_lsn == previous_final_lsn && !open_is_load))
        fail(i, "a final_lsn not above the previous one (a repeated transaction)");
      previous_final_lsn = final_lsn;
      open_is_load = xid == 0;
      load_changes_seen = false;
      if (open_is_load) {
        if (c.transactions > 0) fail(i, "an initial load after streamed transactions");
        ++c.loads;
      } else {
        if (!xids.insert(xid).second) fail(i, "xid " + std::to_string(xid) + " a second time");
        ++c.transactions;
      }
      continue;
    }
    if (!open) {
      fail(i, "a " + type + " outside a transaction");
      continue;
    }
    if (type == "commit") {
      if (event_u64(line, "commit_lsn") != final_lsn) fail(i, "a commit_lsn that is not its begin's final_lsn");
      open = false;
      c.last_commit = i;
      if (open_is_load) c.loads_end = i;
    } else if (type == "relation") {
      c.tables.insert(event_field(line, "namespace") + "." + event_field(line, "name"));
    } else if (type == "insert" || type == "update" || type == "delete" || type == "truncate") {
      if (open_is_load && c.loads > 1 && !load_changes_seen && type != "truncate")
        fail(i, "a load replacing a cut one that does not first empty the tables");
      load_changes_seen = true;
      if (type == "insert") ++c.inserts, c.load_inserts += open_is_load;
      if (type == "update") ++c.updates;
      if (type == "delete") ++c.deletes;
      if (type == "truncate") ++c.truncates;
    } else if (type != "type" && type != "origin") {
      fail(i, "an unknown event type '" + type + "'");
    }
  }
  if (complete && open && c.problem.empty()) c.problem = "the topic ends inside a transaction";
  return c;
}

// ---- the fixture -------------------------------------------------------------

class SourceFixture {
 public:
  // server: where the source and target databases live.
  explicit SourceFixture(PostgresServer &server = source_server()) : server_(server) {
    static int counter = 0;
    id_ = std::to_string(::getpid()) + "_" + std::to_string(++counter);
    source_db_ = "source_" + id_;
    target_db_ = "target_" + id_;
    server_.create_database(source_db_);
    server_.create_database(target_db_);
  }

  // Drops the slots made in the source database (the connectors are gone
  // by now; their walsenders may take a moment to notice).
  ~SourceFixture() {
    const std::string slots = "from pg_replication_slots where database = '" + source_db_ + "'";
    int failures = 0;
    try {
      wait_until({}, [&] {
        try {
          server_.psql("select count(pg_terminate_backend(active_pid)) " + slots + " and active;"
                       "select count(pg_drop_replication_slot(slot_name)) " + slots + " and not active");
          return server_.psql("select count(*) " + slots) == "0\n";
        } catch (const std::runtime_error &) {
          // A slot that became active between the two statements; or a
          // server that is not running: then there is nothing to clean.
          return ++failures > 3;
        }
      }, std::chrono::seconds(30));
    } catch (const std::exception &) {
      // A server a test stopped, or one made for the test alone.
    }
  }
  SourceFixture(const SourceFixture &) = delete;
  SourceFixture &operator=(const SourceFixture &) = delete;

  PostgresServer &server() const { return server_; }
  const std::string &source_db() const { return source_db_; }
  const std::string &target_db() const { return target_db_; }
  std::string source_url() const { return server_.url(source_db_); }
  std::string target_url() const { return server_.url(target_db_); }
  const TempDir &dir() const { return dir_; }
  // A name unique to this fixture (slots are per server, not per database).
  std::string unique(const std::string &base) const { return base + "_" + id_; }

  std::string src(const std::string &sql) const { return server_.psql(sql, source_db_); }
  std::string tgt(const std::string &sql) const { return server_.psql(sql, target_db_); }

  // Where the connectors' topics are: the fixture's directory (the file
  // log), unless a test gives NATS servers (nats://...).
  void use_topics(const std::string &location) { topics_ = location; }

  std::filesystem::path topic_path(const std::string &topic = "events") const {
    return dir_.path() / "topics" / (topic + ".jsonl");
  }
  std::vector<std::string> topic(const std::string &topic = "events") const { return read_lines(topic_path(topic)); }

  // connect.yml of a postgres-source named `name` (the slot and the
  // publication default to it), with extra parameters lines ("key: value").
  std::string source_config(const std::string &name, const std::vector<std::string> &parameters = {},
                            const std::string &url = "", const std::string &topic = "events") const {
    return config(name, "postgres-source", topic, url.empty() ? source_url() : url, parameters);
  }
  std::string sink_config(const std::vector<std::string> &parameters = {}, const std::string &name = "sink",
                          const std::string &topic = "events", const std::string &url = "") const {
    return config(name, "postgres-sink", topic, url.empty() ? target_url() : url, parameters);
  }

  std::vector<std::string> host_args(const std::string &config, const std::vector<std::string> &extra = {}) const {
    std::vector<std::string> args = {kHostBinary, "--config", config, "--topics", topics_, "--plugin-dir",
                                     kPluginDir, "--retry-initial-ms", "10", "--retry-max-ms", "200"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // The sink applying the whole topic, to its end.
  ProcessResult run_sink(const std::vector<std::string> &extra = {}) const {
    std::vector<std::string> args = extra;
    args.push_back("--once");
    return run_process(host_args(sink_config(), args), {}, {}, std::chrono::seconds(300));
  }

  // Commits a transaction on the source running `statement`, and returns
  // a position inside it, before its commit record: once the topic holds a
  // commit at or after it, it holds every transaction committed before
  // this one (they come in commit order).
  uint64_t marker(const std::string &statement) const {
    std::string out = src("begin; " + statement + "; select (pg_current_wal_insert_lsn() - '0/0')::bigint; commit;");
    return std::stoull(out);
  }

  // Waits, reading the running source's output, until the topic holds a
  // commit at or after `lsn`.
  bool wait_for_commit(Child &source, uint64_t lsn, const std::string &topic = "events",
                       std::chrono::seconds safety_timeout = std::chrono::seconds(120),
                       const std::vector<Child *> &others = {}) const {
    std::vector<Child *> children = {&source};
    children.insert(children.end(), others.begin(), others.end());
    return wait_until(children, [&] { return last_commit_lsn(topic_path(topic)) >= lsn; }, safety_timeout);
  }

  // count and md5 of a table's rows ordered by their text form.
  static std::string digest_sql(const std::string &table) {
    return "select count(*) || ' ' || coalesce(md5(string_agg(t::text, E'\\n' order by t::text)), '') from " + table +
           " t";
  }
  std::string source_digest(const std::string &table) const { return src(digest_sql(table)); }
  std::string target_digest(const std::string &table) const { return tgt(digest_sql(table)); }

 private:
  std::string config(const std::string &name, const std::string &type, const std::string &topic,
                     const std::string &url, const std::vector<std::string> &parameters) const {
    std::string path = dir_ / (name + ".yml");
    std::ofstream out(path);
    out << "version: 0.1.0\nname: " << name << "\ntype: " << type << "\ntopic: " << topic << "\nparameters:\n  url: \""
        << url << "\"\n";
    for (const std::string &p : parameters) out << "  " << p << "\n";
    return path;
  }

  PostgresServer &server_;
  std::string id_, source_db_, target_db_;
  TempDir dir_;
  bool topics_made_ = std::filesystem::create_directories(dir_.path() / "topics");
  std::string topics_ = dir_ / "topics";
};

// ---- what the source tests share ------------------------------------------

inline const std::vector<std::string> kPgbenchTables = {"pgbench_accounts", "pgbench_branches", "pgbench_tellers",
                                                        "pgbench_history"};

// A predicate for Child::wait_for: the source has started streaming n times.
inline auto streaming(int n = 1) {
  return [n](const std::string &, const std::string &err) {
    return occurrences(err, "streaming from slot") >= static_cast<std::size_t>(n);
  };
}

// Stops a connector as a supervisor would (SIGTERM) and waits for its end.
inline ProcessResult stop(Child &child) {
  child.send_signal(SIGTERM);
  return child.wait();
}

// pgbench at a steady rate (-R, transactions per second) until it is
// stopped (-T is a safety net), so that the faults land while it runs.
inline std::vector<std::string> pgbench_stream(const SourceFixture &f) {
  return {kPgBinDir + "pgbench", "-n", "-c", "2", "-j", "2", "-R", "200", "-T", "300",
          f.server().conninfo(f.source_db())};
}

// A random generator whose seed is printed, and can be given back with
// CN_TEST_SEED to replay a failing run.
inline std::mt19937_64 seeded_random() {
  const char *given = std::getenv("CN_TEST_SEED");
  const uint64_t seed = given ? std::stoull(given) : std::random_device{}();
  MESSAGE("random seed " << seed << " (CN_TEST_SEED=" << seed << " replays it)");
  return std::mt19937_64(seed);
}

inline int64_t random_between(std::mt19937_64 &random, int64_t low, int64_t high) {
  return std::uniform_int_distribution<int64_t>(low, high)(random);
}

// Every table equal on both sides, and not empty (an empty pair proves nothing).
inline void check_tables_equal(const SourceFixture &f, const std::vector<std::string> &tables,
                               const PostgresServer &target, const std::string &target_db) {
  for (const std::string &table : tables) {
    CAPTURE(table);
    const std::string expected = f.source_digest(table);
    CHECK(expected.rfind("0 ", 0) != 0);
    CHECK(target.psql(SourceFixture::digest_sql(table), target_db) == expected);
  }
}
inline void check_tables_equal(const SourceFixture &f, const std::vector<std::string> &tables) {
  check_tables_equal(f, tables, f.server(), f.target_db());
}

inline void check_topic_ok(const TopicCheck &c) {
  INFO("topic check: " << c.problem);
  CHECK(c.problem.empty());
}

inline std::uintmax_t topic_bytes(const std::filesystem::path &path) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  return error ? 0 : size;
}

// Stops pgbench, commits a last transaction on the source and waits until
// the topic holds it, and so everything committed before it; returns the
// topic.
inline std::vector<std::string> finish_stream(const SourceFixture &f, Child &bench, Child &source,
                                              const std::vector<Child *> &others = {}) {
  bench.send_signal(SIGINT);
  bench.wait();
  const uint64_t last = f.marker("update pgbench_branches set filler = 'the end' where bid = 1");
  REQUIRE(f.wait_for_commit(source, last, "events", std::chrono::seconds(120), others));
  return f.topic();
}

// pgbench -i -s 1 on the source database; the test stops if it fails.
inline void pgbench_init(const SourceFixture &f) {
  ProcessResult r = run_process({kPgBinDir + "pgbench", "-i", "-s", "1", "-q", f.server().conninfo(f.source_db())});
  INFO(r.err);
  REQUIRE(r.exited_with(0));
}

}  // namespace cn::test

#endif
