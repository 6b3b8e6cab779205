// postgres-sink under trouble, end to end with the real connector-host:
// records the target refuses (on_error stop / skip / dead_letter), kill -9
// and SIGTERM of the host, a restart of the target server, TLS, and several
// connectors (or two instances of one) on one target database.
#include "sink_fixture.hpp"

#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

using namespace cn::test;
namespace ev = cn::test::events;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> dogs() { return read_lines(sample_topics_dir() / "dogs.jsonl"); }

const std::string kDogsDigest = "1 2f7d9bab417a210567a58f0471099952\n";

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string> &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

bool contains(const std::string &text, const std::string &part) { return text.find(part) != std::string::npos; }

std::size_t occurrences(const std::string &text, const std::string &part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

// The first line of text holding every one of parts; empty if none does.
std::string line_with(const std::string &text, std::initializer_list<std::string> parts) {
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(begin, end - begin);
    bool all = true;
    for (const std::string &p : parts) all = all && contains(line, p);
    if (all) return line;
    begin = end + 1;
  }
  return {};
}

// The connector's offset row in the target; -1 while there is none (or
// while the sink has not made its tables yet, or the server is away).
int64_t stored_offset(SinkFixture &f, const std::string &connector = "sink") {
  try {
    std::string out = f.sql("select current_offset from fluvio.offset where connector = '" + connector + "'");
    return out.empty() ? -1 : std::stoll(out);
  } catch (const std::runtime_error &) {
    return -1;
  }
}

// Reads the running host's output until the connector's offset row
// reaches at least `offset`; false if the host ended or the safety timeout
// passed first. The offset is polled between reads of the output (which
// wait up to 100 ms each), at most every 50 ms.
bool wait_until(Child &host, const std::function<bool()> &condition, std::chrono::seconds safety_timeout = 120s) {
  auto last_poll = std::chrono::steady_clock::time_point{};
  return host.wait_for(
      [&](const std::string &, const std::string &) {
        auto now = std::chrono::steady_clock::now();
        if (now - last_poll < 50ms) return false;
        last_poll = now;
        return condition();
      },
      safety_timeout);
}

bool wait_for_offset(Child &host, SinkFixture &f, int64_t offset, const std::string &connector = "sink",
                     std::chrono::seconds safety_timeout = 120s) {
  return wait_until(host, [&] { return stored_offset(f, connector) >= offset; }, safety_timeout);
}

// Whether another session on the fixture's database has a transaction that
// has written something (and so holds a transaction id).
bool open_write_transaction(SinkFixture &f) {
  return f.sql("select count(*) > 0 from pg_stat_activity where datname = current_database()"
               " and backend_xid is not null and pid <> pg_backend_pid()") == "t\n";
}

// Runs the host with --once on a config of the fixture.
ProcessResult run_once(SinkFixture &f, const std::string &config, std::chrono::seconds safety_timeout = 120s) {
  return run_process(f.host_args(config, {"--once"}), {}, {}, safety_timeout);
}

// ---- generated topics ------------------------------------------------------

constexpr uint32_t kItem = 100;

std::string item_relation(const std::string &table = "item", uint32_t rel_id = kItem) {
  return ev::relation(rel_id, "public", table, {{"id", ev::kInt4, -1, true}, {"label", ev::kText}});
}

std::string item(int id, const std::string &label, uint32_t rel_id = kItem) {
  return ev::insert(rel_id, {ev::i4(id), ev::str(label)});
}

bool table_exists(SinkFixture &f, const std::string &table) {
  return f.sql("select to_regclass('" + table + "') is not null") == "t\n";
}

// id|label lines of an item table; empty while the table does not exist
// (the sink creates it in the transaction of the data it holds).
std::string items(SinkFixture &f, const std::string &table = "item") {
  return table_exists(f, table) ? f.sql("select id, label from " + table + " order by id") : "";
}

// How many rows of public.item match the condition; 0 without the table.
std::string count_items(SinkFixture &f, const std::string &condition) {
  return table_exists(f, "item") ? f.sql("select count(*) from item where " + condition) : "0\n";
}

// The target's public.item as the sink would make it, holding id 3, which
// the topics below insert again.
void pre_insert_item_3(SinkFixture &f) {
  f.sql("create table public.item (id integer primary key, label text);"
        "insert into public.item values (3, 'pre-existing')");
}

