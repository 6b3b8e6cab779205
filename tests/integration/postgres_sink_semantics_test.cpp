// postgres-sink's documented semantics (plugins/postgres-sink/README.md),
// end to end: topics built with the events builders, the real host and
// plugin, and what a user would check in the target with SQL.
#include "sink_fixture.hpp"

#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

using namespace cn::test;
namespace ev = cn::test::events;

namespace {

using Lines = std::vector<std::string>;
using Tuple = std::vector<ev::V>;

Lines cat(std::initializer_list<Lines> parts) {
  Lines all;
  for (const Lines &p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

ev::Col key(const std::string &name, uint32_t type, int32_t modifier = -1) { return {name, type, modifier, true}; }
ev::Col col(const std::string &name, uint32_t type, int32_t modifier = -1) { return {name, type, modifier, false}; }

// public.<name> (id integer primary key, v text): the table most tests use.
std::string rel_idv(uint32_t rel_id, const std::string &name = "t") {
  return ev::relation(rel_id, "public", name, {key("id", ev::kInt4), col("v", ev::kText)});
}
std::string ins(uint32_t rel, int id, const std::string &v) { return ev::insert(rel, {ev::i4(id), ev::str(v)}); }
std::string upd(uint32_t rel, int id, const std::string &v) { return ev::update(rel, {ev::i4(id), ev::str(v)}); }
std::string del(uint32_t rel, int id) { return ev::remove(rel, Tuple{ev::i4(id), ev::null()}); }

// Writes the topic and runs the sink over it; the run must succeed.
ProcessResult run_ok(SinkFixture &f, const Lines &topic, const std::vector<std::string> &parameters = {},
                     const std::vector<std::string> &extra = {}) {
  f.write_topic(topic);
  ProcessResult r = f.run_sink(parameters, extra);
  INFO(r.err);
  REQUIRE(r.exited_with(0));
  return r;
}

// One value from SQL, without psql's trailing newline.
std::string one(SinkFixture &f, const std::string &query) {
  std::string s = f.sql(query);
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// "name type, ..." of a table's columns, as format_type() spells the types.
std::string columns_of(SinkFixture &f, const std::string &table) {
  const std::string where = "attrelid = '" + table + "'::regclass and attnum > 0 and not attisdropped";
  return one(f, "select string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' order by attnum)"
                " from pg_attribute where " + where);
}

// The primary key's columns, in key order ("" without one).
std::string primary_key_of(SinkFixture &f, const std::string &table) {
  const std::string where = "i.indrelid = '" + table + "'::regclass and i.indisprimary";
  return one(f, "select coalesce(string_agg(a.attname, ',' order by array_position(i.indkey::int2[], a.attnum)), '')"
                " from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey) where " +
                    where);
}

bool contains(const std::string &text, const std::string &part) { return text.find(part) != std::string::npos; }

std::string hex(const std::string &s) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) out += {digits[c >> 4], digits[c & 15]};
  return out;
}

}  // namespace

// ---- 1. value kinds ---------------------------------------------------------

TEST_CASE("every value kind lands as the right value, in a column of the source's type") {
  SinkFixture f;
  const uint32_t rel = 101;
  const std::vector<ev::Col> columns = {key("id", ev::kInt4),
                                        col("b", ev::kBool),
                                        col("c", ev::kChar),
                                        col("c2", ev::kChar),
                                        col("s", ev::kInt2),
                                        col("i", ev::kInt4),
                                        col("l", ev::kInt8),
                                        col("o", ev::kOid),
                                        col("r", ev::kFloat4),
                                        col("rmax", ev::kFloat4),
                                        col("d8", ev::kFloat8),
                                        col("nan", ev::kFloat8),
                                        col("t", ev::kText),
                                        col("vc", ev::kVarchar, ev::chars(20)),
                                        col("bc", ev::kBpchar, ev::chars(22)),
                                        col("dt", ev::kDate),
                                        col("n", ev::kNumeric, ev::numeric(5, 2)),
                                        col("j", ev::kJson),
                                        col("jb", ev::kJsonb),
                                        col("u", ev::kUuid),
                                        col("ia", ev::kInt4Array),
                                        col("ta", ev::kTextArray),
                                        col("bin", ev::kBytea),
                                        col("ts", ev::kTimestamp)};
  const Tuple row1 = {ev::i4(1),
                      ev::boolean(true),
                      ev::chr(97),
                      ev::chr(-56),
                      ev::i2(-32768),
                      ev::i4(2147483647),
                      ev::i8(9223372036854775807LL),
                      ev::oid(4294967295u),
                      ev::f4(0.1),
                      ev::f4(3.4028234663852886e38),
                      ev::f8(0.30000000000000004),
                      ev::f8_nonfinite(),
                      ev::str("text value"),
                      ev::str("varchar value"),
                      ev::str("char value"),
                      ev::raw("2020-01-01"),
                      ev::raw("123.45"),
                      ev::raw(R"({"a": [1, 2]})"),
                      ev::raw(R"({"b": {"c": null}, "a": 1})"),
                      ev::raw("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
                      ev::raw("{1,-2,NULL,3}"),
                      ev::raw(R"({"a b","c,d","\"q\"",NULL,"NULL"})"),
                      ev::raw(R"(\x0102ff)"),
                      ev::raw("2020-01-01 12:34:56.789")};
  Tuple row2(columns.size(), ev::null());
  row2[0] = ev::i4(2);
  row2[1] = ev::boolean(false);
  run_ok(f, ev::transaction(
                {ev::relation(rel, "public", "kinds", columns), ev::insert(rel, row1), ev::insert(rel, row2)}));

  for (const char *predicate : {"b is true",
                                "c = 'a'",
                                R"(c2 = '\310'::"char")",
                                "s = -32768",
                                "i = 2147483647",
                                "l = 9223372036854775807",
                                "o = 4294967295::oid",
                                "r = 0.1::real",
                                "rmax = 3.4028235e38::real",
                                "d8 = 0.30000000000000004::float8",
                                "nan = 'NaN'::float8",
                                "t = 'text value'",
                                "vc = 'varchar value'",
                                "bc = 'char value'::character(22)",
                                "dt = '2020-01-01'::date",
                                "n = 123.45",
                                R"(j::text = '{"a": [1, 2]}')",
                                R"(jb = '{"a": 1, "b": {"c": null}}'::jsonb)",
                                "u = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid",
                                "ia = array[1, -2, null, 3]",
                                R"(ta = array['a b', 'c,d', '"q"', null, 'NULL'])",
                                R"(bin = '\x0102ff'::bytea)",
                                "ts = '2020-01-01 12:34:56.789'::timestamp"}) {
    CAPTURE(predicate);
    CHECK(f.sql(std::string("select (") + predicate + ") from kinds where id = 1") == "t\n");
  }
  CHECK(one(f, "select json_strip_nulls(row_to_json(k))::text from kinds k where id = 2") == R"({"id":2,"b":false})");
  CHECK(columns_of(f, "kinds") ==
        R"(id integer, b boolean, c "char", c2 "char", s smallint, i integer, l bigint, o oid, r real, rmax real, )"
        "d8 double precision, nan double precision, t text, vc character varying(20), bc character(22), dt date, "
        "n numeric(5,2), j json, jb jsonb, u uuid, ia integer[], ta text[], bin bytea, ts timestamp without time zone");
  CHECK(primary_key_of(f, "kinds") == "id");
}

// ---- 2. hostile identifiers and values -------------------------------------

TEST_CASE("hostile identifiers and values are stored exactly, and run no SQL") {
  SinkFixture f;
  f.sql("create table x (keep int); insert into x values (42)");
  const uint32_t rel = 201;
  const std::string ns = "My Schema", table = R"(Mixed "Case" tbl)";
  // Every control character, which COPY text escapes (tab, newline and
  // carriage return as letters, the rest as themselves after a backslash).
  std::string controls;
  for (char c = 1; c < 0x20; ++c) controls += std::string(1, c) + "\\" + c;
  const std::vector<std::string> values = {"plain",
                                           controls,
                                           "'); drop table x; --",
                                           "O'Brien",
                                           R"(back\slash \\ \n \x41)",
                                           R"(say "hi")",
                                           "{",
                                           "}",
                                           ",",
                                           R"({a,"b"},{)",
                                           "ünïcødé ✓ 日本語",
                                           "",
                                           "NULL",
                                           "  padded  ",
                                           R"(\)",
                                           "$1 %s ?",
                                           "tab\there\nnewline"};
  Lines changes = {ev::relation(rel, ns, table,
                                {key("key col", ev::kInt4), col(R"(it's "quoted")", ev::kText),
                                 col(R"(back\slash)", ev::kVarchar, ev::chars(100))})};
  // Each value in both text columns, except that even rows have NULL in the second.
  std::vector<std::pair<std::string, std::string>> expected;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const int id = static_cast<int>(i) + 1;
    changes.push_back(ev::insert(rel, {ev::i4(id), ev::str(values[i]), id % 2 ? ev::str(values[i]) : ev::null()}));
    expected.emplace_back(hex(values[i]), id % 2 ? hex(values[i]) : "null");
  }
  // Updated and deleted through the hostile key column too.
  const std::string hostile = R"(x"'\{},NULL)";
  Lines second = {ev::update(rel, {ev::i4(1), ev::str(hostile), ev::str("NULL")}),
                  ev::remove(rel, Tuple{ev::i4(static_cast<int>(values.size())), ev::null(), ev::null()})};
  expected.front() = {hex(hostile), hex("NULL")};
  expected.pop_back();
  run_ok(f, cat({ev::transaction(changes, 1), ev::transaction(second, 2)}));

