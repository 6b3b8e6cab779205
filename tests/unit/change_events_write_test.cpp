// Writing change events (plugins/common/change_events): every message type
// and value kind against exact JSON lines of the format
// (docs/change-events.md), and the values that do not read as their type.
#include <change_events/change_events.hpp>

#include <doctest/doctest.h>

#include <functional>
#include <stdexcept>

using namespace cn::events;

namespace {

const Envelope kEnvelope{31216048, 31216056, 848579648134415};
const std::string kHead =
    R"({"wal_start":31216048,"wal_end":31216056,"timestamp":848579648134415,"message":)";

Column column(const char *name, uint32_t type_id, int32_t type_modifier = -1, int8_t flags = 0) {
  return Column{flags, name, type_id, type_modifier};
}

// A table with one column of the given type, as the values' tests need.
Relation table_of(uint32_t type_id, const char *column_name = "v") {
  return Relation{42, "public", "t", ReplicaIdentity::default_, {column(column_name, type_id)}};
}

ValueView text(std::string_view t) { return ValueView{ValueKind::text, t}; }
ValueView null() { return ValueView{ValueKind::null, {}}; }
ValueView unchanged() { return ValueView{ValueKind::unchanged_toast, {}}; }

// The tuple an insert of one value writes, e.g. [{"Int4":5}].
std::string tuple_of(uint32_t type_id, ValueView value) {
  std::string out;
  append_insert(out, kEnvelope, table_of(type_id), {value});
  const std::string prefix = kHead + R"({"type":"insert","rel_id":42,"tuple":)";
  REQUIRE(out.compare(0, prefix.size(), prefix) == 0);
  REQUIRE(out.size() >= prefix.size() + 2);
  return out.substr(prefix.size(), out.size() - prefix.size() - 2);
}

std::string tuple_of(uint32_t type_id, std::string_view value) { return tuple_of(type_id, text(value)); }

// What a call throws as EventError ("" if nothing).
std::string error_of(const std::function<void()> &call) {
  try {
    call();
  } catch (const EventError &e) {
    return e.what();
  }
  return "";
}

std::string value_error(uint32_t type_id, std::string_view value) {
  return error_of([&] { tuple_of(type_id, value); });
}

}  // namespace

TEST_CASE("begin and commit as in the sample") {
  std::string out;
  append_begin(out, Envelope{31216048, 31216048, 848579648134316}, Begin{31216576, 848579648073996, 746});
  CHECK(out ==
        R"({"wal_start":31216048,"wal_end":31216048,"timestamp":848579648134316,"message":{"type":"begin","final_lsn":31216576,"timestamp":848579648073996,"xid":746}})");
  out.clear();
  append_commit(out, Envelope{31216624, 31216624, 848579648135186}, Commit{0, 31216576, 31216624, 848579648073996});
  CHECK(out ==
        R"({"wal_start":31216624,"wal_end":31216624,"timestamp":848579648135186,"message":{"type":"commit","flags":0,"commit_lsn":31216576,"end_lsn":31216624,"timestamp":848579648073996}})");
}

TEST_CASE("the envelope's extremes: u64 LSNs, negative timestamps") {
  std::string out;
  append_begin(out, Envelope{UINT64_MAX, 0, INT64_MIN}, Begin{UINT64_MAX, -1, UINT32_MAX});
  CHECK(out ==
        R"({"wal_start":18446744073709551615,"wal_end":0,"timestamp":-9223372036854775808,"message":{"type":"begin","final_lsn":18446744073709551615,"timestamp":-1,"xid":4294967295}})");
}

TEST_CASE("events append: what out holds already stays") {
  std::string out = "previous\n";
  append_truncate(out, kEnvelope, Truncate{0, {1}});
  CHECK(out == "previous\n" + kHead + R"({"type":"truncate","options":0,"rel_ids":[1]}})");
}

TEST_CASE("origin and type") {
  std::string out;
  append_origin(out, kEnvelope, Origin{123456, "pg_16384"});
  CHECK(out == kHead + R"({"type":"origin","commit_lsn":123456,"name":"pg_16384"}})");
  out.clear();
  append_type(out, kEnvelope, Type{16390, "public", "mood"});
  CHECK(out == kHead + R"({"type":"type","id":16390,"namespace":"public","name":"mood"}})");
}

