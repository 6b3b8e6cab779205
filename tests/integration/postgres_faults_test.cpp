// Crashes and damage under the whole pipeline, with real PostgreSQL servers,
// the real connector-host and the real postgres-source and postgres-sink
// plugins: kill -9 of the target server and of the source server in the
// middle of a pgbench stream, the topic's disk filling up while the source
// writes, and a topic file damaged in the middle under a sink that follows
// it. What is checked is what a user would check: the target ends equal to
// the source (count and md5 of every table), the topic holds every source
// transaction once and no torn record, the error names what went wrong.
#include "sink_fixture.hpp"
#include "source_fixture.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <change_events/change_events.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace cn::test;
namespace ev = cn::test::events;
using namespace std::chrono_literals;

namespace {

// A transaction of 50,000 inserts (about 30 MB of events) on the source.
void large_transaction(const SourceFixture &f) {
  f.src("insert into pgbench_history (tid, bid, aid, delta, mtime)"
        " select 1, 1, g, g, now() from generate_series(1, 50000) g");
}

// A tmpfs of the given size mounted on an existing directory for as long as
// this lives (root only); unmounted whatever happens, lazily if something
// still uses it.
class TmpfsMount {
 public:
  TmpfsMount(std::filesystem::path dir, const std::string &size) : dir_(std::move(dir)) {
    if (::geteuid() != 0) {
      why_not_ = "not running as root";
      return;
    }
    ProcessResult r = run_process({"/bin/mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0700", "tmpfs",
                                   dir_.string()});
    mounted_ = r.exited_with(0);
    if (!mounted_) why_not_ = "mount -t tmpfs failed: " + r.err;
  }
  ~TmpfsMount() {
    if (mounted_ && !run_process({"/bin/umount", dir_.string()}).exited_with(0))
      run_process({"/bin/umount", "-l", dir_.string()});
  }
  TmpfsMount(const TmpfsMount &) = delete;
  TmpfsMount &operator=(const TmpfsMount &) = delete;

  bool mounted() const { return mounted_; }
  const std::string &why_not() const { return why_not_; }
  bool resize(const std::string &size) {
    return run_process({"/bin/mount", "-o", "remount,size=" + size, dir_.string()}).exited_with(0);
  }

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
  std::string why_not_;
};

// Overwrites bytes of a file in place, as a damaged disk block would.
void overwrite(const std::filesystem::path &path, std::uintmax_t at, const std::string &bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  const ssize_t written = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(at));
  ::close(fd);
  REQUIRE(written == static_cast<ssize_t>(bytes.size()));
}

// Where line `offset` of a text starts.
std::size_t line_start(const std::string &text, std::size_t offset) {
  std::size_t at = 0;
  for (std::size_t line = 0; line < offset; ++line) at = text.find('\n', at) + 1;
  return at;
}

// Where the process has read the open file `path` up to (the position of
// its descriptor, from /proc/PID/fdinfo); -1 while it has not opened it.
int64_t read_position(int pid, const std::filesystem::path &path) {
  const std::string proc = "/proc/" + std::to_string(pid);
  const std::filesystem::path file = std::filesystem::weakly_canonical(path);
  std::error_code error;
  for (const std::filesystem::directory_entry &fd : std::filesystem::directory_iterator(proc + "/fd", error)) {
    std::error_code link_error;
    if (std::filesystem::read_symlink(fd.path(), link_error) != file) continue;
    const std::string info = read_file(proc + "/fdinfo/" + fd.path().filename().string());  // "pos:\t123\n..."
    const std::size_t colon = info.find(':');
    return colon == std::string::npos ? -1 : std::stoll(info.substr(colon + 1));
  }
  return -1;
}

constexpr uint32_t kItem = 100;

std::string item_relation() {
  return ev::relation(kItem, "public", "item", {{"id", ev::kInt4, -1, true}, {"label", ev::kText}});
}

std::string item(int id, const std::string &label) { return ev::insert(kItem, {ev::i4(id), ev::str(label)}); }

std::string items(SinkFixture &f) { return f.sql("select id, label from item order by id"); }

}  // namespace

// ---- 1 ---------------------------------------------------------------------

