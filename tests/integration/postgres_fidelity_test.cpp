// Fidelity: a source database put through the scenarios of
// tests/integration/fidelity/*.sql (tables dropped and created again, types
// of the source's own, partitioned tables, set-based statements, reshaped
// columns, keyless tables), replicated source -> topic -> sink by the real
// host and plugins, and every table the source has at the end compared with
// the target's: rows, the types of built-in columns, the key.
//
// One run of the scenarios feeds three targets:
// - the source's default publication, which publishes partitions as tables;
// - a publication WITH (publish_via_partition_root), which publishes a
//   partitioned table as its root;
// - the first topic rewritten as Fluvio's source writes it (pgoutput's empty
//   namespace for pg_catalog types), applied by a sink of its own.
//
// A second test checks that what replication cannot carry (a dropped table, an
// added column's default, a generated column) is as the sink's README says.
#include "source_fixture.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace cn::test;

namespace {

// A scenario file: what runs before the source starts (and so reaches the
// topic through the initial load), and what runs while it streams. psql
// runs each statement in a transaction of its own, as a user would.
struct Scenario {
  std::string name, before, streamed;
};

const std::string kStreamsFromHere = "-- ==== the source streams from here ====\n";

std::vector<Scenario> scenarios() {
  std::vector<std::filesystem::path> files;
  for (const auto &entry : std::filesystem::directory_iterator(kSourceDir + "/tests/integration/fidelity"))
    if (entry.path().extension() == ".sql") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  std::vector<Scenario> all;
  for (const auto &file : files) {
    const std::string text = read_file(file);
    const std::size_t split = text.find(kStreamsFromHere);
    if (split == std::string::npos) FAIL(file.string() << " has no line " << kStreamsFromHere);
    all.push_back({file.filename().string(), text.substr(0, split), text.substr(split + kStreamsFromHere.size())});
  }
  return all;
}

// psql's output without its trailing newline.
std::string trimmed(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

const std::string kUserSchemas = "n.nspname not in ('pg_catalog', 'information_schema', 'fluvio')"
                                 " and n.nspname not like 'pg_toast%'";

// schema.table of the tables holding rows as a publication shows them:
// the partitions themselves, or (via_root) the partitioned roots instead.
std::vector<std::string> tables_of(const PostgresServer &server, const std::string &db, bool via_root = false) {
  const std::string kinds = via_root ? "c.relkind in ('r', 'p') and not c.relispartition" : "c.relkind = 'r'";
  return lines_of(server.psql("select format('%I.%I', n.nspname, c.relname) from pg_class c join pg_namespace n on"
                              " n.oid = c.relnamespace where " + kinds + " and " + kUserSchemas + " order by 1",
                              db));
}

// "name|type" of every column in column order. A domain stands for its
// base type (through domains over domains), without the domain's modifier:
// that is how pgoutput describes it. A type that is not built in is "-": a
// source's own type (enum, composite, range) becomes another on the target
// (see the sink's README), and is compared by its values only.
std::vector<std::string> columns_of(const PostgresServer &server, const std::string &db, const std::string &table) {
  return lines_of(server.psql(
      "select a.attname || '|' || case when b.oid < 16384 then format_type(b.oid, a.atttypmod) else '-' end"
      " from pg_attribute a join lateral (with recursive chain(oid, base) as ("
      "   select t.oid, t.typbasetype from pg_type t where t.oid = a.atttypid"
      "   union all select t.oid, t.typbasetype from pg_type t join chain on t.oid = chain.base)"
      " select oid from chain where base = 0) b on true"
      " where a.attrelid = '" + table + "'::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum",
      db));
}

// The target's columns as expected from the source's: the same names in the
// same order, and the same built-in types.
void check_columns(const PostgresServer &server, const std::string &source_db, const std::string &target_db,
                   const std::string &table) {
  std::vector<std::string> expected = columns_of(server, source_db, table);
  std::vector<std::string> found = columns_of(server, target_db, table);
  for (std::size_t i = 0; i < expected.size() && i < found.size(); ++i)
    if (expected[i].size() > 2 && expected[i].compare(expected[i].size() - 2, 2, "|-") == 0)
      found[i] = found[i].substr(0, found[i].find('|')) + "|-";
  auto joined = [](const std::vector<std::string> &columns) {
    std::string all;
    for (const std::string &c : columns) all += (all.empty() ? "" : ", ") + c;
    return all;
  };
  CHECK(joined(found) == joined(expected));
}

// The columns that identify a row on the source (its replica identity's
// index: the primary key by default), sorted by name.
std::string identity_columns_sql(const std::string &table) {
  return "select coalesce(string_agg(a.attname, ',' order by a.attname), '') from pg_class c join pg_index i on"
         " i.indrelid = c.oid and ((c.relreplident = 'd' and i.indisprimary) or (c.relreplident = 'i' and"
         " i.indisreplident)) join pg_attribute a on a.attrelid = c.oid and a.attnum = any(i.indkey)"
         " where c.oid = '" + table + "'::regclass";
}

// The target's primary key columns, sorted by name.
std::string primary_key_sql(const std::string &table) {
  return "select coalesce(string_agg(a.attname, ',' order by a.attname), '') from pg_index i join pg_attribute a on"
         " a.attrelid = i.indrelid and a.attnum = any(i.indkey) where i.indrelid = '" + table +
         "'::regclass and i.indisprimary";
}

// The tables a sink keeps aside when the source's table of their name was
// dropped and created again (see 01_replaced_tables.sql): one per
// replacement, named <name>_replaced_<old rel_id>.
const std::multiset<std::string> kReplaced = {"public.recreated_columns", "public.recreated_keyless",
                                              "public.recreated_same",    "public.recreated_twice",
                                              "public.recreated_twice",   "public.recreated_types"};

// Every table of the source equal on the target: its rows (count and md5 in
// text order), its built-in columns' types and its key; and the target has
// no table the source lacks but those kept aside for replaced tables.
void check_target(const SourceFixture &f, const std::string &target_db, bool via_root) {
  CAPTURE(target_db);
  const PostgresServer &server = f.server();
  const std::vector<std::string> source_tables = tables_of(server, f.source_db(), via_root);
  REQUIRE(source_tables.size() > 20);
  const std::set<std::string> target_tables = [&] {
    std::vector<std::string> all = tables_of(server, target_db);
    return std::set<std::string>(all.begin(), all.end());
  }();
  std::size_t rows = 0;
  for (const std::string &table : source_tables) {
    CAPTURE(table);
    if (target_tables.count(table) == 0) {
      FAIL_CHECK("the target has no table " << table);
      continue;
    }
    const std::string digest = SourceFixture::digest_sql(table);
    const std::string expected = server.psql(digest, f.source_db());
    rows += std::stoull(expected);
    CHECK(server.psql(digest, target_db) == expected);
    check_columns(server, f.source_db(), target_db, table);
    CHECK(server.psql(primary_key_sql(table), target_db) == server.psql(identity_columns_sql(table), f.source_db()));
  }
  CHECK(rows > 20000);

  std::multiset<std::string> kept_aside;
  for (const std::string &table : target_tables) {
    if (std::find(source_tables.begin(), source_tables.end(), table) != source_tables.end()) continue;
    const std::size_t suffix = table.rfind("_replaced_");
    CAPTURE(table);
    CHECK(suffix != std::string::npos);
    if (suffix != std::string::npos) kept_aside.insert(table.substr(0, suffix));
  }
  CHECK(kept_aside == kReplaced);
  // Nothing silently deleted: the first recreated_same kept the rows the
  // source's table had when it was dropped.
  CHECK(trimmed(server.psql("select string_agg(id || ':' || v, ',' order by id) from " +
                                trimmed(server.psql("select format('%I', relname) from pg_class where relname like"
                                                    " 'recreated\\_same\\_replaced\\_%'", target_db)),
                            target_db)) == "1:old,2:old and gone,3:streamed before the drop");
}

// The sink following `topic` into `target_db`, as connector "sink_<topic>".
Child follow(const SourceFixture &f, const std::string &topic, const std::string &target_db) {
  return Child(f.host_args(f.sink_config({}, "sink_" + topic, topic, f.server().url(target_db))));
}

// Waits until the sink following `topic` has applied all of it.
void wait_applied(const SourceFixture &f, Child &sink, const std::string &topic, const std::string &target_db) {
  const int64_t last = static_cast<int64_t>(f.topic(topic).size()) - 1;
  CAPTURE(topic);
  CAPTURE(last);
  INFO(sink.err());
  auto applied_through = [&] { return stored_offset(f.server(), target_db, "sink_" + topic); };
  const bool applied = wait_until({&sink}, [&] { return applied_through() == last; });
  CAPTURE(applied_through());
  REQUIRE(applied);
}

// What a run of the sink must not have said.
void check_clean(const std::string &err) {
  INFO(err);
  CHECK_FALSE(contains(err, "ERROR"));
  CHECK_FALSE(contains(err, "dead letter"));
}

// Streams the scenarios through two sources (the default publication, and
// via_root) into two sinks that follow them into the target database and
// root_db, until both have applied everything; then stops them all.
void replicate(const SourceFixture &f, const std::vector<Scenario> &all, const std::string &root_db) {
  Child leaves_source(f.host_args(f.source_config(f.unique("leaves"), {}, "", "leaves")));
  Child root_source(f.host_args(f.source_config(f.unique("root"), {"publication: via_root"}, "", "root")));
  INFO(leaves_source.err());
  INFO(root_source.err());
  REQUIRE(leaves_source.wait_for(streaming()));
  REQUIRE(root_source.wait_for(streaming()));
  Child leaves_sink = follow(f, "leaves", f.target_db());
  Child root_sink = follow(f, "root", root_db);

  for (const Scenario &s : all) {
    CAPTURE(s.name);
    f.src(s.streamed);
  }
  const uint64_t end = f.marker("insert into fidelity_marker values (1)");
  REQUIRE(f.wait_for_commit(leaves_source, end, "leaves"));
  REQUIRE(f.wait_for_commit(root_source, end, "root"));
  for (Child *source : {&leaves_source, &root_source}) {
    ProcessResult stopped = stop(*source);
    INFO(stopped.err);
    CHECK(stopped.exited_with(0));
  }
  for (const std::string topic : {"leaves", "root"}) {
    CAPTURE(topic);
    TopicCheck c = check_topic(f.topic(topic));
    INFO(c.problem);
    CHECK(c.problem.empty());
    CHECK(c.loads == 1);
    CHECK(c.truncates >= 2);
    // The initial load describes a type as pgoutput does later: a domain
    // by its base type's name (no scenario renames a type).
    std::map<std::string, std::set<std::string>> names_of_type;
    for (const std::string &line : f.topic(topic))
      if (event_type(line) == "type")
        names_of_type[event_field(line, "id")].insert(event_field(line, "namespace") + "." + event_field(line, "name"));
    CHECK(names_of_type.size() >= 10);
    for (const auto &[id, names] : names_of_type) {
      CAPTURE(id);
      CHECK(names.size() == 1);
    }
  }

  wait_applied(f, leaves_sink, "leaves", f.target_db());
  wait_applied(f, root_sink, "root", root_db);
  for (Child *sink : {&leaves_sink, &root_sink}) {
    ProcessResult stopped = stop(*sink);
    check_clean(stopped.err);
    CHECK(stopped.exited_with(0));
  }
}

}  // namespace

TEST_CASE("fidelity: every scenario replicated source -> topic -> sink; every source table equal on the target") {
  SourceFixture f;
  const std::vector<Scenario> all = scenarios();
  REQUIRE(all.size() >= 6);
  for (const Scenario &s : all) {
    CAPTURE(s.name);
    f.src(s.before);
  }
  f.src("create table fidelity_marker (id int primary key);"
        "create publication via_root for all tables with (publish_via_partition_root = true)");
  const std::string root_db = f.target_db() + "_root", fluvio_db = f.target_db() + "_fluvio";
  f.server().create_database(root_db);
  f.server().create_database(fluvio_db);

  replicate(f, all, root_db);

  check_target(f, f.target_db(), false);  // published as partitions
  check_target(f, root_db, true);          // published via the partitioned root

  // The same events as Fluvio's source writes them: an empty namespace for
  // pg_catalog.
  {
    const std::string catalog = "\"namespace\":\"pg_catalog\"";
    std::size_t rewritten = 0;
    {
      std::ofstream out(f.topic_path("fluvio"), std::ios::binary);
      for (std::string line : f.topic("leaves")) {
        for (std::size_t at = line.find(catalog); at != std::string::npos; at = line.find(catalog, at)) {
          line.replace(at, catalog.size(), "\"namespace\":\"\"");
          ++rewritten;
        }
        out << line << '\n';
      }
    }
    CHECK(rewritten >= 4);  // the type events of the domains over built-in types
    ProcessResult sink = run_process(
        f.host_args(f.sink_config({}, "sink", "fluvio", f.server().url(fluvio_db)), {"--once"}), {}, {},
        std::chrono::seconds(300));
    check_clean(sink.err);
    REQUIRE(sink.exited_with(0));
    check_target(f, fluvio_db, false);
  }
}

TEST_CASE("what logical replication cannot carry is as the sink's README says") {
  SourceFixture f;
  f.src("create table dropped_for_good (id int primary key);"
        "create table defaulted (id int primary key, v text);"
        "create table generated (id int primary key, twice int generated always as (id * 2) stored);"
        "insert into dropped_for_good values (1); insert into defaulted values (1, 'a'), (2, 'b');"
        "insert into generated values (1)");
  Child source(f.host_args(f.source_config(f.unique("limits"))));
  INFO(source.err());
  REQUIRE(source.wait_for(streaming()));
  f.src("drop table dropped_for_good");
  f.src("alter table defaulted add column c int default 5");
  f.src("update defaulted set v = 'changed' where id = 2");
  f.src("insert into generated values (2)");
  const uint64_t end = f.marker("insert into defaulted values (3, 'c')");
  REQUIRE(f.wait_for_commit(source, end));
  CHECK(stop(source).exited_with(0));
  ProcessResult sink = f.run_sink();
  INFO(sink.err);
  REQUIRE(sink.exited_with(0));

  // A dropped table stays, rows and all.
  CHECK(f.tgt("select id from dropped_for_good") == "1\n");
  // The default reaches the rows that changed after the ALTER only.
  CHECK(f.src("select id, c from defaulted order by id") == "1|5\n2|5\n3|5\n");
  CHECK(f.tgt("select id, c from defaulted order by id") == "1|\n2|5\n3|5\n");
  // A generated column is not sent.
  CHECK(f.tgt("select * from generated order by id") == "1\n2\n");
}