  std::string want;
  for (const auto &[a, b] : expected) want += (want.empty() ? "" : ",") + a + ":" + b;
  CHECK(one(f, R"(select string_agg(coalesce(encode(convert_to("it's ""quoted""", 'UTF8'), 'hex'), 'null') || ':' ||)"
               R"( coalesce(encode(convert_to("back\slash", 'UTF8'), 'hex'), 'null'), ',' order by "key col"))"
               R"( from "My Schema"."Mixed ""Case"" tbl")") == want);
  CHECK(primary_key_of(f, R"("My Schema"."Mixed ""Case"" tbl")") == "key col");
  CHECK(f.sql("select keep from x") == "42\n");
  CHECK(
      f.sql("select count(*) from pg_tables where schemaname not in ('pg_catalog', 'information_schema', 'fluvio')") ==
      "2\n");
}

TEST_CASE("a LATIN1 target database holds the events' text as the same characters; one it has no room for stops the sink") {
  SinkFixture f;
  const std::string db = "\"" + f.database() + "\"";
  f.server().psql("drop database " + db, "postgres");
  f.server().psql("create database " + db + " encoding 'LATIN1' lc_collate 'C' lc_ctype 'C' template template0", "postgres");
  const uint32_t rel = 205;
  const Lines created = ev::transaction({rel_idv(rel), ins(rel, 1, "d\u00e9j\u00e0 vu, \u00fcber")}, 1);
  run_ok(f, created);
  CHECK(one(f, "select encode(convert_to(v, 'UTF8'), 'hex') from t") == hex("d\u00e9j\u00e0 vu, \u00fcber"));
  CHECK(one(f, "select length(v) from t") == "13");

  f.write_topic(cat({created, ev::transaction({ins(rel, 2, "\u65e5\u672c")}, 2)}));
  ProcessResult r = f.run_sink();
  CHECK(r.exited_with(1));
  CHECK(r.err.find("offset 5, table public.t: insert refused by the target") != std::string::npos);
  CHECK(r.err.find("has no equivalent in encoding \"LATIN1\"") != std::string::npos);
  CHECK(one(f, "select count(*) from t") == "1");
}

// ---- 3. updates ---------------------------------------------------------------

TEST_CASE("an update is found by the key columns of new_tuple, and a change to NULL is applied") {
  SinkFixture f;
  const uint32_t rel = 301;
  run_ok(f, cat({ev::transaction({ev::relation(rel, "public", "t",
                                               {key("id", ev::kInt4), col("a", ev::kText), col("b", ev::kInt4)}),
                                  ev::insert(rel, {ev::i4(1), ev::str("x"), ev::i4(10)}),
                                  ev::insert(rel, {ev::i4(2), ev::str("y"), ev::i4(20)})}),
                 ev::transaction({ev::update(rel, {ev::i4(1), ev::str("x2"), ev::null()}),
                                  ev::update(rel, {ev::i4(2), ev::null(), ev::i4(21)})},
                                 2)}));
  CHECK(f.sql("select id, coalesce(a, '<null>'), coalesce(b::text, '<null>') from t order by id") ==
        "1|x2|<null>\n2|<null>|21\n");
}