TEST_CASE("kill -9 of the target server three times at random points of a pgbench stream: nothing lost or repeated") {
  SourceFixture f;
  // Commits synchronous: what the target acknowledged is what its crash keeps.
  PostgresServer target(PostgresServer::Options{{{"synchronous_commit", "on"}}, false});
  const std::string target_db = "target";
  target.create_database(target_db);
  pgbench_init(f);
  std::mt19937_64 random = seeded_random();

  Child source(f.host_args(f.source_config(f.unique("target_killed"))));
  INFO(source.err());
  REQUIRE(source.wait_for(streaming()));
  Child sink(f.host_args(f.sink_config({}, "sink", "events", target.url(target_db))));  // following the topic
  INFO(sink.err());
  Child bench(pgbench_stream(f));
  auto offset = [&] { return stored_offset(target, target_db); };

  // Whether the sink's session on the target (the only client there that
  // writes; autovacuum is no client) meets condition, a test on its row of
  // pg_stat_activity.
  auto sink_session = [&](const std::string &condition) {
    try {
      return target.psql("select count(*) > 0 from pg_stat_activity where datname = current_database()"
                         " and backend_type = 'client backend' and pid <> pg_backend_pid() and " + condition,
                         target_db) == "t\n";
    } catch (const std::runtime_error &) {
      return false;
    }
  };

  int64_t before_kill = -1;
  for (int kill = 1; kill <= 3; ++kill) {
    CAPTURE(kill);
    // Each kill once the sink has applied a random number of records more
    // since the target last came back, then:
    // 1: at a random moment after that (the delay picks the point; it
    //    waits for nothing);
    // 2: while the sink writes (a large source transaction, written in
    //    chunks before its commit arrives, most likely);
    // 3: with the sink's commit in doubt: durable on the target, but not
    //    acknowledged (it waits for a synchronous standby that does not
    //    exist), so that the sink cannot know whether it committed.
    const int64_t threshold = before_kill + random_between(random, 1, 3000);
    REQUIRE(wait_until({&sink, &source}, [&] { return offset() >= threshold; }));
    if (kill == 1) std::this_thread::sleep_for(std::chrono::milliseconds(random_between(random, 0, 300)));
    if (kill == 2) {
      large_transaction(f);
      REQUIRE(wait_until({&sink, &source}, [&] { return sink_session("backend_xid is not null"); }));
    }
    if (kill == 3) {
      target.psql("alter system set synchronous_standby_names = 'nobody'");
      target.psql("select pg_reload_conf()");
      REQUIRE(wait_until({&sink, &source}, [&] { return sink_session("wait_event = 'SyncRep'"); }));
    }
    CHECK_MESSAGE(running(bench), "pgbench was meant to run during every kill");
    before_kill = offset();
    REQUIRE(before_kill >= threshold);
    target.kill9();
    target.start();
    if (kill == 3) {
      target.psql("alter system reset synchronous_standby_names");
      target.psql("select pg_reload_conf()");
    }
    // What the target had committed before the crash is still there; the
    // commit in doubt too (the sink must not apply it again: the digests
    // below would show it).
    const int64_t after_restart = offset();
    MESSAGE("kill " << kill << ": stored offset " << before_kill << " before, " << after_restart << " after");
    CHECK(after_restart >= before_kill);
    if (kill == 3) CHECK(after_restart > before_kill);
  }
  // The sink goes on after the third crash too.
  REQUIRE(wait_until({&sink, &source}, [&] { return offset() > before_kill; }));

  const std::vector<std::string> lines = finish_stream(f, bench, source, {&sink});
  TopicCheck c = check_topic(lines);
  check_topic_ok(c);
  CHECK(c.transactions > 0);
  // The sink catches up with the end of the topic, the last commit.
  const int64_t last = static_cast<int64_t>(lines.size()) - 1;
  REQUIRE(wait_until({&sink, &source}, [&] { return offset() >= last; }));
  CHECK(offset() == last);
  check_tables_equal(f, kPgbenchTables, target, target_db);
  MESSAGE(c.transactions << " streamed transactions, " << lines.size() << " events");

  ProcessResult sink_stopped = stop(sink), source_stopped = stop(source);
  INFO(sink_stopped.err);
  CHECK(sink_stopped.exited_with(0));
  CHECK(source_stopped.exited_with(0));
  // It retried (at least once per crash) and never gave up.
  CHECK(occurrences(sink_stopped.err, "asked to retry") >= 3);
  CHECK(!line_with(sink_stopped.err, {"WARN", "commit is in doubt"}).empty());
  CHECK(line_with(sink_stopped.err, {"ERROR"}).empty());
}