const std::string kMalformed =
    R"({"wal_start":1,"wal_end":1,"timestamp":0,"message":{"type":"insert","rel_id":100,"tuple":[{"Int4":)";

// Good records around four bad ones: a malformed line (offset 5), an
// unknown rel_id (9), an insert with 3 values for 2 columns (10), and an
// insert of id 3, which the target already has (14: see pre_insert_item_3).
std::vector<std::string> topic_with_bad_records() {
  return {ev::begin(1),                                           // 0
          item_relation(),                                        // 1
          item(1, "one"),                                         // 2
          ev::commit(),                                           // 3
          ev::begin(2),                                           // 4
          kMalformed,                                             // 5  bad
          item(2, "two"),                                         // 6
          ev::commit(),                                           // 7
          ev::begin(3),                                           // 8
          ev::insert(999, {ev::i4(7), ev::str("seven")}),         // 9  bad
          ev::insert(kItem, {ev::i4(8), ev::str("eight"), ev::str("extra")}),  // 10 bad
          item(4, "four"),                                        // 11
          ev::commit(),                                           // 12
          ev::begin(4),                                           // 13
          item(3, "three"),                                       // 14 bad (duplicate key)
          item(5, "five"),                                        // 15
          ev::commit(),                                           // 16
          ev::begin(5),                                           // 17
          item(6, "six"),                                         // 18
          ev::commit()};                                          // 19
}

// A new source transaction for the dog table of dogs.jsonl (identity Full
// by then), with no relation event: the sink must know it from the target.
std::vector<std::string> more_dogs(uint32_t xid = 900) {
  std::vector<ev::V> daisy = {ev::str("Daisy"), ev::str("poodle"), ev::str("OR"), ev::str("f"), ev::raw("6.10")};
  return {ev::begin(xid),
          ev::insert(16399, {ev::str("Max"), ev::str("pug"), ev::str("OR"), ev::str("m"), ev::raw("8.20")}),
          ev::insert(16399, daisy), ev::remove(16399, std::nullopt, daisy), ev::commit()};
}

// The first `count` lines of a gzipped topic.
std::vector<std::string> gunzip_lines(const std::filesystem::path &gz, const std::filesystem::path &out,
                                      long count = -1) {
  std::string command = count < 0 ? "exec gzip -dc \"$0\" > \"$1\""
                                  : "gzip -dc \"$0\" | head -n " + std::to_string(count) + " > \"$1\"";
  ProcessResult r = run_process({"/bin/sh", "-c", command, gz.string(), out.string()});
  if (!r.exited_with(0)) throw std::runtime_error("cannot unpack " + gz.string() + ": " + r.err);
  return count < 0 ? std::vector<std::string>{} : read_lines(out);
}

const std::vector<std::pair<std::string, std::string>> kPgbenchTables = {{"pgbench_accounts", "aid"},
                                                                         {"pgbench_branches", "bid"},
                                                                         {"pgbench_tellers", "tid"},
                                                                         {"pgbench_history", "t::text"}};

}  // namespace

// ---- 1 ---------------------------------------------------------------------

TEST_CASE("on_error stop: a duplicate key stops the connector at that record; after the fix it resumes there") {
  SinkFixture f;
  pre_insert_item_3(f);
  f.write_topic({ev::begin(1), item_relation(), item(1, "one"), ev::commit(),  // 0-3
                 ev::begin(2), item(2, "two"), ev::commit(),                   // 4-6
                 ev::begin(3), item(5, "five"), item(3, "three"), ev::commit(),  // 7-10: 9 is refused
                 ev::begin(4), item(4, "four"), ev::commit()});                // 11-13
  ProcessResult r = f.run_sink();
  INFO(r.err);
  CHECK(r.exited_with(1));
  std::string error = line_with(r.err, {"ERROR", "offset 9,"});
  CHECK(contains(error, "table public.item"));
  CHECK(contains(error, "duplicate key"));
  // Nothing of the refused transaction (id 5 came before the refused record
  // in it) nor after it.
  CHECK(count_items(f, "id in (4, 5)") == "0\n");
  CHECK(f.sql("select label from item where id = 3") == "pre-existing\n");
  int64_t stopped_at = stored_offset(f);
  CHECK(stopped_at < 7);

  f.sql("delete from item where id = 3");
  ProcessResult fixed = f.run_sink();
  INFO(fixed.err);
  CHECK(fixed.exited_with(0));
  CHECK(contains(fixed.err, "after offset " + std::to_string(stopped_at)));
  CHECK(items(f) == "1|one\n2|two\n3|three\n4|four\n5|five\n");
  CHECK(stored_offset(f) == 13);
}