// The sample's dog table (../shared/events/dogs.jsonl), as its first relation event describes it.
Relation dog_relation() {
  return Relation{16399,
                  "public",
                  "dog",
                  ReplicaIdentity::default_,
                  {column("name", 1043, 24, 1), column("species", 1043, 24), column("state", 1043, 24),
                   column("sex", 1042, 5)}};
}

TEST_CASE("relation: the dog table of the sample") {
  const Relation dog = dog_relation();
  std::string out;
  append_relation(out, Envelope{0, 0, 848579648134385}, dog);
  CHECK(out ==
        R"({"wal_start":0,"wal_end":0,"timestamp":848579648134385,"message":{"type":"relation","rel_id":16399,"namespace":"public","name":"dog","replica_identity":"Default","columns":[{"flags":1,"name":"name","type_id":1043,"type_modifier":24},{"flags":0,"name":"species","type_id":1043,"type_modifier":24},{"flags":0,"name":"state","type_id":1043,"type_modifier":24},{"flags":0,"name":"sex","type_id":1042,"type_modifier":5}]}})");
}

TEST_CASE("relation: every replica identity, no columns, names escaped, type_id as i32") {
  const std::pair<char, const char *> identities[] = {
      {'d', "Default"}, {'n', "Nothing"}, {'f', "Full"}, {'i', "Index"}};
  for (const auto &[letter, name] : identities) {
    std::string out;
    append_relation(out, kEnvelope, Relation{7, "s", "t", replica_identity_from_letter(letter), {}});
    CHECK(out == kHead + R"({"type":"relation","rel_id":7,"namespace":"s","name":"t","replica_identity":")" + name +
                     R"(","columns":[]}})");
  }
  std::string out;
  append_relation(out, kEnvelope,
                  Relation{4294967295u, "my \"schema\"", "t\\1", ReplicaIdentity::full, {column("é", 3000000000u, 2147483647, -1)}});
  CHECK(out == kHead +
                   R"({"type":"relation","rel_id":4294967295,"namespace":"my \"schema\"","name":"t\\1","replica_identity":"Full","columns":[{"flags":-1,"name":"é","type_id":-1294967296,"type_modifier":2147483647}]}})");
}

TEST_CASE("replica identity: an unknown letter is refused") {
  CHECK(error_of([&] { replica_identity_from_letter('z'); }) == "replica identity 'z' is none of d, n, f, i");
}

TEST_CASE("insert: the sample's first dog") {
  const Relation dog = dog_relation();
  std::string out;
  append_insert(out, Envelope{31216048, 31216048, 848579648134415}, dog,
                {text("Lucy"), text("chihuahua"), text("TX"), text("f")});
  CHECK(out ==
        R"({"wal_start":31216048,"wal_end":31216048,"timestamp":848579648134415,"message":{"type":"insert","rel_id":16399,"tuple":[{"String":"Lucy"},{"String":"chihuahua"},{"String":"TX"},{"String":"f"}]}})");
}

TEST_CASE("update and delete: old, key and new tuples, null when absent") {
  const Relation r{9, "public", "t", ReplicaIdentity::default_, {column("id", 23, -1, 1), column("b", 25)}};
  const TupleView key{text("1"), null()};
  const TupleView old_row{text("1"), text("x")};
  const TupleView new_row{text("2"), unchanged()};
  std::string out;
  append_update(out, kEnvelope, r, nullptr, &key, new_row);
  CHECK(out == kHead +
                   R"({"type":"update","rel_id":9,"old_tuple":null,"key_tuple":[{"Int4":1},"Null"],"new_tuple":[{"Int4":2},"UnchangedToast"]}})");
  out.clear();
  append_update(out, kEnvelope, r, &old_row, nullptr, new_row);
  CHECK(out == kHead +
                   R"({"type":"update","rel_id":9,"old_tuple":[{"Int4":1},{"String":"x"}],"key_tuple":null,"new_tuple":[{"Int4":2},"UnchangedToast"]}})");
  out.clear();
  append_update(out, kEnvelope, r, nullptr, nullptr, new_row);
  CHECK(out == kHead +
                   R"({"type":"update","rel_id":9,"old_tuple":null,"key_tuple":null,"new_tuple":[{"Int4":2},"UnchangedToast"]}})");
  out.clear();
  append_delete(out, kEnvelope, r, nullptr, &key);
  CHECK(out == kHead + R"({"type":"delete","rel_id":9,"old_tuple":null,"key_tuple":[{"Int4":1},"Null"]}})");
  out.clear();
  append_delete(out, kEnvelope, r, &old_row, nullptr);
  CHECK(out == kHead + R"({"type":"delete","rel_id":9,"old_tuple":[{"Int4":1},{"String":"x"}],"key_tuple":null}})");
}