// ---- 2 ---------------------------------------------------------------------

TEST_CASE("kill -9 of the source server twice in the middle of a pgbench stream: every transaction once") {
  PostgresServer server(source_server_options());
  SourceFixture f(server);
  pgbench_init(f);
  std::mt19937_64 random = seeded_random();
  const std::string config = f.source_config(f.unique("source_killed"));
  const auto topic = f.topic_path();

  Child source(f.host_args(config));
  INFO(source.err());
  REQUIRE(source.wait_for(streaming()));
  for (int kill = 1; kill <= 2; ++kill) {
    CAPTURE(kill);
    // pgbench dies with the server: one run per crash.
    Child bench(pgbench_stream(f));
    // The first kill after a random growth of the topic; the second one
    // inside a large transaction most likely (the topic then ends inside
    // it, and the source must complete it, not repeat it).
    std::uintmax_t growth = static_cast<std::uintmax_t>(random_between(random, 16 << 10, 256 << 10));
    if (kill == 2) {
      growth = static_cast<std::uintmax_t>(random_between(random, 256 << 10, 2 << 20));
      large_transaction(f);
    }
    const std::uintmax_t from = topic_bytes(topic);
    REQUIRE(wait_until({&source}, [&] { return topic_bytes(topic) >= from + growth; }));
    CHECK_MESSAGE(running(bench), "pgbench was meant to run during every kill");
    server.kill9();
    bench.wait();
    const std::string text = read_file(topic);
    const bool inside = check_topic(lines_of(text.substr(0, text.rfind('\n') + 1))).problem ==
                        "the topic ends inside a transaction";
    server.start();
    // The source reconnects by itself, and streams again.
    REQUIRE(source.wait_for(streaming(kill + 1)));
    MESSAGE("kill " << kill << ": after " << growth << " bytes of growth; the topic ends "
                    << std::string(inside ? "inside a transaction" : "after a commit"));
  }
  // And it streams what comes after the last crash.
  Child bench(pgbench_stream(f));
  const std::uintmax_t from = topic_bytes(topic);
  REQUIRE(wait_until({&source}, [&] { return topic_bytes(topic) >= from + (64 << 10); }));
  const std::vector<std::string> lines = finish_stream(f, bench, source);
  ProcessResult stopped = stop(source);
  INFO(stopped.err);
  CHECK(stopped.exited_with(0));
  CHECK(!line_with(stopped.err, {"WARN", "asked to retry"}).empty());
  CHECK(line_with(stopped.err, {"ERROR"}).empty());

  // No transaction twice (no xid again, final_lsn always growing) ...
  TopicCheck c = check_topic(lines);
  check_topic_ok(c);
  CHECK(c.loads == 1);
  // ... and none missing: every row of pgbench_history (one per pgbench
  // transaction, and the large transaction's) is one insert in the topic.
  CHECK(std::to_string(c.inserts - c.load_inserts) + "\n" == f.src("select count(*) from pgbench_history"));
  MESSAGE(c.transactions << " streamed transactions, " << lines.size() << " events");

  ProcessResult sink = f.run_sink();
  INFO(sink.err);
  REQUIRE(sink.exited_with(0));
  check_tables_equal(f, kPgbenchTables, server, f.target_db());
}

// ---- 3 ---------------------------------------------------------------------