TEST_CASE("a key-changing update is found by key_tuple (a two-column key)") {
  SinkFixture f;
  const uint32_t rel = 302;
  auto row = [&](int k1, const std::string &k2, const std::string &v) {
    return Tuple{ev::i4(k1), ev::str(k2), ev::str(v)};
  };
  run_ok(f, cat({ev::transaction({ev::relation(rel, "public", "t",
                                               {key("k1", ev::kInt4), key("k2", ev::kText), col("v", ev::kText)}),
                                  ev::insert(rel, row(1, "a", "one")), ev::insert(rel, row(1, "b", "two"))}),
                 ev::transaction({ev::update(rel, row(2, "a", "one moved"), Tuple{ev::i4(1), ev::str("a"), ev::null()}),
                                  ev::update(rel, row(1, "b", "two kept"))},
                                 2)}));
  CHECK(f.sql("select k1, k2, v from t order by k1, k2") == "1|b|two kept\n2|a|one moved\n");
}

TEST_CASE("two-column keys that join to the same text are different rows in a batch") {
  // ("a", "b<US>vc") and ("a<US>vb", "c"): joined with a separator (US,
  // 0x1f) and a marker, both read "va<US>vb<US>vc": a batch that told keys
  // apart that way took the delete of one for the other's insert and wrote
  // neither.
  SinkFixture f;
  const uint32_t rel = 306;
  const std::string us(1, '\x1f');
  auto row = [&](const std::string &k1, const std::string &k2) {
    return Tuple{ev::str(k1), ev::str(k2), ev::str(k1 + "," + k2)};
  };
  const Tuple first = row("a", "b" + us + "vc"), second = row("a" + us + "vb", "c");
  const Lines created = ev::transaction(
      {ev::relation(rel, "public", "t", {key("k1", ev::kText), key("k2", ev::kText), col("v", ev::kText)}),
       ev::insert(rel, first)});
  run_ok(f, created);
  CHECK(f.sql("select count(*) from t") == "1\n");
  run_ok(f, cat({created, ev::transaction({ev::insert(rel, second), ev::remove(rel, first)}, 2)}));
  CHECK(f.sql("select count(*), bool_and(k1 = 'a' || chr(31) || 'vb' and k2 = 'c') from t") == "1|t\n");
}

TEST_CASE("several updates to one key in one transaction end in the last value") {
  SinkFixture f;
  const uint32_t rel = 303;
  run_ok(
      f,
      cat({ev::transaction({rel_idv(rel), ins(rel, 1, "v0"), ins(rel, 2, "w0")}),
           ev::transaction(
               {upd(rel, 1, "v1"), upd(rel, 2, "w1"), upd(rel, 1, "v2"), upd(rel, 1, "v3"), upd(rel, 2, "w2")}, 2)}));
  CHECK(f.sql("select id, v from t order by id") == "1|v3\n2|w2\n");
}

TEST_CASE("a key changed A->B then B->C in one transaction ends at C") {
  SinkFixture f;
  const uint32_t rel = 304;
  auto move = [&](int from, int to, const std::string &v) {
    return ev::update(rel, {ev::i4(to), ev::str(v)}, Tuple{ev::i4(from), ev::null()});
  };
  run_ok(f, cat({ev::transaction({rel_idv(rel), ins(rel, 1, "a"), ins(rel, 9, "other")}),
                 ev::transaction({move(1, 2, "b"), upd(rel, 9, "other2"), move(2, 3, "c")}, 2)}));
  CHECK(f.sql("select id, v from t order by id") == "3|c\n9|other2\n");
}

TEST_CASE("keys shifted down in one transaction (1->1000, 2->1, ..., 100->99) apply without a refused statement") {
  // Each update writes the key the previous one freed, which the pending
  // statement already touches: README, "a change to a key the pending
  // statement already touches starts a new one". Batched into one UPDATE,
  // the target's unique index refuses it and the host has to retry.
  SinkFixture f;
  const uint32_t rel = 305;
  Lines inserts = {rel_idv(rel)}, shifts;
  for (int id = 100; id >= 1; --id) inserts.push_back(ins(rel, id, "r" + std::to_string(id)));
  for (int id = 1; id <= 100; ++id)
    shifts.push_back(ev::update(rel, {ev::i4(id == 1 ? 1000 : id - 1), ev::str("was " + std::to_string(id))},
                                Tuple{ev::i4(id), ev::null()}));
  ProcessResult r = run_ok(f, cat({ev::transaction(inserts), ev::transaction(shifts, 2)}));
  CHECK(f.sql("select count(*), min(id), max(id) from t") == "100|1|1000\n");
  CHECK(f.sql("select v from t where id in (1, 99, 1000) order by id") == "was 2\nwas 100\nwas 1\n");
  INFO(r.err);
  CHECK_FALSE(contains(r.err, "refused"));
}

// ---- 4. Full identity ----------------------------------------------------------

TEST_CASE("Full identity: with duplicate rows, one delete or update changes exactly one row") {
  SinkFixture f;
  const uint32_t rel = 401;
  auto row = [](int a, const std::string &b) { return Tuple{ev::i4(a), ev::str(b), ev::null()}; };
  run_ok(f,
         cat({ev::transaction({ev::relation(rel, "public", "dup",
                                            {key("a", ev::kInt4), key("b", ev::kText), key("c", ev::kInt4)}, "Full"),
                               ev::insert(rel, row(1, "x")), ev::insert(rel, row(1, "x")), ev::insert(rel, row(1, "x")),
                               ev::insert(rel, row(1, "x")), ev::insert(rel, row(2, "y"))}),
              ev::transaction(
                  {ev::remove(rel, std::nullopt, row(1, "x")), ev::update(rel, row(1, "z"), std::nullopt, row(1, "x"))},
                  2),
              ev::transaction({ev::remove(rel, std::nullopt, row(1, "x"))}, 3)}));
  CHECK(f.sql("select a, b, count(*) from dup group by a, b order by a, b") == "1|x|1\n1|z|1\n2|y|1\n");
  CHECK(f.sql("select count(*) from dup where c is null") == "3\n");
  CHECK(primary_key_of(f, "dup") == "");
}