// ---- 2 ---------------------------------------------------------------------

TEST_CASE("on_error stop: a malformed line, an unknown rel_id, a wrong number of values stop at their offset") {
  SinkFixture f;
  std::vector<std::string> topic = {ev::begin(1), item_relation(), item(1, "one"), ev::commit(), ev::begin(2)};
  std::string bad, table, reason;
  SUBCASE("malformed JSON") {
    bad = kMalformed;
    reason = "not a valid change event";
  }
  SUBCASE("unknown rel_id") {
    bad = ev::insert(999, {ev::i4(2), ev::str("two")});
    reason = "unknown rel_id 999";
  }
  SUBCASE("wrong number of values") {
    bad = ev::insert(kItem, {ev::i4(2), ev::str("two"), ev::str("extra")});
    table = "public.item";
    reason = "3 values";
  }
  f.write_topic(topic + std::vector<std::string>{bad, item(6, "six"), ev::commit(),  // 5-7
                                                 ev::begin(3), item(7, "seven"), ev::commit()});  // 8-10
  ProcessResult r = f.run_sink();
  INFO(r.err);
  CHECK(r.exited_with(1));
  std::string error = line_with(r.err, {"ERROR", "offset 5"});
  CHECK(contains(error, reason));
  if (!table.empty()) CHECK(contains(error, "offset 5, table " + table));
  CHECK(count_items(f, "id in (6, 7)") == "0\n");
  CHECK(stored_offset(f) < 4);
  // The retry that starts careful replay names the record, and a table only
  // when it is known.
  CHECK(!contains(r.err, "table :"));
  std::string retry = line_with(r.err, {"offset 5", "re-applying one change at a time"});
  if (table.empty()) CHECK(contains(retry, "offset 5: " + reason));
  else CHECK(contains(retry, "offset 5, table " + table + ": "));
}

// ---- 3 ---------------------------------------------------------------------

TEST_CASE("on_error skip: bad records are logged with offset and table, skipped, and counted once") {
  SinkFixture f;
  pre_insert_item_3(f);
  f.write_topic(topic_with_bad_records());
  ProcessResult r = f.run_sink({"on_error: skip"});
  INFO(r.err);
  CHECK(r.exited_with(0));
  CHECK(contains(line_with(r.err, {"WARN", "offset 5:", "skipped"}), "not a valid change event"));
  CHECK(contains(line_with(r.err, {"WARN", "offset 9:", "skipped"}), "unknown rel_id 999"));
  CHECK(contains(line_with(r.err, {"WARN", "offset 10, table public.item", "skipped"}), "3 values"));
  CHECK(contains(line_with(r.err, {"WARN", "offset 14, table public.item", "skipped"}), "duplicate key"));
  CHECK(items(f) == "1|one\n2|two\n3|pre-existing\n4|four\n5|five\n6|six\n");
  CHECK(stored_offset(f) == 19);
  // The summary a user reads at the end counts each skipped record once.
  CHECK(contains(r.err, " 4 records skipped"));
}

// ---- 4 ---------------------------------------------------------------------

TEST_CASE("on_error dead_letter: bad records land in fluvio.dead_letter, everything else is applied") {
  SinkFixture f;
  pre_insert_item_3(f);
  std::vector<std::string> topic = topic_with_bad_records();
  f.write_topic(topic);
  ProcessResult r = f.run_sink({"on_error: dead_letter"});
  INFO(r.err);
  CHECK(r.exited_with(0));
  CHECK(items(f) == "1|one\n2|two\n3|pre-existing\n4|four\n5|five\n6|six\n");
  CHECK(stored_offset(f) == 19);
  CHECK(f.sql("select connector, topic_offset from fluvio.dead_letter order by topic_offset") ==
        "sink|5\nsink|9\nsink|10\nsink|14\n");
  for (int offset : {5, 9, 10, 14}) {
    CAPTURE(offset);
    CHECK(f.sql("select record from fluvio.dead_letter where topic_offset = " + std::to_string(offset)) ==
          topic[static_cast<std::size_t>(offset)] + "\n");
  }
  auto error_of = [&](int offset) {
    return f.sql("select error from fluvio.dead_letter where topic_offset = " + std::to_string(offset));
  };
  CHECK(contains(error_of(5), "not a valid change event"));
  CHECK(contains(error_of(9), "unknown rel_id 999"));
  CHECK(contains(error_of(10), "3 values"));
  CHECK(contains(error_of(14), "duplicate key"));
  CHECK(contains(line_with(r.err, {"WARN", "offset 14, table public.item"}), "fluvio.dead_letter"));
  CHECK(contains(r.err, " 4 dead-lettered"));
}