TEST_CASE("truncate: options and relation ids") {
  const std::pair<int8_t, std::vector<uint32_t>> cases[] = {
      {0, {16399}}, {1, {1, 2}}, {2, {}}, {3, {16914, 16917, 16908, 4294967295u}}};
  const char *expected[] = {
      R"({"type":"truncate","options":0,"rel_ids":[16399]}})",
      R"({"type":"truncate","options":1,"rel_ids":[1,2]}})",
      R"({"type":"truncate","options":2,"rel_ids":[]}})",
      R"({"type":"truncate","options":3,"rel_ids":[16914,16917,16908,4294967295]}})",
  };
  for (std::size_t i = 0; i < 4; ++i) {
    std::string out;
    append_truncate(out, kEnvelope, Truncate{cases[i].first, cases[i].second});
    CHECK(out == kHead + expected[i]);
  }
}

TEST_CASE("values: Null and UnchangedToast whatever the type") {
  for (uint32_t type_id : {16u, 18u, 23u, 701u, 25u, 1700u}) {
    CHECK(tuple_of(type_id, null()) == R"(["Null"])");
    CHECK(tuple_of(type_id, unchanged()) == R"(["UnchangedToast"])");
  }
}

TEST_CASE("values: Bool") {
  CHECK(tuple_of(16, "t") == R"([{"Bool":true}])");
  CHECK(tuple_of(16, "f") == R"([{"Bool":false}])");
  CHECK(value_error(16, "true") == R"(table public.t, column "v" (type 16): "true" is not a bool ('t' or 'f'))");
  CHECK(value_error(16, "") == R"(table public.t, column "v" (type 16): "" is not a bool ('t' or 'f'))");
  CHECK(value_error(16, "T") != "");
}

TEST_CASE("values: integers and Oid copied as they are, after a check") {
  CHECK(tuple_of(21, "-32768") == R"([{"Int2":-32768}])");
  CHECK(tuple_of(21, "32767") == R"([{"Int2":32767}])");
  CHECK(tuple_of(23, "0") == R"([{"Int4":0}])");
  CHECK(tuple_of(23, "-2147483648") == R"([{"Int4":-2147483648}])");
  CHECK(tuple_of(20, "9223372036854775807") == R"([{"Int8":9223372036854775807}])");
  CHECK(tuple_of(20, "-9223372036854775808") == R"([{"Int8":-9223372036854775808}])");
  CHECK(tuple_of(26, "4294967295") == R"([{"Oid":4294967295}])");

  CHECK(value_error(23, "12a") == R"(table public.t, column "v" (type 23): "12a" is not an int4)");
  for (const char *bad : {"", "-", "+1", " 1", "1 ", "007", "-01", "1.0", "1e3", "2147483648"}) {
    CAPTURE(bad);
    CHECK(value_error(23, bad) != "");
  }
  CHECK(value_error(21, "32768") == R"(table public.t, column "v" (type 21): "32768" is not an int2)");
  CHECK(value_error(20, "9223372036854775808") != "");
  CHECK(value_error(26, "-1") == R"(table public.t, column "v" (type 26): "-1" is not an oid)");
  CHECK(value_error(26, "4294967296") != "");
}