TEST_CASE("Full identity: rows with a float4 and a json column are found") {
  SinkFixture f;
  const uint32_t rel = 402;
  const std::string doc = R"({"a":  1, "b" : [2, {"c": "d"}]})";  // json keeps its spacing
  auto row = [&](double r, const std::string &t) { return Tuple{ev::f4(r), ev::raw(doc), ev::str(t)}; };
  run_ok(f,
         cat({ev::transaction({ev::relation(rel, "public", "fj",
                                            {key("r", ev::kFloat4), key("j", ev::kJson), key("t", ev::kText)}, "Full"),
                               ev::insert(rel, row(0.1, "one")), ev::insert(rel, row(0.7, "two")),
                               ev::insert(rel, row(0.1, "three"))}),
              ev::transaction({ev::update(rel, row(0.1, "one updated"), std::nullopt, row(0.1, "one")),
                               ev::remove(rel, std::nullopt, row(0.7, "two"))},
                              2)}));
  CHECK(f.sql("select r, t from fj order by t") == "0.1|one updated\n0.1|three\n");
  CHECK(f.sql("select count(*) from fj where j::text = '" + doc + "'") == "2\n");
}

TEST_CASE("Full identity: an update with UnchangedToast in old_tuple still finds its row") {
  SinkFixture f;
  const uint32_t rel = 403;
  const std::string big(20000, 'x');
  run_ok(
      f,
      cat({ev::transaction({ev::relation(rel, "public", "ft",
                                         {key("id", ev::kInt4), key("big", ev::kText), key("note", ev::kText)}, "Full"),
                            ev::insert(rel, {ev::i4(1), ev::str(big), ev::str("a")}),
                            ev::insert(rel, {ev::i4(2), ev::str(big), ev::str("a")})}),
           ev::transaction({ev::update(rel, {ev::i4(1), ev::toast(), ev::str("b")}, std::nullopt,
                                       Tuple{ev::i4(1), ev::toast(), ev::str("a")})},
                           2)}));
  CHECK(f.sql("select id, note, big = repeat('x', 20000) from ft order by id") == "1|b|t\n2|a|t\n");
}

// ---- 5. TOAST ------------------------------------------------------------------

TEST_CASE("UnchangedToast keeps the target's value while other columns change") {
  SinkFixture f;
  const uint32_t rel = 501;
  auto row = [](int id, ev::V big, int n) { return Tuple{ev::i4(id), std::move(big), ev::i4(n)}; };
  run_ok(f, cat({ev::transaction({ev::relation(rel, "public", "toasty",
                                               {key("id", ev::kInt4), col("big", ev::kText), col("n", ev::kInt4)}),
                                  ev::insert(rel, row(1, ev::str(std::string(10000, 'a')), 1))}),
                 ev::transaction({ev::update(rel, row(1, ev::toast(), 2))}, 2)}));
  CHECK(f.sql("select id, big = repeat('a', 10000), n from toasty") == "1|t|2\n");
}

TEST_CASE("UnchangedToast is honoured when the update is batched with updates that set every column") {
  SinkFixture f;
  const uint32_t rel = 502;
  auto row = [](int id, ev::V big, int n) { return Tuple{ev::i4(id), std::move(big), ev::i4(n)}; };
  auto big = [](char c) { return ev::str(std::string(10000, c)); };
  Lines inserts = {
      ev::relation(rel, "public", "toasty", {key("id", ev::kInt4), col("big", ev::kText), col("n", ev::kInt4)})};
  for (int id = 1; id <= 5; ++id) inserts.push_back(ev::insert(rel, row(id, big('a'), 0)));
  run_ok(f, cat({ev::transaction(inserts),
                 ev::transaction({ev::update(rel, row(1, ev::toast(), 10)), ev::update(rel, row(2, big('b'), 20)),
                                  ev::update(rel, row(3, ev::toast(), 30)), ev::update(rel, row(4, big('c'), 40)),
                                  ev::update(rel, row(5, ev::toast(), 50))},
                                 2)}));
  CHECK(f.sql("select id, left(big, 1), length(big), n from toasty order by id") ==
        "1|a|10000|10\n2|b|10000|20\n3|a|10000|30\n4|c|10000|40\n5|a|10000|50\n");
}

// ---- 6. schema changes ---------------------------------------------------------

namespace {

const uint32_t kEvo = 601;

// public.evo (id integer key, a text) with rows 1 and 2; then a second
// transaction: row 9 inserted (still pending when the next relation
// comes), `changed` (a relation for kEvo) and the changes after it.
ProcessResult evolve(SinkFixture &f, const std::string &changed, const Lines &after) {
  Lines second = {ev::insert(kEvo, {ev::i4(9), ev::str("nine")}), changed};
  second.insert(second.end(), after.begin(), after.end());
  return run_ok(f,
                cat({ev::transaction({ev::relation(kEvo, "public", "evo", {key("id", ev::kInt4), col("a", ev::kText)}),
                                      ev::insert(kEvo, {ev::i4(1), ev::str("one")}),
                                      ev::insert(kEvo, {ev::i4(2), ev::str("two")})}),
                     ev::transaction(second, 2)}));
}

}  // namespace

TEST_CASE("schema change: an added column is filled by later inserts, NULL in older rows") {
  SinkFixture f;
  evolve(f, ev::relation(kEvo, "public", "evo", {key("id", ev::kInt4), col("a", ev::kText), col("c", ev::kInt4)}),
         {ev::insert(kEvo, {ev::i4(3), ev::str("three"), ev::i4(33)}),
          ev::update(kEvo, {ev::i4(1), ev::str("one"), ev::i4(11)})});
  CHECK(columns_of(f, "evo") == "id integer, a text, c integer");
  CHECK(f.sql("select id, a, coalesce(c::text, '<null>') from evo order by id") ==
        "1|one|11\n2|two|<null>\n3|three|33\n9|nine|<null>\n");
}

TEST_CASE("schema change: a dropped column is dropped") {
  SinkFixture f;
  evolve(f, ev::relation(kEvo, "public", "evo", {key("id", ev::kInt4)}), {ev::insert(kEvo, {ev::i4(3)})});
  CHECK(columns_of(f, "evo") == "id integer");
  CHECK(f.sql("select id from evo order by id") == "1\n2\n3\n9\n");
}