TEST_CASE("on_error dead_letter: a dead-letter row commits with its source transaction, exactly once") {
  SinkFixture f;
  std::vector<std::string> topic = {ev::begin(1), item_relation(), item(1, "one"), ev::commit(),  // 0-3
                                    ev::begin(2), item(2, "two"), kMalformed, item(3, "three")};  // 4-7, no commit
  f.write_topic(topic);
  ProcessResult r = f.run_sink({"on_error: dead_letter"});
  INFO(r.err);
  REQUIRE(r.exited_with(0));
  // The topic ends inside the transaction holding the bad record: neither
  // its rows nor its dead letter are in the target.
  CHECK(f.sql("select count(*) from fluvio.dead_letter") == "0\n");
  CHECK(count_items(f, "id in (2, 3)") == "0\n");
  CHECK(contains(r.err, " 0 dead-lettered"));  // the summary claims only what committed

  f.write_topic({ev::commit()}, true);  // 8
  ProcessResult completed = f.run_sink({"on_error: dead_letter"});
  INFO(completed.err);
  CHECK(completed.exited_with(0));
  CHECK(f.sql("select topic_offset, record from fluvio.dead_letter") == "6|" + kMalformed + "\n");
  CHECK(items(f) == "1|one\n2|two\n3|three\n");
  CHECK(stored_offset(f) == 8);

  ProcessResult again = f.run_sink({"on_error: dead_letter"});
  INFO(again.err);
  CHECK(again.exited_with(0));
  CHECK(f.sql("select count(*) from fluvio.dead_letter") == "1\n");
}

TEST_CASE("on_error skip: a record nested 200,000 deep is skipped, and the records around it are applied") {
  SinkFixture f;
  f.write_topic({ev::begin(1), item_relation(), item(1, "one"), ev::commit(),                  // 0-3
                 ev::begin(2), item(2, "two"), std::string(200000, '['), item(3, "three"),      // 4-7
                 ev::commit()});                                                                // 8
  ProcessResult r = f.run_sink({"on_error: skip"});
  INFO(r.err);
  CHECK(r.exited_with(0));
  CHECK(contains(line_with(r.err, {"WARN", "offset 6:", "skipped"}),
                 "offset 6: skipped (on_error: skip): not a valid change event: not valid JSON: nested deeper than "
                 "128 levels at byte 128"));
  CHECK(items(f) == "1|one\n2|two\n3|three\n");
  CHECK(stored_offset(f) == 8);
  CHECK(contains(r.err, " 1 records skipped"));
}

TEST_CASE("on_error dead_letter: a record that is not UTF-8 lands exactly, in an older dead-letter table too") {
  SinkFixture f;
  // A dead-letter table as the sink made it before record_bytes.
  f.sql("create schema fluvio; create table fluvio.dead_letter (id bigserial primary key, connector text not null,"
        " topic_offset bigint not null, record text not null, error text not null,"
        " failed_at timestamptz not null default now())");
  std::string bad = item(7, "bad@@");
  bad.replace(bad.find("@@"), 2, "\xc3\x28");  // not UTF-8: the target's text column refuses it
  f.write_topic({ev::begin(1), item_relation(), item(1, "one"), ev::commit(),  // 0-3
                 ev::begin(2), item(2, "two"), bad, item(3, "three"), ev::commit(),  // 4-8: 6 is refused
                 ev::begin(3), item(4, "four"), ev::commit()});  // 9-11
  ProcessResult r = f.run_sink({"on_error: dead_letter"});
  INFO(r.err);
  CHECK(r.exited_with(0));
  CHECK(items(f) == "1|one\n2|two\n3|three\n4|four\n");
  CHECK(stored_offset(f) == 11);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : bad) hex += std::string{kHex[c >> 4], kHex[c & 15]};
  CHECK(f.sql("select topic_offset, encode(record_bytes, 'hex') from fluvio.dead_letter") == "6|" + hex + "\n");
  std::string readable = bad;
  readable.replace(readable.find("\xc3"), 1, "\\xc3");
  CHECK(f.sql("select record from fluvio.dead_letter") == readable + "\n");
  const std::string error = f.sql("select error from fluvio.dead_letter");
  CHECK(contains(error, "not valid UTF-8"));
  CHECK(contains(error, "record_bytes"));
  CHECK(contains(line_with(r.err, {"WARN", "offset 6, table public.item"}), "fluvio.dead_letter"));
  CHECK(contains(r.err, " 1 dead-lettered"));

  ProcessResult again = f.run_sink({"on_error: dead_letter"});
  INFO(again.err);
  CHECK(again.exited_with(0));
  CHECK(f.sql("select count(*) from fluvio.dead_letter") == "1\n");
  CHECK(items(f) == "1|one\n2|two\n3|three\n4|four\n");
  CHECK(contains(again.err, " 0 dead-lettered"));
}