TEST_CASE("values: Float4 and Float8, non-finite ones as null") {
  for (uint32_t type_id : {700u, 701u}) {
    const std::string kind = type_id == 700 ? "Float4" : "Float8";
    CAPTURE(kind);
    CHECK(tuple_of(type_id, "0.5") == R"([{")" + kind + R"(":0.5}])");
    CHECK(tuple_of(type_id, "-0") == R"([{")" + kind + R"(":-0.0}])");  // a float, with its sign, to any reader
    CHECK(tuple_of(type_id, "1e+30") == R"([{")" + kind + R"(":1e+30}])");  // 1e+100: float8 only (below)
    CHECK(tuple_of(type_id, "1.5e-07") == R"([{")" + kind + R"(":1.5e-07}])");
    CHECK(tuple_of(type_id, "123456789") == R"([{")" + kind + R"(":123456789}])");
    CHECK(tuple_of(type_id, "NaN") == R"([{")" + kind + R"(":null}])");
    CHECK(tuple_of(type_id, "Infinity") == R"([{")" + kind + R"(":null}])");
    CHECK(tuple_of(type_id, "-Infinity") == R"([{")" + kind + R"(":null}])");
    for (const char *bad : {"", "-", "1.", ".5", "01", "1e", "1e+", "inf", "nan", "0x10", "1,5", "+1", "--1"}) {
      CAPTURE(bad);
      CHECK(value_error(type_id, bad) != "");
    }
  }
  CHECK(value_error(701, "abc") ==
        R"(table public.t, column "v" (type 701): "abc" is not a float (a number, NaN, Infinity or -Infinity))");
}

TEST_CASE("values: a float out of its type's range is refused, as the reader would refuse the event") {
  // What the source writes, the sink must read (fuzz/pgoutput_fuzz's property).
  CHECK(value_error(701, "1e400") == R"(table public.t, column "v" (type 701): "1e400" is not within float8's range)");
  CHECK(value_error(701, "-1.8e308") != "");
  CHECK(value_error(701, "1" + std::string(309, '0')) != "");  // RapidJSON refuses an integer part this long
  CHECK(value_error(701, "0e+400") != "");  // ... and an exponent this large, even of 0 (found by pgoutput_fuzz)
  CHECK(value_error(700, "1e39") == R"(table public.t, column "v" (type 700): "1e39" is not within float4's range)");
  CHECK(value_error(700, "-340282357000000000000000000000000000000") != "");
  // Up to the limits, and what underflows to zero, is written as it is.
  CHECK(tuple_of(701, "1.7976931348623157e+308") == R"([{"Float8":1.7976931348623157e+308}])");
  CHECK(tuple_of(701, "1e+308") == R"([{"Float8":1e+308}])");
  CHECK(tuple_of(701, "1e+100") == R"([{"Float8":1e+100}])");
  CHECK(tuple_of(700, "3.4028235e+38") == R"([{"Float4":3.4028235e+38}])");
  CHECK(tuple_of(700, "340282350000000000000000000000000000000") ==
        R"([{"Float4":340282350000000000000000000000000000000}])");
  CHECK(tuple_of(701, "1e-400") == R"([{"Float8":1e-400}])");
  CHECK(tuple_of(700, "1e+38") == R"([{"Float4":1e+38}])");
}

TEST_CASE("values: the \"char\" type as a signed byte") {
  CHECK(tuple_of(18, "") == R"([{"Char":0}])");
  CHECK(tuple_of(18, "a") == R"([{"Char":97}])");
  CHECK(tuple_of(18, "\\") == R"([{"Char":92}])");
  CHECK(tuple_of(18, "\x7f") == R"([{"Char":127}])");
  // PostgreSQL 15 writes a byte >= 128 as \ooo; older versions send the byte.
  CHECK(tuple_of(18, "\\201") == R"([{"Char":-127}])");
  CHECK(tuple_of(18, "\\200") == R"([{"Char":-128}])");
  CHECK(tuple_of(18, "\\377") == R"([{"Char":-1}])");
  CHECK(tuple_of(18, "\\141") == R"([{"Char":97}])");
  CHECK(tuple_of(18, "\x81") == R"([{"Char":-127}])");
  CHECK(value_error(18, "ab") == R"(table public.t, column "v" (type 18): "ab" is not a "char" (one byte or \ooo))");
  for (const char *bad : {"\\400", "\\18x", "\\12", "\\1234", "a201"}) {
    CAPTURE(bad);
    CHECK(value_error(18, bad) != "");
  }
}