TEST_CASE("schema change: a renamed column keeps its position and values") {
  SinkFixture f;
  evolve(f, ev::relation(kEvo, "public", "evo", {key("id", ev::kInt4), col("renamed a", ev::kText)}),
         {ev::insert(kEvo, {ev::i4(3), ev::str("three")}), ev::update(kEvo, {ev::i4(1), ev::str("one!")})});
  CHECK(columns_of(f, "evo") == "id integer, renamed a text");
  CHECK(f.sql(R"(select id, "renamed a" from evo order by id)") == "1|one!\n2|two\n3|three\n9|nine\n");
}

TEST_CASE("schema change: a column's new type (int4 -> int8, varchar(10) -> text)") {
  SinkFixture f;
  const uint32_t rel = 604;
  run_ok(f, cat({ev::transaction({ev::relation(rel, "public", "retyped",
                                               {key("id", ev::kInt4), col("a", ev::kVarchar, ev::chars(10))}),
                                  ev::insert(rel, {ev::i4(1), ev::str("ten chars!")})}),
                 ev::transaction({ev::relation(rel, "public", "retyped", {key("id", ev::kInt8), col("a", ev::kText)}),
                                  ev::insert(rel, {ev::i8(5000000000LL), ev::str("longer than ten characters")})},
                                 2)}));
  CHECK(columns_of(f, "retyped") == "id bigint, a text");
  CHECK(f.sql("select id, a from retyped order by id") == "1|ten chars!\n5000000000|longer than ten characters\n");
}

TEST_CASE("schema change: a renamed table") {
  SinkFixture f;
  evolve(f, ev::relation(kEvo, "public", "evo renamed", {key("id", ev::kInt4), col("a", ev::kText)}),
         {ev::insert(kEvo, {ev::i4(3), ev::str("three")}), ev::remove(kEvo, Tuple{ev::i4(2), ev::null()})});
  CHECK(f.sql("select to_regclass('public.evo') is null") == "t\n");
  CHECK(f.sql(R"(select id, a from "evo renamed" order by id)") == "1|one\n3|three\n9|nine\n");
}

TEST_CASE("schema change: a table moved to another schema") {
  SinkFixture f;
  evolve(f, ev::relation(kEvo, "archive", "evo", {key("id", ev::kInt4), col("a", ev::kText)}),
         {ev::insert(kEvo, {ev::i4(3), ev::str("three")})});
  CHECK(f.sql("select to_regclass('public.evo') is null") == "t\n");
  CHECK(f.sql("select id, a from archive.evo order by id") == "1|one\n2|two\n3|three\n9|nine\n");
}

TEST_CASE("schema change: a new key moves the primary key") {
  SinkFixture f;
  evolve(f, ev::relation(kEvo, "public", "evo", {col("id", ev::kInt4), key("a", ev::kText)}),
         {ev::insert(kEvo, {ev::i4(3), ev::str("three")}),
          ev::update(kEvo, {ev::i4(20), ev::str("two")}),  // found by a now
          ev::remove(kEvo, Tuple{ev::null(), ev::str("one")})});
  CHECK(primary_key_of(f, "evo") == "a");
  CHECK(f.sql("select count(*) from pg_constraint where conrelid = 'evo'::regclass and contype = 'p'") == "1\n");
  CHECK(f.sql("select id, a from evo order by a") == "9|nine\n3|three\n20|two\n");
}

TEST_CASE("schema change: a dropped key drops the primary key") {
  // The source dropped its primary key (identity Default, no key column):
  // it can now hold duplicates, and publishes inserts only.
  SinkFixture f;
  evolve(f, ev::relation(kEvo, "public", "evo", {col("id", ev::kInt4), col("a", ev::kText)}),
         {ev::insert(kEvo, {ev::i4(1), ev::str("one again")})});
  CHECK(primary_key_of(f, "evo") == "");
  CHECK(f.sql("select id, a from evo where id = 1 order by a") == "1|one\n1|one again\n");
}

// A table dropped and created again: DROP TABLE is not replicated, so the
// sink sees a relation with a new rel_id for a name it knows.

TEST_CASE("a table dropped and created again with other columns: the new one is created, the old kept aside") {
  SinkFixture f;
  // create table t (id int primary key, v text); insert; drop table t;
  // create table t (a int primary key, b int); insert into t values (1, 2)
  ProcessResult r = run_ok(
      f, cat({ev::transaction({rel_idv(501), ins(501, 1, "old")}),
              ev::transaction({ev::relation(502, "public", "t", {key("a", ev::kInt4), col("b", ev::kInt4)}),
                               ev::insert(502, {ev::i4(1), ev::i4(2)})}, 2)}));
  CHECK(columns_of(f, "t") == "a integer, b integer");
  CHECK(f.sql("select a, b from t") == "1|2\n");
  CHECK(columns_of(f, "t_replaced_501") == "id integer, v text");
  CHECK(f.sql("select id, v from t_replaced_501") == "1|old\n");
  INFO(r.err);
  CHECK(contains(r.err, "WARN  postgres-sink: public.t: the source's table was dropped and created again (rel_id 502 "
                        "now, 501 before): the target's table with its rows is kept as public.t_replaced_501"));
}

TEST_CASE("a table dropped and created again with the same columns: a key inserted again is no duplicate") {
  SinkFixture f;
  run_ok(f, cat({ev::transaction({rel_idv(511), ins(511, 1, "old"), ins(511, 2, "gone")}),
                 ev::transaction({rel_idv(512), ins(512, 1, "new")}, 2)}));
  CHECK(f.sql("select id, v from t order by id") == "1|new\n");
  CHECK(f.sql("select id, v from t_replaced_511 order by id") == "1|old\n2|gone\n");

  SUBCASE("a column of the same name and another type") {
    SinkFixture g;
    run_ok(g, cat({ev::transaction({rel_idv(513), ins(513, 1, "old")}),
                   ev::transaction({ev::relation(514, "public", "t", {key("id", ev::kText)}),
                                    ev::insert(514, {ev::str("x")})}, 2)}));
    CHECK(columns_of(g, "t") == "id text");
    CHECK(g.sql("select id from t") == "x\n");
  }
}