TEST_CASE("a 64 MiB value, inserted and then updated, is applied with memory under 3x its record") {
  SinkFixture f;
  f.write_topic({ev::begin(1), item_relation(), item(1, "small"), ev::commit()});  // 0-3
  ProcessResult small = f.run_sink();  // how much the host needs for small records
  REQUIRE_MESSAGE(small.exited_with(0), small.err);

  // Appends a transaction of one change with a 64 MiB value and runs the
  // sink on it. The value is written to the topic a piece at a time, never
  // held: a child starts with the resident set of the process that starts
  // it, and its peak would count the test's memory.
  constexpr std::size_t kHuge = std::size_t{64} << 20;
  auto run_huge = [&f](bool insert, long &record_kib) {
    const std::string marker = "@value@";
    const std::string change = insert ? item(2, marker) : ev::update(kItem, {ev::i4(1), ev::str(marker)});
    const std::size_t at = change.find(marker);
    f.write_topic({ev::begin(insert ? 2 : 3)}, true);
    {
      std::ofstream topic(f.dir() / "topics/events.jsonl", std::ios::binary | std::ios::app);
      topic << change.substr(0, at);
      const std::string chunk(std::size_t{1} << 20, 'v');
      for (std::size_t written = 0; written < kHuge; written += chunk.size()) topic << chunk;
      topic << change.substr(at + marker.size()) << '\n';
    }
    f.write_topic({ev::commit()}, true);
    record_kib = static_cast<long>((change.size() - marker.size() + kHuge) / 1024);
    return f.run_sink();
  };
  long inserted_kib = 0, updated_kib = 0;
  ProcessResult insert_run = run_huge(true, inserted_kib);  // 4-6
  REQUIRE_MESSAGE(insert_run.exited_with(0), insert_run.err);
  ProcessResult update_run = run_huge(false, updated_kib);  // 7-9
  REQUIRE_MESSAGE(update_run.exited_with(0), update_run.err);
  CHECK(f.sql("select id, length(label), label = repeat('v', " + std::to_string(kHuge) + ") from item order by id") ==
        "1|67108864|t\n2|67108864|t\n");
  CHECK(stored_offset(f) == 9);
#if defined(__SANITIZE_ADDRESS__)
  MESSAGE("memory bound not checked: AddressSanitizer keeps freed memory in quarantine");
#else
  for (auto [run, record_kib] : {std::pair{&insert_run, inserted_kib}, std::pair{&update_run, updated_kib}}) {
    INFO("peak RSS: " << run->peak_rss_kib << " KiB with the 64 MiB value, " << small.peak_rss_kib
                      << " KiB without; the record is " << record_kib << " KiB");
    CHECK(run->peak_rss_kib - small.peak_rss_kib < 3 * record_kib);
  }
#endif
}

// ---- 5 ---------------------------------------------------------------------