TEST_CASE("values: String for varchar, text, bpchar, name, unknown") {
  for (uint32_t type_id : {1043u, 25u, 1042u, 19u, 705u}) {
    CAPTURE(type_id);
    CHECK(tuple_of(type_id, "O'Brien") == R"([{"String":"O'Brien"}])");
  }
  CHECK(tuple_of(25, "") == R"([{"String":""}])");
}

TEST_CASE("values: String escapes quotes, backslashes and control characters; UTF-8 passes through") {
  CHECK(tuple_of(25, "say \"hi\" \\ bye") == R"([{"String":"say \"hi\" \\ bye"}])");
  CHECK(tuple_of(25, "a\nb\rc\td\be\ff") == R"([{"String":"a\nb\rc\td\be\ff"}])");
  CHECK(tuple_of(25, std::string_view("\x01\x1f\x00/\x7f", 5)) == "[{\"String\":\"\\u0001\\u001f\\u0000/\x7f\"}]");
  CHECK(tuple_of(25, "é ü 中文 😀") == R"([{"String":"é ü 中文 😀"}])");
  // The edges of the encodable range: U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF.
  const std::string edges =
      "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf";
  CHECK(tuple_of(25, edges) == "[{\"String\":\"" + edges + "\"}]");
}

TEST_CASE("values: a String that is not UTF-8 is refused") {
  CHECK(value_error(1043, "ab\xff") == R"(table public.t, column "v" (type 1043): "ab\xff" is not valid UTF-8)");
  const char *bad[] = {
      "\x80",              // a continuation byte first
      "\xc0\x80",          // overlong NUL
      "\xc1\xbf",          // overlong
      "\xe0\x80\x80",      // overlong
      "\xed\xa0\x80",      // a surrogate
      "\xf0\x80\x80\x80",  // overlong
      "\xf4\x90\x80\x80",  // above U+10FFFF
      "\xf5\x80\x80\x80",  // no such lead byte
      "\xe2\x82",          // cut short
      "\xc3",              // cut short at the end
      "\xc3(",             // not a continuation
  };
  for (const char *b : bad) {
    CAPTURE(b);
    CHECK(value_error(25, b) != "");
  }
}

TEST_CASE("values: RawText for every other type") {
  CHECK(tuple_of(1700, "31.40") == R"([{"RawText":[51,49,46,52,48]}])");
  CHECK(tuple_of(1082, "2020-01-01") == R"([{"RawText":[50,48,50,48,45,48,49,45,48,49]}])");
  CHECK(tuple_of(3802, "") == R"([{"RawText":[]}])");
  CHECK(tuple_of(17, std::string_view("\x00\x09\x63\xff", 4)) == R"([{"RawText":[0,9,99,255]}])");
  CHECK(tuple_of(1043 + 1000000, "é") == R"([{"RawText":[195,169]}])");
}

TEST_CASE("a bad value names the table and the column, and shows at most 40 characters") {
  Relation r{5, "sales", "orders", ReplicaIdentity::default_, {column("id", 23), column("paid", 16)}};
  std::string out = "kept";
  const std::string long_value(100, 'x');
  const std::string error = error_of([&] { append_insert(out, kEnvelope, r, {text("1"), text(long_value)}); });
  CHECK(error == R"(table sales.orders, column "paid" (type 16): ")" + std::string(40, 'x') +
                     R"("... is not a bool ('t' or 'f'))");
  CHECK(out == "kept");  // no half event
}

TEST_CASE("a row whose width is not the relation's is refused") {
  Relation r{5, "public", "dog", ReplicaIdentity::default_, {column("name", 1043), column("species", 1043)}};
  std::string out;
  CHECK(error_of([&] { append_insert(out, kEnvelope, r, {text("Lucy")}); }) ==
        "table public.dog: a row of 1 values for 2 columns");
  const TupleView good{text("a"), text("b")};
  const TupleView wide{text("a"), text("b"), null()};
  CHECK(error_of([&] { append_update(out, kEnvelope, r, nullptr, &wide, good); }) ==
        "table public.dog: a row of 3 values for 2 columns");
  CHECK(error_of([&] { append_update(out, kEnvelope, r, nullptr, nullptr, wide); }) != "");
  CHECK(error_of([&] { append_delete(out, kEnvelope, r, &wide, nullptr); }) != "");
  CHECK(out.empty());
}

TEST_CASE("names that are not UTF-8 are refused") {
  std::string out;
  CHECK(error_of([&] { append_relation(out, kEnvelope, Relation{1, "public", "t\xff", ReplicaIdentity::default_, {}}); }) ==
        "the relation name is not valid UTF-8");
  CHECK(error_of([&] { append_origin(out, kEnvelope, Origin{1, "\xc0"}); }) == "the origin name is not valid UTF-8");
  CHECK(out.empty());
}