TEST_CASE("a table renamed away and a new one created under its name: each ends under its own name") {
  // alter table t rename to t_old; create table t (...); the new t changes
  // first, so the sink learns of the rename only after the new t came.
  SinkFixture f;
  run_ok(f, cat({ev::transaction({rel_idv(521), ins(521, 1, "first")}),
                 ev::transaction({rel_idv(522), ins(522, 1, "second")}, 2),
                 ev::transaction({rel_idv(521, "t_old"), ins(521, 2, "first again")}, 3)}));
  CHECK(f.sql("select id, v from t order by id") == "1|second\n");
  CHECK(f.sql("select id, v from t_old order by id") == "1|first\n2|first again\n");
  CHECK(one(f, "select to_regclass('t_replaced_521') is null") == "t");
}

TEST_CASE("create_tables: false and a table dropped and created again: stops naming the table and what to do") {
  SinkFixture f;
  f.sql("create table t (id int primary key, v text)");
  f.write_topic(cat({ev::transaction({rel_idv(531), ins(531, 1, "old")}),
                     ev::transaction({rel_idv(532), ins(532, 1, "new")}, 2)}));
  ProcessResult r = f.run_sink({"create_tables: false"});
  INFO(r.err);
  CHECK(r.exited_with(1));
  CHECK(contains(r.err, "offset 5, table public.t: the source's table was dropped and created again (rel_id 532 now, "
                        "531 before), and with create_tables: false the sink does not replace tables"));
  CHECK(contains(r.err, "DELETE FROM fluvio.relations WHERE connector = 'sink' AND kind = 'relation' AND id = 531"));
  CHECK(f.sql("select id, v from t") == "1|old\n");

  // What the message says to do: the target's t made to fit (here: emptied), the old relation forgotten.
  f.sql("delete from t; delete from fluvio.relations where connector = 'sink' and kind = 'relation' and id = 531");
  ProcessResult again = f.run_sink({"create_tables: false"});
  INFO(again.err);
  CHECK(again.exited_with(0));
  CHECK(f.sql("select id, v from t") == "1|new\n");
}

TEST_CASE("a partition published through its root: its relation event makes no table; its rows go to the root's") {
  // create publication p for all tables with (publish_via_partition_root);
  // insert into measurements (a partitioned table): pgoutput describes the
  // root, then the partition the row went to, then sends the insert under
  // the root's rel_id.
  const uint32_t root = 541, partition = 542;
  auto measurements = [](uint32_t rel_id, const std::string &name) {
    return ev::relation(rel_id, "public", name, {key("city", ev::kInt4), col("peak", ev::kInt4)});
  };
  const Lines topic = ev::transaction({measurements(root, "measurements"), measurements(partition, "measurements_1"),
                                       ev::insert(root, {ev::i4(1), ev::i4(30)})});
  std::string create_tables;
  SUBCASE("create_tables: true") { create_tables = "create_tables: true"; }
  SUBCASE("create_tables: false, the target made with the root table only") {
    create_tables = "create_tables: false";
  }
  SinkFixture f;
  if (create_tables == "create_tables: false") f.sql("create table measurements (city int primary key, peak int)");
  run_ok(f, topic, {create_tables});
  CHECK(f.sql("select city, peak from measurements") == "1|30\n");
  CHECK(one(f, "select to_regclass('measurements_1') is null") == "t");
}

// ---- 7. truncate ---------------------------------------------------------------

TEST_CASE("truncate (options 0) empties the table, in order with the changes around it; two tables in one event") {
  SinkFixture f;
  const uint32_t a = 701, b = 702;
  run_ok(f,
         cat({ev::transaction({rel_idv(a, "ta"), rel_idv(b, "tb"), ins(a, 1, "a1"), ins(a, 2, "a2"), ins(b, 1, "b1")}),
              ev::transaction({ins(a, 3, "a3"), ev::truncate(0, {a}), ins(a, 4, "a4")}, 2),
              ev::transaction({ins(b, 2, "b2"), ev::truncate(0, {a, b}), ins(b, 3, "b3")}, 3)}));
  CHECK(f.sql("select count(*) from ta") == "0\n");
  CHECK(f.sql("select id, v from tb") == "3|b3\n");
}

namespace {

// A target as pg_dump --schema-only would restore it: parent, with an
// identity column whose sequence is past 1, and child referencing it.
void create_parent_and_child(SinkFixture &f) {
  f.sql(
      "create table parent (id int generated by default as identity primary key, v text);"
      "create table child (id int primary key, parent_id int references parent);"
      "insert into parent (v) select 'p' from generate_series(1, 5);"
      "insert into child values (1, 1), (2, 5)");
}

std::string next_parent_id(SinkFixture &f) { return one(f, "select nextval(pg_get_serial_sequence('parent', 'id'))"); }

}  // namespace

TEST_CASE("truncate CASCADE (options 1) empties the target's referencing tables too") {
  SinkFixture f;
  create_parent_and_child(f);
  const uint32_t rel = 711;
  run_ok(f, ev::transaction({rel_idv(rel, "parent"), ins(rel, 100, "from source"), ev::truncate(1, {rel})}));
  CHECK(f.sql("select (select count(*) from parent), (select count(*) from child)") == "0|0\n");
  CHECK(next_parent_id(f) == "6");  // not restarted
}

TEST_CASE("truncate RESTART IDENTITY (options 2) restarts identity and serial sequences") {
  SinkFixture f;
  f.sql(
      "create table ident (id int generated by default as identity primary key, v text);"
      "create table ser (id serial primary key, v text);"
      "insert into ident (v) values ('x'), ('y'); insert into ser (v) values ('x'), ('y'), ('z')");
  const uint32_t i = 721, s = 722;
  run_ok(f, ev::transaction({rel_idv(i, "ident"), rel_idv(s, "ser"), ev::truncate(2, {i, s})}));
  CHECK(f.sql("select (select count(*) from ident), (select count(*) from ser)") == "0|0\n");
  CHECK(f.sql("select nextval(pg_get_serial_sequence('ident', 'id')), nextval(pg_get_serial_sequence('ser', 'id'))") ==
        "1|1\n");
}