TEST_CASE("pgbench-s1.jsonl.gz replays to the documented digests") {
  std::filesystem::path gz = sample_topics_dir() / "pgbench-s1.jsonl.gz";
  if (!std::filesystem::exists(gz)) {
    MESSAGE("skipped: " << gz.string() << " is missing");
    return;
  }
  SinkFixture f;
  gunzip_lines(gz, f.dir() / "topics/events.jsonl");
  ProcessResult r = run_once(f, f.write_config(), 900s);
  INFO(r.err);
  REQUIRE(r.exited_with(0));
  CHECK(f.digest("pgbench_accounts", "aid") == "100000 55b14144c753192cc5dfb41bc8e62e9f\n");
  CHECK(f.digest("pgbench_branches", "bid") == "1 27836b8064a9f1b6ae7f0747ec986d49\n");
  CHECK(f.digest("pgbench_tellers", "tid") == "10 430915fb7f04fcbfc0add3127d8e64b8\n");
  CHECK(f.digest("pgbench_history", "t::text") == "30703 d605c1311c786d1ce32692a9776e32ce\n");
  CHECK(stored_offset(f) == 284280);
}

// ---- 6 ---------------------------------------------------------------------

TEST_CASE("kill -9 of the host mid-replay, four times, ends in the same state as an uninterrupted replay") {
  std::filesystem::path gz = sample_topics_dir() / "pgbench-s1.jsonl.gz";
  if (!std::filesystem::exists(gz)) {
    MESSAGE("skipped: " << gz.string() << " is missing");
    return;
  }
  // The first source transaction (the data load) is offsets 0-100017; the
  // topic is it and about 30,000 events of pgbench's transactions after it,
  // cut after a commit so that --once ends with everything applied (a topic
  // that ends inside a transaction is the subject of the "stopping ..." case).
  SinkFixture a, b;
  std::vector<std::string> lines = gunzip_lines(gz, a.dir() / "head.jsonl", 130000);
  while (!lines.empty() && !contains(lines.back(), R"("type":"commit")")) lines.pop_back();
  REQUIRE(lines.size() > 120001);
  const int64_t last = static_cast<int64_t>(lines.size()) - 1;

  a.write_topic(lines);
  ProcessResult reference = run_once(a, a.write_config(), 600s);
  INFO(reference.err);
  REQUIRE(reference.exited_with(0));
  CHECK(stored_offset(a) == last);

  b.write_topic(lines);
  const std::string config = b.write_config();
  // Where to kill: inside the first, 100,018-event source transaction
  // (its CREATE TABLEs and inserts not committed yet), then once the offset
  // row passes each threshold.
  std::vector<std::pair<std::string, std::function<bool()>>> kill_points = {
      {"inside the first source transaction", [&] { return open_write_transaction(b) || stored_offset(b) >= 0; }}};
  for (int64_t threshold : {int64_t{100017}, int64_t{110000}, int64_t{120000}})
    kill_points.emplace_back("offset " + std::to_string(threshold),
                             [&b, threshold] { return stored_offset(b) >= threshold; });
  int64_t resume_from = -1;
  for (const auto &[where, reached] : kill_points) {
    CAPTURE(where);
    Child host(b.host_args(config));  // following the topic
    INFO(host.err());
    // It resumes after the offset the last kill left.
    REQUIRE(host.wait_for([](const std::string &, const std::string &err) { return contains(err, " after offset "); }));
    CHECK(contains(host.err(), " after offset " + std::to_string(resume_from) + "\n"));
    REQUIRE(wait_until(host, reached, 600s));
    host.send_signal(SIGKILL);
    ProcessResult killed = host.wait();
    CHECK(killed.signal == SIGKILL);
    resume_from = stored_offset(b);
    MESSAGE("killed at " << where << ": stored offset " << resume_from << " (last " << last << ")");
  }
  ProcessResult finish = run_once(b, config, 600s);
  INFO(finish.err);
  REQUIRE(finish.exited_with(0));
  CHECK(contains(finish.err, " after offset " + std::to_string(resume_from) + "\n"));
  CHECK(stored_offset(b) == last);
  for (const auto &[table, key] : kPgbenchTables) {
    CAPTURE(table);
    std::string expected = a.digest(table, key);
    CHECK(expected.rfind("0 ", 0) != 0);
    CHECK(b.digest(table, key) == expected);
  }
}

// ---- 7 ---------------------------------------------------------------------