TEST_CASE("the topic's disk fills up while postgres-source writes: a clear error, no torn record, then it goes on") {
  SourceFixture f;
  TmpfsMount disk(f.dir().path() / "topics", "2m");
  if (!disk.mounted()) {
    MESSAGE("skipped: cannot mount a small tmpfs as the topic directory (" << disk.why_not() << ")");
    return;
  }
  const std::filesystem::path topic = f.topic_path();
  f.src("create table t (id int primary key, v text);"
        "insert into t select g, repeat(md5(g::text), 4) from generate_series(1, 100) g");
  const std::string config = f.source_config(f.unique("disk_full"));

  ProcessResult failed;
  {
    Child source(f.host_args(config));
    INFO(source.err());
    REQUIRE(source.wait_for(streaming()));
    // Transactions of 2,000 rows (about 600 kB of events each) until the
    // source stops: 2 MB hold only a few.
    int next = 101;
    for (int batch = 0; batch < 40; ++batch) {
      const uint64_t lsn = f.marker("insert into t select g, repeat(md5(g::text), 4) from generate_series(" +
                                    std::to_string(next) + ", " + std::to_string(next + 1999) + ") g");
      next += 2000;
      if (!f.wait_for_commit(source, lsn, "events", 60s)) break;  // false once the source has ended
    }
    failed = source.wait();
  }
  INFO(failed.err);
  CHECK(failed.exited_with(1));
  const std::string error = line_with(failed.err, {"ERROR", "No space left on device"});
  CHECK(contains(error, topic.string()));

  // No torn record: the topic ends with a newline, and each line is a whole
  // change event (the topic may end inside a transaction).
  const std::string text = read_file(topic);
  REQUIRE(!text.empty());
  CHECK(text.back() == '\n');
  const std::vector<std::string> written = lines_of(text);
  for (std::size_t i = 0; i < written.size(); ++i) {
    CAPTURE(i);
    CHECK_NOTHROW(cn::events::parse_event(written[i]));
  }
  check_topic_ok(check_topic(written, false));
  MESSAGE("the disk filled at " << text.size() << " bytes, " << written.size() << " events");

  // Space freed, a restart goes on where the topic ends.
  REQUIRE(disk.resize("64m"));
  {
    Child source(f.host_args(config));
    INFO(source.err());
    REQUIRE(source.wait_for(streaming()));
    const uint64_t last = f.marker("insert into t values (0, 'after the disk was freed')");
    REQUIRE(f.wait_for_commit(source, last));
    ProcessResult stopped = stop(source);
    INFO(stopped.err);
    CHECK(stopped.exited_with(0));
  }
  // Nothing repeated, nothing lost: every row of t is one insert in the
  // topic, and the target made from it equals the source.
  TopicCheck c = check_topic(f.topic());
  check_topic_ok(c);
  CHECK(std::to_string(c.inserts) + "\n" == f.src("select count(*) from t"));
  ProcessResult sink = f.run_sink();
  INFO(sink.err);
  REQUIRE(sink.exited_with(0));
  check_tables_equal(f, {"t"}, f.server(), f.target_db());
}

// ---- 4 ---------------------------------------------------------------------

namespace {

// A sink follows a topic; while it waits for more, two transactions are
// appended and the middle of the line at offset 6 (the second insert of the
// first one) is overwritten in place with `damage`. Returns the damaged line.
std::string damage_under_sink(SinkFixture &f, Child &sink, const std::string &damage) {
  // Held still, so that it reads the new lines only once they are damaged.
  sink.send_signal(SIGSTOP);
  f.write_topic({ev::begin(2), item(2, "two"), item(3, "three, long enough to be damaged"), ev::commit(),  // 4-7
                 ev::begin(3), item(4, "four"), ev::commit()},                                          // 8-10
                true);
  const std::filesystem::path path = f.dir() / "topics/events.jsonl";
  const std::string before = read_file(path);
  const std::size_t start = line_start(before, 6), end = before.find('\n', start);
  REQUIRE(end - start > damage.size() + 20);
  overwrite(path, start + (end - start) / 2, damage);
  const std::string text = read_file(path);
  REQUIRE(text.size() == before.size());
  REQUIRE(lines_of(text).size() == 11);
  sink.send_signal(SIGCONT);
  return text.substr(start, end - start);
}

}  // namespace