TEST_CASE("truncate CASCADE and RESTART IDENTITY (options 3)") {
  SinkFixture f;
  create_parent_and_child(f);
  const uint32_t rel = 731;
  run_ok(f, ev::transaction({rel_idv(rel, "parent"), ev::truncate(3, {rel})}));
  CHECK(f.sql("select (select count(*) from parent), (select count(*) from child)") == "0|0\n");
  CHECK(next_parent_id(f) == "1");
}

// ---- 8. foreign keys and an enum in a pre-created target ---------------------

TEST_CASE("a pre-created target with foreign keys and an enum: changes apply in source order") {
  std::string create_tables;
  SUBCASE("create_tables: false") { create_tables = "create_tables: false"; }
  SUBCASE("create_tables: true") { create_tables = "create_tables: true"; }
  CAPTURE(create_tables);
  SinkFixture f;
  f.sql(
      "create type mood as enum ('sad', 'ok', 'happy');"
      "create table parent (id int primary key, name text not null);"
      "create table child (id int primary key, parent_id int not null references parent, feeling mood)");
  const uint32_t p = 801, c = 802, mood = 16500;
  auto parent = [&](int id, const std::string &name) { return ev::insert(p, {ev::i4(id), ev::str(name)}); };
  auto child = [&](int id, int parent_id, const std::string &feeling) {
    return Tuple{ev::i4(id), ev::i4(parent_id), ev::raw(feeling)};
  };
  auto child_key = [](int id) { return Tuple{ev::i4(id), ev::null(), ev::null()}; };
  run_ok(
      f,
      cat({ev::transaction({ev::type(mood, "public", "mood"),
                            ev::relation(p, "public", "parent", {key("id", ev::kInt4), col("name", ev::kText)}),
                            ev::relation(c, "public", "child",
                                         {key("id", ev::kInt4), col("parent_id", ev::kInt4),
                                          col("feeling", static_cast<int32_t>(mood))}),
                            parent(1, "one"), parent(2, "two"), ev::insert(c, child(10, 1, "happy")),
                            ev::insert(c, child(11, 1, "sad")), ev::insert(c, child(20, 2, "ok"))}),
           ev::transaction(
               {parent(3, "three"), ev::update(c, child(11, 3, "ok")), ev::update(p, {ev::i4(2), ev::str("two!")}),
                parent(4, "four"), ev::insert(c, child(40, 4, "happy")), parent(5, "five"),
                ev::insert(c, child(50, 5, "sad"))},
               2),
           ev::transaction({ev::remove(c, child_key(10)), ev::remove(c, child_key(20)),
                            ev::remove(p, Tuple{ev::i4(1), ev::null()}), ev::remove(p, Tuple{ev::i4(2), ev::null()})},
                           3)}),
      {create_tables});
  CHECK(f.sql("select id, name from parent order by id") == "3|three\n4|four\n5|five\n");
  CHECK(f.sql("select id, parent_id, feeling from child order by id") == "11|3|ok\n40|4|happy\n50|5|sad\n");
  CHECK(columns_of(f, "child") == "id integer, parent_id integer, feeling mood");
}

// ---- 9. user types -------------------------------------------------------------

TEST_CASE("a source type the target lacks becomes text, with a warning naming the column") {
  SinkFixture f;
  const uint32_t rel = 901;
  ProcessResult r = run_ok(
      f, ev::transaction(
             {ev::type(16600, "public", "colour"),
              ev::relation(rel, "public", "painted", {key("id", ev::kInt4), col("shade", 16600), col("size", 16601)}),
              ev::insert(rel, {ev::i4(1), ev::raw("red"), ev::raw("(1,2)")})}));
  CHECK(columns_of(f, "painted") == "id integer, shade text, size text");
  CHECK(f.sql("select shade, size from painted") == "red|(1,2)\n");
  INFO(r.err);
  CHECK(contains(r.err, "column shade"));
  CHECK(contains(r.err, "column size"));
}

TEST_CASE("a source type the target has (by name) is the type of a created column") {
  SinkFixture f;
  f.sql("create schema s; create type s.mood as enum ('sad', 'happy')");
  const uint32_t rel = 902;
  ProcessResult r =
      run_ok(f, ev::transaction({ev::type(16700, "s", "mood"),
                                 ev::relation(rel, "public", "felt", {key("id", ev::kInt4), col("feeling", 16700)}),
                                 ev::insert(rel, {ev::i4(1), ev::raw("happy")})}));
  CHECK(columns_of(f, "felt") == "id integer, feeling s.mood");
  CHECK(f.sql("select feeling from felt") == "happy\n");
  INFO(r.err);
  CHECK_FALSE(contains(r.err, "column feeling"));
}

TEST_CASE("a domain over a built-in type, as Fluvio's source writes its type event (empty namespace): the base type") {
  // create domain d as int; create table t (id int primary key, a d): pgoutput
  // names the domain's base type, int4, in pg_catalog, sent as "".
  SinkFixture f;
  const uint32_t rel = 903, domain = 16800;
  run_ok(f, ev::transaction({ev::type(domain, "", "int4"),
                             ev::relation(rel, "public", "with_domain", {key("id", ev::kInt4), col("a", domain)}),
                             ev::insert(rel, {ev::i4(1), ev::raw("7")})}));
  CHECK(columns_of(f, "with_domain") == "id integer, a integer");
  CHECK(f.sql("select a from with_domain") == "7\n");
}

// ---- 10. create_tables: false ---------------------------------------------------

TEST_CASE("create_tables: false applies to an existing table by column name (superset, reordered)") {
  SinkFixture f;
  f.sql("create table wide (extra text default 'dflt', b text, id int primary key, a int)");
  const uint32_t rel = 1001;
  auto row = [](int id, int a, const std::string &b) { return Tuple{ev::i4(id), ev::i4(a), ev::str(b)}; };
  run_ok(
      f,
      cat({ev::transaction(
               {ev::relation(rel, "public", "wide", {key("id", ev::kInt4), col("a", ev::kInt4), col("b", ev::kText)}),
                ev::insert(rel, row(1, 10, "x")), ev::insert(rel, row(2, 20, "y")), ev::insert(rel, row(3, 30, "z"))}),
           ev::transaction(
               {ev::update(rel, row(2, 21, "y2")), ev::remove(rel, Tuple{ev::i4(3), ev::null(), ev::null()})}, 2)}),
      {"create_tables: false"});
  CHECK(f.sql("select id, a, b, extra from wide order by id") == "1|10|x|dflt\n2|21|y2|dflt\n");
  CHECK(columns_of(f, "wide") == "extra text, b text, id integer, a integer");
}