TEST_CASE("a restart of the target server while the host follows the topic: it retries, and ends complete") {
  bool tls = false;
  SUBCASE("plain") {}
  SUBCASE("over TLS, sslmode=verify-ca") { tls = true; }
  CAPTURE(tls);
  PostgresServer server(PostgresServer::Options{{{"synchronous_commit", "on"}}, tls});
  SinkFixture f(server);
  std::string url = f.url();
  if (tls)
    url = "postgresql://postgres@localhost:" + std::to_string(server.port()) + "/" + f.database() +
          "?sslmode=verify-ca&sslrootcert=" + server.ca_certificate();
  std::vector<std::string> all = dogs();
  f.write_topic(std::vector<std::string>(all.begin(), all.begin() + 18));  // offsets 0-17, ending with a commit
  Child host(f.host_args(f.write_config({}, "sink", "events", url)));
  INFO(host.err());
  REQUIRE(wait_for_offset(host, f, 17));

  server.restart();
  f.write_topic(std::vector<std::string>(all.begin() + 18, all.end()), true);
  REQUIRE(wait_for_offset(host, f, 36));
  host.send_signal(SIGTERM);
  ProcessResult r = host.wait();
  INFO(r.err);
  CHECK(r.exited_with(0));
  CHECK(f.digest("dog", "name") == kDogsDigest);
  CHECK(stored_offset(f) == 36);
  CHECK(!line_with(r.err, {"WARN", "asked to retry"}).empty());
}

// ---- 8 ---------------------------------------------------------------------

TEST_CASE("stopping commits every complete transaction handed over, and nothing of an unfinished one") {
  SinkFixture f;
  f.write_topic({ev::begin(1), item_relation(), item(1, "one"), ev::commit(),  // 0-3
                 ev::begin(2), item(2, "two"), ev::commit(),                   // 4-6
                 ev::begin(3), item(3, "three")});                             // 7-8: not committed yet
  const std::string config = f.write_config();

  ProcessResult r;
  SUBCASE("SIGTERM while following") {
    Child host(f.host_args(config, {"--log-level", "debug"}));
    INFO(host.err());
    // The host has handed every record over and asked the sink to commit.
    REQUIRE(host.wait_for([](const std::string &, const std::string &err) {
      return contains(err, "committed through offset 8");
    }));
    host.send_signal(SIGTERM);
    r = host.wait();
  }
  SUBCASE("--once over a topic that ends inside a transaction") {
    r = run_process(f.host_args(config, {"--once", "--log-level", "debug"}));
  }
  INFO(r.err);
  CHECK(r.exited_with(0));
  CHECK(items(f) == "1|one\n2|two\n");
  CHECK(stored_offset(f) == 6);

  f.write_topic({ev::commit()}, true);  // 9
  ProcessResult rest = run_once(f, config);
  INFO(rest.err);
  CHECK(rest.exited_with(0));
  CHECK(items(f) == "1|one\n2|two\n3|three\n");
  CHECK(stored_offset(f) == 9);
}

// ---- 9 ---------------------------------------------------------------------

TEST_CASE("TLS: sslmode=verify-ca replays with the server's CA, and stops with a clear error with a wrong one") {
  PostgresServer server(PostgresServer::Options{{}, true});
  SinkFixture f(server);
  f.write_topic(dogs());
  auto url_with_ca = [&](const std::string &ca) {
    return "postgresql://postgres@localhost:" + std::to_string(server.port()) + "/" + f.database() +
           "?sslmode=verify-ca&sslrootcert=" + ca;
  };

  ProcessResult r = run_once(f, f.write_config({}, "sink", "events", url_with_ca(server.ca_certificate())));
  INFO(r.err);
  CHECK(r.exited_with(0));
  CHECK(f.digest("dog", "name") == kDogsDigest);

  TempDir other;
  ProcessResult made = run_process({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                                    "/CN=not the server's CA", "-keyout", other / "ca.key", "-out", other / "ca.crt"});
  INFO(made.err);
  REQUIRE(made.exited_with(0));
  Child host(f.host_args(f.write_config({}, "wrong-ca", "events", url_with_ca(other / "ca.crt")), {"--once"}));
  // A certificate the CA did not sign will not verify on any retry: it is
  // a failure. Retrying it 50 times (10 s at the test's 200 ms backoff
  // ceiling) counts as retrying forever.
  bool retrying = host.wait_for([](const std::string &, const std::string &err) {
    return occurrences(err, "asked to retry") >= 50;
  }, 60s);
  if (retrying) host.send_signal(SIGTERM);
  ProcessResult wrong = host.wait();
  INFO(wrong.err);
  CHECK_MESSAGE(!retrying, "the sink retries a certificate verification failure instead of stopping");
  CHECK(wrong.signal == 0);
  CHECK(wrong.exit_code != 0);
  CHECK(contains(wrong.err, "certificate"));
  CHECK(f.sql("select count(*) from fluvio.offset where connector = 'wrong-ca'") == "0\n");
}