TEST_CASE("a topic file damaged in the middle under a following sink: on_error handles it like any bad record") {
  std::string on_error;
  SUBCASE("on_error: stop") { on_error = "stop"; }
  SUBCASE("on_error: skip") { on_error = "skip"; }
  SUBCASE("on_error: dead_letter") { on_error = "dead_letter"; }
  CAPTURE(on_error);
  for (const std::string &damage : {std::string(16, '\xff'), std::string(16, '}'), std::string(16, '\0')}) {
    CAPTURE(static_cast<int>(static_cast<unsigned char>(damage[0])));
    SinkFixture f;  // on its own server: its database names would clash with SourceFixture's
    f.write_topic({ev::begin(1), item_relation(), item(1, "one"), ev::commit()});  // 0-3
    Child sink(f.host_args(f.write_config({"on_error: " + on_error})));  // following the topic
    INFO(sink.err());
    REQUIRE(wait_until({&sink}, [&] { return stored_offset(f.server(), f.database()) == 3; }));
    const std::string damaged = damage_under_sink(f, sink, damage);

    if (on_error == "stop") {
      ProcessResult r = sink.wait();
      INFO(r.err);
      CHECK(r.exited_with(1));
      CHECK(contains(line_with(r.err, {"ERROR", "offset 6"}), "not a valid change event"));
      // Nothing of the damaged record's transaction, nor after it.
      CHECK(items(f) == "1|one\n");
      CHECK(stored_offset(f.server(), f.database()) == 3);
      continue;
    }
    REQUIRE(wait_until({&sink}, [&] { return stored_offset(f.server(), f.database()) == 10; }));
    ProcessResult r = stop(sink);
    INFO(r.err);
    CHECK(r.exited_with(0));
    CHECK(items(f) == "1|one\n2|two\n4|four\n");
    if (on_error == "skip") {
      CHECK(contains(line_with(r.err, {"WARN", "offset 6:", "skipped"}), "not a valid change event"));
      CHECK(contains(r.err, " 1 records skipped"));
    } else {
      CHECK(contains(line_with(r.err, {"WARN", "offset 6:"}), "fluvio.dead_letter"));
      static constexpr char kHex[] = "0123456789abcdef";
      std::string hex;
      for (unsigned char c : damaged) hex += std::string{kHex[c >> 4], kHex[c & 15]};
      CHECK(f.sql("select topic_offset, encode(record_bytes, 'hex') from fluvio.dead_letter") == "6|" + hex + "\n");
      CHECK(contains(f.sql("select error from fluvio.dead_letter"), "not a valid change event"));
      CHECK(contains(r.err, " 1 dead-lettered"));
    }
  }
}

// ---- 5 ---------------------------------------------------------------------

TEST_CASE("a following sink that has read part of a line which its writer then cuts off reads the line written anew") {
  // A writer that failed mid-line (a full disk), or the next writer after
  // one killed mid-line, cuts the part off and appends whole lines there.
  bool written_before_it_reads = false;
  SUBCASE("the sink finds the file shorter, then the new lines") {}
  SUBCASE("the new lines are there before the sink reads again") { written_before_it_reads = true; }
  CAPTURE(written_before_it_reads);
  SinkFixture f;  // on its own server: its database names would clash with SourceFixture's
  f.write_topic({ev::begin(1), item_relation(), item(1, "one"), ev::commit()});  // 0-3
  const std::filesystem::path path = f.dir() / "topics/events.jsonl";
  Child sink(f.host_args(f.write_config()));  // following the topic
  INFO(sink.err());
  REQUIRE(wait_until({&sink}, [&] { return stored_offset(f.server(), f.database()) == 3; }));

  const int64_t whole = static_cast<int64_t>(std::filesystem::file_size(path));
  const std::string part = item(2, "a line cut short").substr(0, 80);
  const std::vector<std::string> rest = {ev::begin(2), item(2, "two"), item(3, "three"), ev::commit()};  // 4-7
  REQUIRE(rest[0].compare(0, part.size(), part) != 0);  // the line written anew is another one
  std::ofstream(path, std::ios::binary | std::ios::app) << part;
  const int64_t with_part = whole + static_cast<int64_t>(part.size());
  REQUIRE(wait_until({&sink}, [&] { return read_position(sink.pid(), path) == with_part; }));
  if (written_before_it_reads) {
    sink.send_signal(SIGSTOP);
    std::filesystem::resize_file(path, static_cast<std::uintmax_t>(whole));
    f.write_topic(rest, true);
    sink.send_signal(SIGCONT);
  } else {
    std::filesystem::resize_file(path, static_cast<std::uintmax_t>(whole));
    REQUIRE(wait_until({&sink}, [&] { return read_position(sink.pid(), path) == whole; }));
    f.write_topic(rest, true);
  }
  REQUIRE(wait_until({&sink}, [&] { return stored_offset(f.server(), f.database()) == 7; }));
  ProcessResult r = stop(sink);
  INFO(r.err);
  CHECK(r.exited_with(0));
  CHECK(items(f) == "1|one\n2|two\n3|three\n");
  CHECK(!contains(r.err, "not a valid change event"));
}