TEST_CASE("create_tables: false and target columns narrower than the source's: an update that does not fit stops, never cut") {
  // An explicit cast to varchar(3) or char(2) cuts a longer value without a
  // word; COPY (the inserts) refuses it. Updates must refuse it too.
  SinkFixture f;
  f.sql("create table narrow (id int primary key, v varchar(3), c char(2))");
  const uint32_t rel = 1003;
  auto row = [](int id, const std::string &v, const std::string &c) { return Tuple{ev::i4(id), ev::str(v), ev::str(c)}; };
  run_ok(f,
         ev::transaction({ev::relation(rel, "public", "narrow", {key("id", ev::kInt4), col("v", ev::kText), col("c", ev::kText)}),
                          ev::insert(rel, row(1, "ab", "x")), ev::insert(rel, row(2, "cd", "y"))}),
         {"create_tables: false"});
  Lines changes;
  std::string too_long;
  SUBCASE("one row, a varchar") { changes = {ev::update(rel, row(1, "abcdef", "x"))}, too_long = "character varying(3)"; }
  SUBCASE("several rows, a char") {
    changes = {ev::update(rel, row(1, "ab", "xyz")), ev::update(rel, row(2, "cd", "y"))}, too_long = "character(2)";
  }
  f.write_topic(ev::transaction(changes, 2), true);
  ProcessResult r = f.run_sink({"create_tables: false"});
  INFO(r.err);
  REQUIRE(r.exited_with(1));
  CHECK(contains(r.err, "value too long for type " + too_long));
  CHECK(f.sql("select id, v, c from narrow order by id") == "1|ab|x \n2|cd|y \n");
}

TEST_CASE("create_tables: false without the table stops, naming it") {
  SinkFixture f;
  f.write_topic(ev::transaction({rel_idv(1002, "missing"), ins(1002, 1, "x")}));
  ProcessResult r = f.run_sink({"create_tables: false"});
  INFO(r.err);
  REQUIRE(r.exited_with(1));
  CHECK(contains(r.err, "public.missing"));
  CHECK(f.sql("select to_regclass('public.missing') is null") == "t\n");
}

// ---- 11. identity Nothing -------------------------------------------------------

TEST_CASE("identity Nothing: inserts are applied; an update or a delete stops the sink") {
  SinkFixture f;
  const uint32_t rel = 1101;
  // offsets 0-4
  run_ok(f,
         ev::transaction({ev::relation(rel, "public", "nokey", {col("id", ev::kInt4), col("v", ev::kText)}, "Nothing"),
                          ins(rel, 1, "a"), ins(rel, 2, "b")}));
  CHECK(f.sql("select id, v from nokey order by id") == "1|a\n2|b\n");
  CHECK(primary_key_of(f, "nokey") == "");

  std::string change;
  SUBCASE("an update") { change = upd(rel, 1, "changed"); }
  SUBCASE("a delete") { change = ev::remove(rel, Tuple{ev::i4(1), ev::str("a")}); }
  f.write_topic(ev::transaction({ins(rel, 3, "c"), change}, 2), true);  // offsets 5-8, the change at 7
  ProcessResult r = f.run_sink();
  INFO(r.err);
  REQUIRE(r.exited_with(1));
  CHECK(contains(r.err, "offset 7, table public.nokey"));
  CHECK(f.sql("select id, v from nokey order by id") == "1|a\n2|b\n");
}

// ---- 12. missing rows -------------------------------------------------------------

TEST_CASE("an update or delete whose row is missing is logged, and the rest is applied") {
  SinkFixture f;
  const uint32_t rel = 1201;
  // offsets: 0 begin, 1 relation, 2-3 inserts, 4 commit, 5 begin, 6-10 changes, 11 commit
  ProcessResult r =
      run_ok(f, cat({ev::transaction({rel_idv(rel), ins(rel, 1, "a"), ins(rel, 2, "b")}),
                     ev::transaction(
                         {upd(rel, 7, "nobody"), upd(rel, 1, "a2"), del(rel, 8), del(rel, 2), ins(rel, 3, "c")}, 2)}));
  CHECK(f.sql("select id, v from t order by id") == "1|a2\n3|c\n");
  CHECK(f.sql("select current_offset from fluvio.offset") == "11\n");
  INFO(r.err);
  CHECK(contains(r.err, "offset 6, table public.t: the update found no row"));
  CHECK(contains(r.err, "offset 8, table public.t: the delete found no row"));
  CHECK_FALSE(contains(r.err, "offset 7, table"));
  CHECK_FALSE(contains(r.err, "offset 9, table"));
}

// ---- 13. atomic source transactions ---------------------------------------------

TEST_CASE("a source transaction is applied whole or not at all, even one record per batch") {
  SinkFixture f;
  const uint32_t rel = 1301;
  // offsets: 0 begin, 1 relation, 2 insert, 3 commit; 4 begin, 5-7 inserts, (8 commit)
  Lines topic = cat({ev::transaction({rel_idv(rel), ins(rel, 1, "a")}),
                     {ev::begin(2), ins(rel, 2, "b"), ins(rel, 3, "c"), ins(rel, 4, "d")}});
  run_ok(f, topic, {}, {"--batch-records", "1"});
  CHECK(f.sql("select id from t order by id") == "1\n");
  CHECK(f.sql("select current_offset from fluvio.offset where connector = 'sink'") == "3\n");

  topic.push_back(ev::commit());
  run_ok(f, topic, {}, {"--batch-records", "1"});
  CHECK(f.sql("select id from t order by id") == "1\n2\n3\n4\n");
  CHECK(f.sql("select current_offset from fluvio.offset where connector = 'sink'") == "8\n");
}

// ---- 14. origin --------------------------------------------------------------------

TEST_CASE("origin messages are accepted and ignored") {
  SinkFixture f;
  const uint32_t rel = 1401;
  run_ok(f, cat({{ev::begin(1), ev::origin("upstream node"), rel_idv(rel), ins(rel, 1, "a"), ev::commit()},
                 ev::transaction({ev::origin("another"), upd(rel, 1, "b")}, 2)}));
  CHECK(f.sql("select id, v from t") == "1|b\n");
}