// ---- 10 --------------------------------------------------------------------

TEST_CASE("two connectors share one target database, each with its own offset and relations") {
  SinkFixture f;
  // The same rel_id on both topics: each connector keeps its own.
  f.write_topic({ev::begin(1), item_relation("alpha_item"), item(1, "a1"), item(2, "a2"), ev::commit(),  // 0-4
                 ev::begin(2), item(3, "a3"), ev::commit()},                                           // 5-7
                false, "a");
  f.write_topic({ev::begin(1), item_relation("beta_item"), item(10, "b10"), ev::commit()}, false, "b");  // 0-3
  const std::string alpha = f.write_config({}, "alpha", "a"), beta = f.write_config({}, "beta", "b");
  Child first(f.host_args(alpha, {"--once"})), second(f.host_args(beta, {"--once"}));
  ProcessResult ra = first.wait(), rb = second.wait();
  INFO(ra.err);
  INFO(rb.err);
  CHECK(ra.exited_with(0));
  CHECK(rb.exited_with(0));
  CHECK(items(f, "alpha_item") == "1|a1\n2|a2\n3|a3\n");
  CHECK(items(f, "beta_item") == "10|b10\n");
  CHECK(f.sql("select connector, current_offset from fluvio.offset order by connector") == "alpha|7\nbeta|3\n");

  // Resuming alpha: rel_id 100 is alpha's table, from the relations stored
  // for alpha, not beta's.
  f.write_topic({ev::begin(3), item(4, "a4"), ev::commit()}, true, "a");  // 8-10
  ProcessResult resumed = run_once(f, alpha);
  INFO(resumed.err);
  CHECK(resumed.exited_with(0));
  CHECK(items(f, "alpha_item") == "1|a1\n2|a2\n3|a3\n4|a4\n");
  CHECK(items(f, "beta_item") == "10|b10\n");
  CHECK(f.sql("select connector, current_offset from fluvio.offset order by connector") == "alpha|10\nbeta|3\n");
}

// ---- 11 --------------------------------------------------------------------

TEST_CASE("a second instance of a running connector refuses to apply; the first goes on") {
  SinkFixture f;
  f.write_topic(dogs());
  const std::string config = f.write_config();
  Child first(f.host_args(config));  // following the topic
  INFO(first.err());
  REQUIRE(wait_for_offset(first, f, 36));

  auto started = std::chrono::steady_clock::now();
  ProcessResult second = run_process(f.host_args(config, {"--once"}), {}, {}, 60s);
  auto took = std::chrono::steady_clock::now() - started;
  INFO(second.err);
  CHECK(second.signal == 0);
  CHECK(second.exit_code != 0);
  CHECK(contains(second.err, "another instance"));
  CHECK(took < 15s);

  f.write_topic(more_dogs(), true);  // 37-41
  REQUIRE(wait_for_offset(first, f, 41));
  first.send_signal(SIGTERM);
  ProcessResult r = first.wait();
  INFO(r.err);
  CHECK(r.exited_with(0));
  CHECK(f.sql("select name from dog order by name") == "Bella\nMax\n");
  CHECK(stored_offset(f) == 41);
}

// ---- 12 --------------------------------------------------------------------

TEST_CASE("a restart reads after the stored offset and applies only the new records") {
  SinkFixture f;
  f.write_topic(dogs());
  ProcessResult r = f.run_sink();
  INFO(r.err);
  REQUIRE(r.exited_with(0));
  REQUIRE(f.digest("dog", "name") == kDogsDigest);

  f.write_topic(more_dogs(), true);  // 37-41
  ProcessResult resumed = f.run_sink();
  INFO(resumed.err);
  CHECK(resumed.exited_with(0));
  CHECK(contains(resumed.err, "after offset 36"));
  CHECK(f.sql("select name, species, weight_kg from dog order by name") == "Bella|collie|20.00\nMax|pug|8.20\n");
  CHECK(stored_offset(f) == 41);

  ProcessResult again = f.run_sink();
  INFO(again.err);
  CHECK(again.exited_with(0));
  CHECK(contains(again.err, "after offset 41"));
  CHECK(f.sql("select count(*) from dog where name = 'Max'") == "1\n");
}
