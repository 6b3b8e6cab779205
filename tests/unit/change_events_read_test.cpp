// Reading change events (plugins/common/change_events): every message type
// from the real sample topic, every value kind to the text PostgreSQL's
// input functions accept, the errors, and a message alone (message_json).
#include <change_events/change_events.hpp>
#include <change_events/read_canonical.hpp>
#include <change_events/type_oids.hpp>
#include <change_events/value_text.hpp>

#include "paths.hpp"

#include <doctest/doctest.h>

#include <cctype>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <thread>

using namespace cn::events;

// Values and tuples in failure messages: NULL, TOAST, or the text quoted.
namespace doctest {
template <>
struct StringMaker<Value> {
  static String convert(const Value &v) {
    if (v.kind == Value::Kind::null) return "Null";
    if (v.kind == Value::Kind::unchanged_toast) return "UnchangedToast";
    return ("'" + v.text + "'").c_str();
  }
};
template <>
struct StringMaker<Tuple> {
  static String convert(const Tuple &t) {
    String s = "[";
    for (std::size_t i = 0; i < t.size(); ++i) s += (i ? ", " : "") + StringMaker<Value>::convert(t[i]);
    return s + "]";
  }
};
}  // namespace doctest

namespace {

std::vector<std::string> read_lines(const std::filesystem::path &file) {
  std::ifstream in(file, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot open " << file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

const std::vector<std::string> &dogs() {
  static const std::vector<std::string> lines = read_lines(cn::test::sample_topics_dir() / "dogs.jsonl");
  return lines;
}

template <typename T>
T parse_as(std::string_view json) {
  Message m = parse_event(json);
  REQUIRE_MESSAGE(std::holds_alternative<T>(m), "message of type index " << m.index() << ": " << json);
  return std::get<T>(std::move(m));
}

template <typename T>
T dog(std::size_t line) {
  REQUIRE(line < dogs().size());
  return parse_as<T>(dogs()[line]);
}

Value S(const char *text) { return Value::of(text); }
const Value N = Value::null();

// The one value of an insert holding `value_json`.
Value value_of(const std::string &value_json) {
  Insert insert = parse_as<Insert>(R"({"message":{"type":"insert","rel_id":1,"tuple":[)" + value_json + "]}}");
  REQUIRE(insert.tuple.size() == 1);
  return insert.tuple[0];
}

std::string text_of(const std::string &value_json) {
  Value v = value_of(value_json);
  REQUIRE(v.kind == Value::Kind::text);
  return v.text;
}

// What parse_event() says about `json`, which must be an error.
std::string error_of(std::string_view json) {
  try {
    parse_event(json);
  } catch (const EventError &e) {
    return e.what();
  }
  FAIL("no error for " << json);
  return {};
}

// The fast path takes `record` and reads it exactly as the general reader does.
void check_paths_agree(const std::string &record) {
  Envelope fast_envelope, general_envelope;
  const std::optional<Message> fast = detail::read_canonical(record, fast_envelope);
  REQUIRE(fast);
  const Message general = detail::read_general(record, general_envelope);
  CHECK((fast_envelope.wal_start == general_envelope.wal_start && fast_envelope.wal_end == general_envelope.wal_end &&
         fast_envelope.timestamp == general_envelope.timestamp));
  REQUIRE(fast->index() == general.index());
  std::visit(
      [&](const auto &f) {
        using T = std::decay_t<decltype(f)>;
        const T &g = std::get<T>(general);
        if constexpr (std::is_same_v<T, Insert>) CHECK((f.rel_id == g.rel_id && f.tuple == g.tuple));
        if constexpr (std::is_same_v<T, Update>)
          CHECK((f.rel_id == g.rel_id && f.old_tuple == g.old_tuple && f.key_tuple == g.key_tuple &&
                 f.new_tuple == g.new_tuple));
        if constexpr (std::is_same_v<T, Delete>)
          CHECK((f.rel_id == g.rel_id && f.old_tuple == g.old_tuple && f.key_tuple == g.key_tuple));
        if constexpr (std::is_same_v<T, Begin>)
          CHECK((f.final_lsn == g.final_lsn && f.timestamp == g.timestamp && f.xid == g.xid));
        if constexpr (std::is_same_v<T, Commit>)
          CHECK((f.flags == g.flags && f.commit_lsn == g.commit_lsn && f.end_lsn == g.end_lsn &&
                 f.timestamp == g.timestamp));
      },
      *fast);
}

std::string value_error(const std::string &value_json) {
  return error_of(R"({"message":{"type":"insert","rel_id":1,"tuple":[)" + value_json + "]}}");
}

// The "message" object of a record as it stands in the line.
std::string message_text(const std::string &line) {
  const std::string key = "\"message\":";
  std::size_t at = line.find(key);
  REQUIRE(at != std::string::npos);
  REQUIRE(line.back() == '}');
  return line.substr(at + key.size(), line.size() - 1 - (at + key.size()));
}

}  // namespace

TEST_SUITE("change events: reading") {

TEST_CASE("every line of dogs.jsonl parses, with the types of its story") {
  REQUIRE(dogs().size() == 37);
  std::size_t counts[std::variant_size_v<Message>] = {};
  for (const std::string &line : dogs()) ++counts[parse_event(line).index()];
  CHECK(counts[Message(Begin{}).index()] == 10);
  CHECK(counts[Message(Commit{}).index()] == 10);
  CHECK(counts[Message(Relation{}).index()] == 5);
  CHECK(counts[Message(Insert{}).index()] == 6);
  CHECK(counts[Message(Update{}).index()] == 3);
  CHECK(counts[Message(Delete{}).index()] == 2);
  CHECK(counts[Message(Truncate{}).index()] == 1);
}

TEST_CASE("begin and commit") {
  Begin b = dog<Begin>(0);
  CHECK(b.final_lsn == 31216576u);
  CHECK(b.timestamp == 848579648073996);
  CHECK(b.xid == 746u);

  Commit c = dog<Commit>(5);
  CHECK(c.commit_lsn == 31216576u);
  CHECK(c.end_lsn == 31216624u);
  CHECK(c.timestamp == 848579648073996);

  // The full ranges of the integer fields.
  b = parse_as<Begin>(
      R"({"message":{"type":"begin","final_lsn":18446744073709551615,"timestamp":-9223372036854775808,"xid":4294967295}})");
  CHECK(b.final_lsn == UINT64_MAX);
  CHECK(b.timestamp == INT64_MIN);
  CHECK(b.xid == UINT32_MAX);
}

TEST_CASE("relation") {
  Relation r = dog<Relation>(1);
  CHECK(r.rel_id == 16399u);
  CHECK(r.namespace_ == "public");
  CHECK(r.name == "dog");
  CHECK(r.replica_identity == ReplicaIdentity::default_);
  REQUIRE(r.columns.size() == 4);
  CHECK(r.columns[0] == Column{1, "name", 1043, 24});
  CHECK(r.columns[1] == Column{0, "species", 1043, 24});
  CHECK(r.columns[2] == Column{0, "state", 1043, 24});
  CHECK(r.columns[3] == Column{0, "sex", 1042, 5});

  // After "add column weight_kg numeric(5,2)".
  r = dog<Relation>(19);
  REQUIRE(r.columns.size() == 5);
  CHECK(r.columns[4] == Column{0, "weight_kg", 1700, 327686});

  // After "replica identity full": every column is a key column.
  r = dog<Relation>(26);
  CHECK(r.replica_identity == ReplicaIdentity::full);
  REQUIRE(r.columns.size() == 5);
  for (const Column &c : r.columns) CHECK(c.is_key());

  // Of pgbench: a type modifier of -1.
  r = parse_as<Relation>(
      R"({"message":{"type":"relation","rel_id":16914,"namespace":"public","name":"pgbench_accounts","replica_identity":"Index","columns":[{"flags":1,"name":"aid","type_id":23,"type_modifier":-1}]}})");
  CHECK(r.replica_identity == ReplicaIdentity::index);
  CHECK(r.columns.at(0) == Column{1, "aid", 23, -1});

  // No columns, identity Nothing; a type OID above 2^31 given as a negative i32.
  r = parse_as<Relation>(
      R"({"message":{"type":"relation","rel_id":7,"namespace":"s","name":"t","replica_identity":"Nothing","columns":[]}})");
  CHECK(r.replica_identity == ReplicaIdentity::nothing);
  CHECK(r.columns.empty());
  r = parse_as<Relation>(
      R"({"message":{"type":"relation","rel_id":7,"namespace":"s","name":"t","replica_identity":"Full","columns":[{"flags":0,"name":"c","type_id":-2,"type_modifier":-1}]}})");
  CHECK(r.columns.at(0).type_id == 4294967294u);
}

TEST_CASE("an empty namespace, as pgoutput sends pg_catalog and Fluvio's source writes it, is pg_catalog") {
  const Message type = parse_event(R"({"message":{"type":"type","id":16500,"namespace":"","name":"int4"}})");
  REQUIRE(std::holds_alternative<Type>(type));
  CHECK(std::get<Type>(type).namespace_ == "pg_catalog");
  const Message relation = parse_event(
      R"({"message":{"type":"relation","rel_id":7,"namespace":"","name":"t","replica_identity":"Default","columns":[]}})");
  REQUIRE(std::holds_alternative<Relation>(relation));
  CHECK(std::get<Relation>(relation).namespace_ == "pg_catalog");
  CHECK(schema_of_namespace("public") == "public");
}

TEST_CASE("insert") {
  Insert i = dog<Insert>(2);
  CHECK(i.rel_id == 16399u);
  CHECK(i.tuple == Tuple{S("Lucy"), S("chihuahua"), S("TX"), S("f")});

  CHECK(dog<Insert>(7).tuple == Tuple{S("O'Brien"), S("beagle"), S("MA"), S("m")});
  CHECK(dog<Insert>(20).tuple == Tuple{S("Rex"), S("boxer"), S("CA"), S("m"), S("31.40")});  // numeric as RawText
  CHECK(dog<Insert>(35).tuple == Tuple{S("Bella"), S("collie"), S("WA"), S("f"), S("20.00")});

  i = parse_as<Insert>(R"({"message":{"type":"insert","rel_id":5,"tuple":[]}})");
  CHECK(i.tuple.empty());
}

TEST_CASE("update") {
  // Default identity, key unchanged: no old or key tuple.
  Update u = dog<Update>(10);
  CHECK(u.rel_id == 16399u);
  CHECK_FALSE(u.old_tuple);
  CHECK_FALSE(u.key_tuple);
  CHECK(u.new_tuple == Tuple{S("Wiggles"), S("terrier"), S("VA"), S("f")});

  // The key-changing update: the old key in key_tuple, the new state NULL.
  u = dog<Update>(13);
  CHECK_FALSE(u.old_tuple);
  REQUIRE(u.key_tuple);
  CHECK(*u.key_tuple == Tuple{S("Lucy"), N, N, N});
  CHECK(u.new_tuple == Tuple{S("Lucy Two"), S("chihuahua"), N, S("f")});
  CHECK(u.new_tuple[2].kind == Value::Kind::null);

  CHECK(dog<Update>(23).new_tuple == Tuple{S("O'Brien"), S("beagle"), S("MA"), S("m"), S("7.50")});

  // Full identity: old_tuple; absent tuples are as null ones; an unchanged TOASTed value.
  u = parse_as<Update>(
      R"({"message":{"new_tuple":[{"Int4":1},"UnchangedToast"],"old_tuple":[{"Int4":1},"UnchangedToast"],"rel_id":9,"type":"update"}})");
  REQUIRE(u.old_tuple);
  CHECK(*u.old_tuple == Tuple{S("1"), Value::unchanged()});
  CHECK_FALSE(u.key_tuple);
  CHECK(u.new_tuple == Tuple{S("1"), Value::unchanged()});
}

TEST_CASE("delete") {
  Delete d = dog<Delete>(16);
  CHECK(d.rel_id == 16399u);
  CHECK_FALSE(d.old_tuple);
  REQUIRE(d.key_tuple);
  CHECK(*d.key_tuple == Tuple{S("Piper"), N, N, N});

  // Under Full identity: the old row, not a key.
  d = dog<Delete>(27);
  CHECK_FALSE(d.key_tuple);
  REQUIRE(d.old_tuple);
  CHECK(*d.old_tuple == Tuple{S("Wiggles"), S("terrier"), S("VA"), S("f"), N});

  d = parse_as<Delete>(R"({"message":{"type":"delete","rel_id":3,"key_tuple":[{"Int8":4}]}})");
  CHECK_FALSE(d.old_tuple);
  CHECK(d.key_tuple == Tuple{S("4")});
}

TEST_CASE("truncate") {
  Truncate t = dog<Truncate>(31);
  CHECK_FALSE(t.cascade());
  CHECK_FALSE(t.restart_identity());
  CHECK(t.rel_ids == std::vector<uint32_t>{16399});

  t = parse_as<Truncate>(R"({"message":{"type":"truncate","options":1,"rel_ids":[1,4294967295]}})");
  CHECK(t.cascade());
  CHECK_FALSE(t.restart_identity());
  CHECK(t.rel_ids == std::vector<uint32_t>{1, 4294967295u});
  t = parse_as<Truncate>(R"({"message":{"type":"truncate","options":2,"rel_ids":[]}})");
  CHECK_FALSE(t.cascade());
  CHECK(t.restart_identity());
  t = parse_as<Truncate>(R"({"message":{"type":"truncate","options":3,"rel_ids":[5]}})");
  CHECK(t.cascade());
  CHECK(t.restart_identity());
}

TEST_CASE("origin and type (not in the sample topic)") {
  Origin o = parse_as<Origin>(R"({"message":{"type":"origin","commit_lsn":123,"name":"pg_16385"}})");
  CHECK(o.commit_lsn == 123u);
  CHECK(o.name == "pg_16385");

  Type t = parse_as<Type>(R"({"message":{"type":"type","id":16400,"namespace":"public","name":"mood"}})");
  CHECK(t.id == 16400u);
  CHECK(t.namespace_ == "public");
  CHECK(t.name == "mood");
}

TEST_CASE("the envelope: field order, optional and unknown fields, whitespace") {
  // The message first, the envelope's own fields absent or after it.
  Begin b = parse_as<Begin>(R"({"message":{"xid":7,"timestamp":2,"final_lsn":1,"type":"begin"},"wal_start":5})");
  CHECK(b.final_lsn == 1u);
  CHECK(b.timestamp == 2);
  CHECK(b.xid == 7u);
  b = parse_as<Begin>(" {\n \"message\" : { \"type\" : \"begin\", \"final_lsn\" : 1, \"timestamp\" : 2, \"xid\" : 3, "
                      "\"future\" : [1, {\"a\": null}] } , \"extra\": true }\n");
  CHECK(b.xid == 3u);
  // A record given by a view into a bigger buffer: only the view is read.
  std::string buffer = dogs()[0] + "garbage";
  CHECK(std::holds_alternative<Begin>(parse_event(std::string_view(buffer).substr(0, dogs()[0].size()))));
}

TEST_CASE("value kinds") {
  CHECK(value_of(R"("Null")") == Value::null());
  CHECK(value_of(R"("UnchangedToast")") == Value::unchanged());
  CHECK(value_of(R"("UnchangedToast")").kind == Value::Kind::unchanged_toast);

  SUBCASE("Bool") {
    CHECK(text_of(R"({"Bool":true})") == "t");
    CHECK(text_of(R"({"Bool":false})") == "f");
  }
  SUBCASE("Char: the byte as charin reads it") {
    Value zero = value_of(R"({"Char":0})");
    CHECK(zero.kind == Value::Kind::text);  // the empty "char", not NULL
    CHECK(zero.text.empty());
    CHECK(text_of(R"({"Char":97})") == "a");
    CHECK(text_of(R"({"Char":92})") == "\\");
    CHECK(text_of(R"({"Char":127})") == "\x7f");
    CHECK(text_of(R"({"Char":-1})") == "\\377");    // byte 255
    CHECK(text_of(R"({"Char":-128})") == "\\200");  // byte 128
    CHECK(text_of(R"({"Char":-23})") == "\\351");   // byte 233
  }
  SUBCASE("integers and Oid") {
    CHECK(text_of(R"({"Int2":-32768})") == "-32768");
    CHECK(text_of(R"({"Int2":32767})") == "32767");
    CHECK(text_of(R"({"Int4":0})") == "0");
    CHECK(text_of(R"({"Int4":-2147483648})") == "-2147483648");
    CHECK(text_of(R"({"Int4":2147483647})") == "2147483647");
    CHECK(text_of(R"({"Int8":-9223372036854775808})") == "-9223372036854775808");
    CHECK(text_of(R"({"Int8":9223372036854775807})") == "9223372036854775807");
    CHECK(text_of(R"({"Oid":0})") == "0");
    CHECK(text_of(R"({"Oid":4294967295})") == "4294967295");
  }
  SUBCASE("Float4: the shortest text of the float") {
    std::string t = text_of(R"({"Float4":0.1})");
    CHECK(t == "0.1");
    CHECK(std::stof(t) == 0.1f);
    CHECK(std::stof(text_of(R"({"Float4":3.4028235e38})")) == FLT_MAX);
    // The least denormal (std::stof would throw: strtof says ERANGE, which float4in tolerates).
    CHECK(std::strtof(text_of(R"({"Float4":1e-45})").c_str(), nullptr) == std::nextafter(0.0f, 1.0f));
    CHECK(text_of(R"({"Float4":20})") == "20");
    CHECK(text_of(R"({"Float4":-2.5})") == "-2.5");
    // The float's own text, not the double's: 0.3 as a float is 0.300000011920928955...
    CHECK(text_of(R"({"Float4":0.30000001192092896})") == "0.3");
    CHECK(text_of(R"({"Float4":null})") == "NaN");
  }
  SUBCASE("Float8: the shortest text that reads back as the same double") {
    CHECK(text_of(R"({"Float8":0.1})") == "0.1");
    CHECK(text_of(R"({"Float8":20})") == "20");
    CHECK(text_of(R"({"Float8":-0.0})") == "-0");
    CHECK(std::stod(text_of(R"({"Float8":0.3333333333333333})")) == 1.0 / 3);
    CHECK(std::stod(text_of(R"({"Float8":1.7976931348623157e308})")) == DBL_MAX);
    CHECK(std::strtod(text_of(R"({"Float8":5e-324})").c_str(), nullptr) == std::nextafter(0.0, 1.0));
    CHECK(text_of(R"({"Float8":1e21})") == "1e+21");  // float8in reads this form
    // The non-finite values come as null: NaN, as the format cannot say which.
    CHECK(text_of(R"({"Float8":null})") == "NaN");
  }
  SUBCASE("Float8: random doubles round-trip bit for bit") {
    std::mt19937_64 random(42);
    for (int n = 0; n < 2000; ++n) {
      uint64_t bits = random();
      double d;
      std::memcpy(&d, &bits, sizeof d);
      if (!std::isfinite(d)) continue;
      char json[64];
      std::snprintf(json, sizeof json, "{\"Float8\":%.17g}", d);
      std::string t = text_of(json);
      double back = std::strtod(t.c_str(), nullptr);
      CHECK_MESSAGE(std::memcmp(&back, &d, sizeof d) == 0, json << " -> " << t);
      CHECK(t.size() <= std::strlen(json) - 11);  // never longer than %.17g
    }
  }
  SUBCASE("String: as is") {
    CHECK(text_of(R"({"String":"Lucy"})") == "Lucy");
    CHECK(text_of(R"({"String":""})") == "");
    CHECK(text_of(R"({"String":"O'Brien \"the\" \\dog\\\n\ttab é \u00e9 \u20ac \ud83d\ude00"})") ==
          "O'Brien \"the\" \\dog\\\n\ttab \xc3\xa9 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    CHECK(text_of(R"({"String":"Null"})") == "Null");  // a string "Null" is not NULL
  }
  SUBCASE("RawText: the bytes") {
    CHECK(text_of(R"({"RawText":[50,48,50,48,45,48,49,45,48,49]})") == "2020-01-01");
    CHECK(text_of(R"({"RawText":[92,120,48,48,102,102]})") == "\\x00ff");  // a bytea's text form
    CHECK(text_of(R"({"RawText":[0,127,128,255]})") == std::string("\x00\x7f\x80\xff", 4));
    CHECK(text_of(R"({"RawText":[]})") == "");
    std::string all_bytes = R"({"RawText":[)", expected;
    for (int i = 0; i < 100000; ++i) {
      all_bytes += std::to_string(i % 256) + (i + 1 < 100000 ? "," : "]}");
      expected += static_cast<char>(i % 256);
    }
    CHECK(text_of(all_bytes) == expected);
    // Written otherwise than the writer writes it (spaces, a zero alone): the same bytes.
    CHECK(text_of(R"({"RawText":[ 50 ,48, 0 ]})") == std::string("20\0", 3));
    CHECK(text_of(R"({"RawText":[0]})") == std::string(1, '\0'));
    // The key's text inside a string is text.
    CHECK(text_of(R"({"String":"\"RawText\":[1,2]"})") == R"("RawText":[1,2])");
  }
}

TEST_CASE("RawText arrays decoded before parsing: errors where the record has them") {
  const std::string head = R"({"message":{"type":"insert","rel_id":1,"tuple":[{"RawText":[50,48,50,48]},)";
  // After decoded arrays, an error's byte is the record's own.
  const std::string trailing = head + R"({"RawText":[49]}]}} x)";
  CHECK(error_of(trailing).find(" at byte " + std::to_string(trailing.size() - 1)) != std::string::npos);
  const std::string too_big = head + R"({"Float8":1e400}]}})";
  CHECK(error_of(too_big) == "not valid JSON: Number too big to be stored in double. at byte " +
                                 std::to_string(too_big.find("1e400")));
  // Not JSON inside an array that looks like bytes: refused as RapidJSON refuses it.
  const std::string leading_zero = head + R"({"RawText":[050]}]}})";
  CHECK(error_of(leading_zero).find(" at byte " + std::to_string(leading_zero.find("050") + 1)) != std::string::npos);
  // A key that only ends like RawText's is not one.
  CHECK(value_error(R"({"\"RawText":[1,2]})") == "message.tuple[0]: unknown value kind '\"RawText'");
  CHECK(value_error(R"({"xRawText":[1,2]})") == "message.tuple[0]: unknown value kind 'xRawText'");
  // Several in one record, and the next record parses afresh.
  const Insert insert = parse_as<Insert>(head + R"({"RawText":[]},{"RawText":[255,0]}]}})");
  CHECK(insert.tuple == Tuple{S("2020"), S(""), Value::of(std::string("\xff\0", 2))});
  CHECK(text_of(R"({"RawText":[51]})") == "3");
}

TEST_CASE("errors name the field") {
  SUBCASE("not JSON") {
    std::string e = error_of(R"({"message":{"type":"begin")");
    CHECK(e.rfind("not valid JSON: ", 0) == 0);
    CHECK(e.find(" at byte 26") != std::string::npos);
    CHECK(error_of("").rfind("not valid JSON: ", 0) == 0);
    CHECK(error_of(std::string_view()).rfind("not valid JSON: ", 0) == 0);  // a null data pointer
    CHECK(error_of(dogs()[0] + " {}").rfind("not valid JSON: ", 0) == 0);  // two roots
    // A NUL byte is not the end of the text.
    CHECK(error_of(dogs()[0] + std::string("\0garbage", 8)) ==
          "not valid JSON: a NUL byte at byte " + std::to_string(dogs()[0].size()));
    CHECK(error_of("[1,2]") == "not a JSON object");
  }
  SUBCASE("the envelope and the type") {
    CHECK(error_of(R"({"wal_start":1})") == R"(no "message" object)");
    CHECK(error_of(R"({"message":[1]})") == R"(no "message" object)");
    CHECK(error_of(R"({"message":{"type":"foo"}})") == "message.type 'foo' is not a change event type");
    CHECK(error_of(R"({"message":{"rel_id":1}})") == "message.type: missing");
    CHECK(error_of(R"({"message":{"type":3}})") == "message.type: expected a string");
  }
  SUBCASE("fields") {
    CHECK(error_of(R"({"message":{"type":"insert","rel_id":-1,"tuple":[]}})") ==
          "message.rel_id: expected an unsigned 32-bit integer");
    CHECK(error_of(R"({"message":{"type":"insert","rel_id":"5","tuple":[]}})") ==
          "message.rel_id: expected an unsigned 32-bit integer");
    CHECK(error_of(R"({"message":{"type":"insert","rel_id":4294967296,"tuple":[]}})") ==
          "message.rel_id: expected an unsigned 32-bit integer");
    CHECK(error_of(R"({"message":{"type":"insert","rel_id":1.5,"tuple":[]}})") ==
          "message.rel_id: expected an unsigned 32-bit integer");
    CHECK(error_of(R"({"message":{"type":"insert","rel_id":1}})") == "message.tuple: missing");
    CHECK(error_of(R"({"message":{"type":"insert","rel_id":1,"tuple":null}})") ==
          "message.tuple: expected an array of values");
    CHECK(error_of(R"({"message":{"type":"update","rel_id":1,"old_tuple":null,"key_tuple":null}})") ==
          "message.new_tuple: missing");
    CHECK(error_of(R"({"message":{"type":"update","rel_id":1,"key_tuple":{},"new_tuple":[]}})") ==
          "message.key_tuple: expected an array of values");
    CHECK(error_of(R"({"message":{"type":"begin","final_lsn":-1,"timestamp":0,"xid":1}})") ==
          "message.final_lsn: expected an unsigned 64-bit integer");
    CHECK(error_of(R"({"message":{"type":"begin","final_lsn":1,"timestamp":9223372036854775808,"xid":1}})") ==
          "message.timestamp: expected a signed 64-bit integer");
    CHECK(error_of(R"({"message":{"type":"origin","commit_lsn":1,"name":null}})") == "message.name: expected a string");
    CHECK(error_of(R"({"message":{"type":"truncate","options":0,"rel_ids":[1,"x"]}})") ==
          "message.rel_ids[1]: expected an unsigned 32-bit integer");
    CHECK(error_of(R"({"message":{"type":"truncate","options":300,"rel_ids":[]}})") ==
          "message.options: expected a signed 8-bit integer");
  }
  SUBCASE("relation") {
    const std::string head = R"({"message":{"type":"relation","rel_id":1,"namespace":"s","name":"t",)";
    CHECK(error_of(head + R"("replica_identity":"Sometimes","columns":[]}})") ==
          R"(message.replica_identity: expected one of "Default", "Nothing", "Full", "Index")");
    CHECK(error_of(head + R"("replica_identity":"Full","columns":[{"flags":1,"name":"a","type_id":23,"type_modifier":-1},)"
                          R"({"flags":0,"name":"b","type_id":23}]}})") == "message.columns[1].type_modifier: missing");
    CHECK(error_of(head + R"("replica_identity":"Full","columns":[{"flags":1,"name":"a","type_id":"int4","type_modifier":-1}]}})") ==
          "message.columns[0].type_id: expected a 32-bit type OID");
    CHECK(error_of(head + R"("replica_identity":"Full","columns":[7]}})") == "message.columns[0]: expected an object");
    CHECK(error_of(head + R"("replica_identity":"Full"}})") == "message.columns: missing");
  }
  SUBCASE("delete without a key or old tuple") {
    CHECK(error_of(R"({"message":{"type":"delete","rel_id":1,"old_tuple":null,"key_tuple":null}})") ==
          "a delete needs key_tuple or old_tuple");
    CHECK(error_of(R"({"message":{"type":"delete","rel_id":1}})") == "a delete needs key_tuple or old_tuple");
  }
  SUBCASE("values") {
    CHECK(value_error(R"({"Foo":1})") == "message.tuple[0]: unknown value kind 'Foo'");
    CHECK(value_error(R"("Nul")") == "message.tuple[0]: unknown value kind 'Nul'");
    CHECK(value_error(R"({"RawText":[50,300]})") == "message.tuple[0].RawText[1]: expected a byte, an integer 0..255");
    CHECK(value_error(R"({"RawText":[-1]})") == "message.tuple[0].RawText[0]: expected a byte, an integer 0..255");
    CHECK(value_error(R"({"RawText":[49.5]})") == "message.tuple[0].RawText[0]: expected a byte, an integer 0..255");
    CHECK(value_error(R"({"RawText":"2020"})") == "message.tuple[0].RawText: expected an array of bytes");
    // Bytes first, then something else: refused at the first element that is not a byte.
    for (const char *other : {"null", "true", "\"x\"", "[2]", "{}", "256", "1.0"})
      CHECK(value_error(std::string(R"({"RawText":[1,2,)") + other + "]}") ==
            "message.tuple[0].RawText[2]: expected a byte, an integer 0..255");
    CHECK(value_error(R"({"Int4":1,"Int8":1})").find("message.tuple[0]: ") == 0);
    CHECK(value_error(R"({})").find("message.tuple[0]: ") == 0);
    CHECK(value_error("null").find("message.tuple[0]: ") == 0);
    CHECK(value_error("5").find("message.tuple[0]: ") == 0);
    CHECK(value_error(R"({"Int4":"1"})") == "message.tuple[0].Int4: expected a signed 32-bit integer");
    CHECK(value_error(R"({"Int4":2147483648})") == "message.tuple[0].Int4: expected a signed 32-bit integer");
    CHECK(value_error(R"({"Int2":32768})") == "message.tuple[0].Int2: expected a signed 16-bit integer");
    CHECK(value_error(R"({"Int8":1e3})") == "message.tuple[0].Int8: expected a signed 64-bit integer");
    CHECK(value_error(R"({"Oid":-1})") == "message.tuple[0].Oid: expected an unsigned 32-bit integer");
    CHECK(value_error(R"({"Char":128})") == "message.tuple[0].Char: expected a signed 8-bit integer");
    CHECK(value_error(R"({"Bool":1})") == "message.tuple[0].Bool: expected true or false");
    CHECK(value_error(R"({"String":null})") == "message.tuple[0].String: expected a string");
    CHECK(value_error(R"({"Float8":"NaN"})") == "message.tuple[0].Float8: expected a number or null");
    CHECK(value_error(R"({"Float4":1e39})") == "message.tuple[0].Float4: out of range for a 4-byte float");
    CHECK(error_of(R"({"message":{"type":"insert","rel_id":1,"tuple":[{"Int4":1},"Null",{"Foo":1}]}})") ==
          "message.tuple[2]: unknown value kind 'Foo'");
    CHECK(error_of(R"({"message":{"type":"update","rel_id":1,"key_tuple":[{"Int4":1}],"new_tuple":[{"Int4":1},{"Bool":0}]}})") ==
          "message.new_tuple[1].Bool: expected true or false");
  }
  CHECK_THROWS_AS(parse_event("{"), EventError);
}

TEST_CASE("a record nested too deeply is an error, not a stack overflow") {
  // 200,000 '[' overflowed the stack of RapidJSON's recursive parser.
  CHECK(error_of(std::string(200000, '[')) == "not valid JSON: nested deeper than 128 levels at byte 128");
  CHECK(error_of(std::string(100000, '[') + std::string(100000, ']')) ==
        "not valid JSON: nested deeper than 128 levels at byte 128");
  std::string objects;
  for (int i = 0; i < 1000; ++i) objects += R"({"a":)";
  CHECK(error_of(objects) == "not valid JSON: nested deeper than 128 levels at byte 640");
  // Deep inside a value: the byte is where the 129th level opens.
  const std::string head = R"({"message":{"type":"insert","rel_id":1,"tuple":[{"RawText":)";
  CHECK(error_of(head + std::string(200000, '[')) ==
        "not valid JSON: nested deeper than 128 levels at byte " + std::to_string(head.size() + 124));
  // At the bound (128 levels) the record parses, is refused by the reader,
  // and its DOM is dropped before the next record without trouble.
  const std::string deepest = head + std::string(124, '[') + std::string(124, ']') + "}]}}";
  CHECK(value_error(R"({"RawText":)" + std::string(124, '[') + std::string(124, ']') + "}") ==
        "message.tuple[0].RawText[0]: expected a byte, an integer 0..255");
  CHECK(error_of(deepest) == "message.tuple[0].RawText[0]: expected a byte, an integer 0..255");
  // Brackets inside strings are not nesting.
  CHECK(text_of(R"({"String":")" + std::string(100000, '[') + R"(\"{"})") == std::string(100000, '[') + "\"{");
  CHECK(std::holds_alternative<Begin>(parse_event(dogs()[0])));
}

TEST_CASE("numbers come out as the doubles nearest to their text, where RapidJSON 1.1.0 misread them") {
  // Found by fuzz/change_events_fuzz: RapidJSON's own conversion gave what
  // was in a register for a zero with a large exponent or many decimals
  // (0e-45 came out 1.8189894035458565e-12, 0 with 25 decimals
  // -1.369880843130252e-194), a wrapped-around significand for
  // 184467440737095516156 (-2.0152837033678636e+264), NaN for 1.8e308, and
  // 5e-324 for 2e-324, which is nearer 0.
  CHECK(text_of(R"({"Float8":0e-45})") == "0");
  CHECK(text_of(R"({"Float8":0E-45})") == "0");
  CHECK(text_of(R"({"Float8":0.0000000000000000000000000})") == "0");
  CHECK(text_of(R"({"Float8":-0.0e-30})") == "-0");
  CHECK(text_of(R"({"Float8":0e40})") == "0");
  CHECK(text_of(R"({"Float4":0.000e-23})") == "0");
  CHECK(text_of(R"({"Float8":184467440737095516156})") == "184467440737095516160");
  CHECK(text_of(R"({"Float8":1844674407370955.16156})") == "1844674407370955.2");
  CHECK(value_error(R"({"Float8":1.8e308})") == "not valid JSON: Number too big to be stored in double. at byte 58");
  CHECK(value_error(R"({"Float8":-1.8e308})") == "not valid JSON: Number too big to be stored in double. at byte 58");
  CHECK(text_of(R"({"Float8":2e-324})") == "0");
  CHECK(text_of(R"({"Float8":-1e-400})") == "-0");
  CHECK(text_of(R"({"Float8":3e-324})") == "5e-324");
  CHECK(text_of(R"({"Float8":0.)" + std::string(330, '0') + "1}") == "0");
  // Numbers near them keep their values, and integers their types.
  CHECK(text_of(R"({"Float8":0.05e-30})") == "5e-32");
  CHECK(text_of(R"({"Float8":1.000e-30})") == "1e-30");
  CHECK(text_of(R"({"Float8":18446744073709551615})") == "18446744073709551616");
  CHECK(text_of(R"({"Int8":-9223372036854775808})") == "-9223372036854775808");
  CHECK(text_of(R"({"Oid":4294967295})") == "4294967295");
  CHECK(text_of(R"({"Int2":-0})") == "0");
  CHECK(value_error(R"({"Int8":9223372036854775808})") == "message.tuple[0].Int8: expected a signed 64-bit integer");
  CHECK(value_error(R"({"Int4":0e-45})") == "message.tuple[0].Int4: expected a signed 32-bit integer");
  CHECK(error_of(R"({"message":{"type":"truncate","options":0,"rel_ids":[0.0e-45]}})") ==
        "message.rel_ids[0]: expected an unsigned 32-bit integer");
  // RapidJSON's own checks of a number's syntax and size stand.
  CHECK(value_error(R"({"Float8":0e400})") == "not valid JSON: Number too big to be stored in double. at byte 58");
  CHECK(value_error(R"({"Float8":1.})") == "not valid JSON: Miss fraction part in number. at byte 60");
  CHECK(value_error(R"({"Float8":0e-45x})") ==
        "not valid JSON: Missing a comma or '}' after an object member. at byte 63");
}

TEST_CASE("message_json of a relation") {
  Relation r = dog<Relation>(1);
  // The format's own layout: the sample's message object, byte for byte.
  CHECK(message_json(r) == message_text(dogs()[1]));
  CHECK(message_json(dog<Relation>(26)) == message_text(dogs()[26]));

  SUBCASE("round trip with names that need escaping") {
    Relation odd;
    odd.rel_id = 4294967295u;
    odd.namespace_ = "sch\xc3\xa9ma\nnew line\ttab";
    odd.name = "we\"ird\\name";
    odd.columns = {Column{1, "quote\"d", 23, -1}, Column{0, "back\\slash", 4294967295u, 2147483647},
                   Column{1, std::string("nul\0byte", 8), 1043, 24}, Column{0, "", 0, -2147483647 - 1}};
    for (ReplicaIdentity identity :
         {ReplicaIdentity::default_, ReplicaIdentity::nothing, ReplicaIdentity::full, ReplicaIdentity::index}) {
      odd.replica_identity = identity;
      std::string json = message_json(odd);
      CHECK(json.find("\"replica_identity\":\"" + std::string(to_string(identity)) + "\"") != std::string::npos);
      CHECK(parse_as<Relation>("{\"message\":" + json + "}") == odd);
      CHECK(std::get<Relation>(parse_message(json)) == odd);
    }
    CHECK(message_json(odd).find(R"("name":"we\"ird\\name")") != std::string::npos);
  }
}

TEST_CASE("to_string of a replica identity") {
  CHECK(std::string(to_string(ReplicaIdentity::default_)) == "Default");
  CHECK(std::string(to_string(ReplicaIdentity::nothing)) == "Nothing");
  CHECK(std::string(to_string(ReplicaIdentity::full)) == "Full");
  CHECK(std::string(to_string(ReplicaIdentity::index)) == "Index");
}

TEST_CASE("threads parse at the same time") {
  auto work = [](int &mismatches) {
    for (int round = 0; round < 200; ++round)
      for (std::size_t i = 0; i < dogs().size(); ++i) {
        Message m = parse_event(dogs()[i]);
        if (i == 13 && std::get<Update>(m).key_tuple != Tuple{Value::of("Lucy"), N, N, N}) ++mismatches;
      }
  };
  (void)dogs();  // read before the threads start
  int a = 0, b = 0;
  std::thread t1(work, std::ref(a)), t2(work, std::ref(b));
  t1.join();
  t2.join();
  CHECK(a == 0);
  CHECK(b == 0);
}

TEST_CASE("the first 20000 events of pgbench-s1.jsonl.gz parse") {
  const std::filesystem::path file = cn::test::sample_topics_dir() / "pgbench-s1.jsonl.gz";
  if (!std::filesystem::exists(file)) {
    MESSAGE("skipped: no " << file.string());
    return;
  }
  const std::string command = "zcat '" + file.string() + "' | head -n 20000";
  FILE *pipe = popen(command.c_str(), "r");
  REQUIRE(pipe);
  std::size_t lines = 0, inserts = 0, relations = 0, truncates = 0;
  std::optional<Insert> first_insert;
  std::string line;
  for (int c; (c = std::fgetc(pipe)) != EOF;) {
    if (c != '\n') {
      line += static_cast<char>(c);
      continue;
    }
    Message m;
    try {
      m = parse_event(line);
    } catch (const EventError &e) {
      FAIL("line " << lines << ": " << e.what());
    }
    if (auto *insert = std::get_if<Insert>(&m); insert && !first_insert) first_insert = *insert;
    inserts += std::holds_alternative<Insert>(m);
    relations += std::holds_alternative<Relation>(m);
    truncates += std::holds_alternative<Truncate>(m);
    ++lines;
    line.clear();
  }
  pclose(pipe);
  CHECK(lines == 20000);
  CHECK(relations == 4);
  CHECK(truncates == 1);
  CHECK(inserts == 19994);
  // The first insert: pgbench_branches (1, 0, NULL).
  REQUIRE(first_insert);
  CHECK(first_insert->rel_id == 16917u);
  CHECK(first_insert->tuple == Tuple{Value::of("1"), Value::of("0"), N});
}

}  // TEST_SUITE

TEST_CASE("the fast path reads the writer's form as the general reader does, and leaves the rest to it") {
  namespace oid = cn::events::oid;
  Relation relation;
  relation.rel_id = 7;
  relation.namespace_ = "public";
  relation.name = "every_kind";
  relation.replica_identity = ReplicaIdentity::default_;
  const uint32_t types[] = {oid::kInt2, oid::kInt4, oid::kInt8, oid::kOid,    oid::kChar,    oid::kBool,   oid::kFloat4,
                            oid::kFloat8, oid::kText, oid::kNumeric, oid::kBytea, oid::kInt4, oid::kText};
  for (uint32_t type : types)
    relation.columns.push_back(Column{0, "c" + std::to_string(relation.columns.size()), type, -1});
  relation.columns[0].flags = 1;
  const auto row = [](const char *text, const char *float4, const char *float8, const char *numeric) {
    return TupleView{{ValueKind::text, "-32768"}, {ValueKind::text, "2147483647"}, {ValueKind::text, "-9000000000"},
                     {ValueKind::text, "4000000000"}, {ValueKind::text, "\\201"}, {ValueKind::text, "t"},
                     {ValueKind::text, float4}, {ValueKind::text, float8}, {ValueKind::text, text},
                     {ValueKind::text, numeric}, {ValueKind::text, "\\x00ff"}, {ValueKind::null, ""},
                     {ValueKind::unchanged_toast, ""}};
  };
  const Envelope envelope{123, 456, -789};
  const TupleView plain = row("Rex é", "1.5", "-0.000001", "31.40"), other = row("", "NaN", "1e300", "-0");
  std::vector<std::string> records(7);
  append_begin(records[0], envelope, Begin{99, -5, 4000000000});
  append_insert(records[1], envelope, relation, plain);
  append_update(records[2], envelope, relation, &plain, nullptr, other);
  append_update(records[3], envelope, relation, nullptr, &plain, other);
  append_update(records[4], envelope, relation, nullptr, nullptr, other);
  append_delete(records[5], envelope, relation, nullptr, &other);
  append_commit(records[6], envelope, Commit{0, 99, 100, -5});
  for (const std::string &record : records) {
    CAPTURE(record);
    check_paths_agree(record);
  }
  // Not the writer's form: left to the general reader, which reads it.
  const std::string insert = records[1];
  auto variant = [&](std::string from, const std::string &to) {
    std::string changed = insert;
    const std::size_t at = changed.find(from);
    REQUIRE(at != std::string::npos);
    return changed.replace(at, from.size(), to);
  };
  for (const std::string &other_form :
       {variant("\"tuple\":", "\"tuple\": "), variant("Rex", "R\\u0065x"), variant("{\"wal_start\":123,", "{"),
        variant("\"type\":\"insert\",", "\"extra\":1,\"type\":\"insert\","), insert + " ",
        variant("[51,49,46,52,48]", "[51, 49,46,52,48]")}) {
    CAPTURE(other_form);
    Envelope e;
    CHECK_FALSE(detail::read_canonical(other_form, e));
    CHECK(std::get<Insert>(parse_event(other_form)).tuple == std::get<Insert>(parse_event(insert)).tuple);
  }
  // Errors come from the general reader, worded as always.
  CHECK(error_of(variant("{\"Int2\":-32768}", "{\"Int2\":-32769}")) ==
        "message.tuple[0].Int2: expected a signed 16-bit integer");
  CHECK(error_of(variant("{\"Int4\":2147483647}", "{\"Int4\":2147483648}")) ==
        "message.tuple[1].Int4: expected a signed 32-bit integer");
  // Numbers at the edges, read by the fast path as by the general reader.
  const auto fast_text = [](const std::string &value_json) {
    const std::string record = R"({"wal_start":1,"wal_end":1,"timestamp":1,"message":{"type":"insert","rel_id":1,"tuple":[)" +
                               value_json + "]}}";
    check_paths_agree(record);
    return text_of(value_json);
  };
  CHECK(fast_text(R"({"Float8":-0})") == "0");  // an integer, so 0
  CHECK(fast_text(R"({"Float8":-0.0})") == "-0");
  CHECK(fast_text(R"({"Float4":16777217})") == "16777216");
  CHECK(text_of(R"({"Float8":1e-400})") == "0");  // too small for a double: left to the general reader
  CHECK(fast_text(R"({"Float8":-1.7976931348623157e+308})") == "-1.7976931348623157e+308");
  CHECK(fast_text(R"({"Int8":-9223372036854775808})") == "-9223372036854775808");
  CHECK(fast_text(R"({"Char":-0})") == "");
  // Integers at their types' edges: up to 19 digits read 8 a word, then one at a time.
  CHECK(fast_text(R"({"Int8":9223372036854775807})") == "9223372036854775807");
  CHECK(fast_text(R"({"Int8":-0})") == "0");
  CHECK(fast_text(R"({"Char":-128})") == "\\200");
  CHECK(fast_text(R"({"Oid":4294967295})") == "4294967295");
  Envelope e;
  for (const char *not_its_type : {R"({"Int8":9223372036854775808})", R"({"Int8":-9223372036854775809})",
                                   R"({"Oid":4294967296})", R"({"Oid":-1})", R"({"Char":128})",
                                   R"({"Int4":00})", R"({"Int4":1.0})", R"({"Int4":1e2})", R"({"Int4":-})"}) {
    const std::string record = R"({"wal_start":1,"wal_end":1,"timestamp":1,"message":{"type":"insert","rel_id":1,"tuple":[)" +
                               std::string(not_its_type) + "]}}";
    CAPTURE(record);
    CHECK_FALSE(detail::read_canonical(record, e));
    CHECK_FALSE(error_of(record).empty());
  }
  // An unsigned -0 is left to the general reader, which takes it (as 0).
  CHECK_FALSE(detail::read_canonical(
      R"({"wal_start":1,"wal_end":1,"timestamp":1,"message":{"type":"insert","rel_id":1,"tuple":[{"Oid":-0}]}})", e));
  CHECK(text_of(R"({"Oid":-0})") == "0");
  // Positions of 20 digits (the largest a 64-bit position can be): the long way, the same result.
  const std::string far = R"({"wal_start":18446744073709551615,"wal_end":10000000000000000000,"timestamp":1,)"
                          R"("message":{"type":"begin","final_lsn":18446744073709551615,"timestamp":-9223372036854775808,"xid":1}})";
  check_paths_agree(far);
  REQUIRE(detail::read_canonical(far, e));
  CHECK(e.wal_start == 18446744073709551615u);
  CHECK(e.wal_end == 10000000000000000000u);
  CHECK_FALSE(detail::read_canonical(R"({"wal_start":18446744073709551616,"wal_end":1,"timestamp":1,"message":{"type":"begin","final_lsn":1,"timestamp":1,"xid":1}})", e));
  // What RapidJSON calls too big stays an error, even for a zero.
  for (const char *too_big : {"0e309", "1e309", "-0.5e400", "1.5e+309"}) {
    const std::string record = R"({"wal_start":1,"wal_end":1,"timestamp":1,"message":{"type":"insert","rel_id":1,"tuple":[{"Float8":)" +
                               std::string(too_big) + "}]}}";
    CAPTURE(record);
    CHECK_FALSE(detail::read_canonical(record, e));
    CHECK(error_of(record).rfind("not valid JSON: Number too big", 0) == 0);
  }
  CHECK(value_error(R"({"Float8":1)" + std::string(320, '0') + "}").rfind("not valid JSON: Number too big", 0) == 0);
}

TEST_CASE("RawText arrays: many openings in one record cost one pass") {
  // Each "RawText":[ is followed by no bytes: each is given up at once, not
  // after a search to the record's end (which made this quadratic).
  std::string record = "\"";
  for (int i = 0; i < 200000; ++i) record += R"("RawText":[)";
  record += "]";
  CHECK(error_of(record).rfind("not valid JSON: ", 0) == 0);
}

TEST_CASE("RawText's byte decoder takes exactly the writer's arrays, whatever their lengths and digits") {
  // The reference: the grammar read plainly, a digit at a time.
  auto reference = [](std::string_view s) -> std::optional<std::pair<std::string, std::size_t>> {
    std::string bytes;
    std::size_t at = 0;
    for (;;) {
      std::size_t digits = 0;
      unsigned b = 0;
      while (at + digits < s.size() && std::isdigit(static_cast<unsigned char>(s[at + digits])))
        b = b * 10 + static_cast<unsigned>(s[at + digits++] - '0');
      if (digits == 0 || digits > 3 || (digits > 1 && s[at] == '0') || b > 255) return std::nullopt;
      bytes += static_cast<char>(b);
      at += digits;
      if (at == s.size()) return std::nullopt;
      if (s[at] == ']') return std::make_pair(bytes, at);
      if (s[at++] != ',') return std::nullopt;
    }
  };
  using detail::ByteArrayReading;
  const std::vector<ByteArrayReading> ways = detail::byte_array_readings();
  MESSAGE("RawText decoder: ", ways.size(), " of its 3 ways run on this CPU");
  auto check = [&](const std::string &s) {
    // In memory of exactly its size, so that a read past its end is one
    // past the allocation (which the sanitizer build reports).
    const auto exact = std::make_unique<char[]>(s.size());
    std::memcpy(exact.get(), s.data(), s.size());
    const auto expected = reference(s);
    for (ByteArrayReading how : ways) {
      std::string to = "kept";
      const char *close = detail::decode_byte_array(exact.get(), exact.get() + s.size(), to, how);
      INFO("input: ", s, " (way ", static_cast<int>(how), ")");
      REQUIRE((close != nullptr) == expected.has_value());
      if (expected) {
        CHECK(to == "kept" + expected->first);
        CHECK(static_cast<std::size_t>(close - exact.get()) == expected->second);
      } else {
        CHECK(to == "kept");
      }
    }
  };
  for (const char *s : {"0]", "255]", "256]", "05]", "00]", "1,]", ",1]", "1", "1,2", "12", "123", "1234]", "2550]",
                        "-1]", "1 ]", "1,2,3]x", "9,99,199,200,255,0]", "]",
                        // Each kind of fault in the first block of 16 bytes, with 16 more after it
                        // (read 16 at a time on a CPU with SSSE3).
                        "1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7]",
                        "249,250,255,199,100,200,0,10,99,1,2,3,4,5,6,7,8,9]",
                        "249,250,255,300,100,200,0,10,99,1,2,3,4,5,6,7,8,9]",
                        "249,250,255,256,100,200,0,10,99,1,2,3,4,5,6,7,8,9]",
                        "12,34,56,01,23,45,67,89,12,34,56,78,90,12]", "12,34,56,,1,23,45,67,89,12,34,56,78,90]",
                        "12,34,1200,23,45,67,89,12,34,56,78,90,12,34]", ",12,34,56,78,90,12,34,56,78,90,12,34]"})
    check(s);
  // Each kind of fault where a 64-byte block ends (read 64 at a time with
  // AVX-512): at its last bytes and at the next block's first.
  const std::string block = "1,22,1,22,1,22,1,22,1,22,1,22,1,22,1,22,1,22,1,22,1,22,1,22,1,";  // 62 bytes
  for (const char *tail : {"2]", "22]", "222]", "256]", "2222]", "02]", ",2]", "2,,3]", "2/]", "2:]", "2 ]", "2]x"})
    for (const std::string &head : {block.substr(2), block, "9" + block})
      check(head + tail);
  // Random arrays and their corruptions: every length around the decoder's
  // 16-byte blocks and its 256-byte chunks; elements of 3 digits, of 1 or 2
  // (more of them to a block), or mixed.
  std::mt19937 random(7);
  const std::string alphabet = std::string("0123456789,]x/:\x80\xff") + '\0';
  const unsigned element_ranges[] = {256, 10, 100, 260};
  for (int i = 0; i < 40000; ++i) {
    std::string s;
    const int n = static_cast<int>(random() % 300);
    const unsigned range = element_ranges[i % 4];
    for (int k = 0; k < n; ++k) s += (k ? "," : "") + std::to_string(random() % range);
    s += ']';
    if (i % 2) s[random() % s.size()] = alphabet[random() % alphabet.size()];
    if (i % 3 == 0) s += "x";
    check(s);
  }
}

TEST_CASE("spare_tuple(n) is n NULLs, whatever the tuple handed back held, and uses its room") {
  Tuple old;
  for (int i = 0; i < 6; ++i) old.push_back(Value::of(std::string(40 + i, 'x')));
  const char *const room = old[1].text.data();
  recycle(std::move(old));
  for (std::size_t size : {std::size_t{3}, std::size_t{9}, std::size_t{0}}) {
    const Tuple t = spare_tuple(size);
    CHECK(t.size() == size);
    for (const Value &v : t) CHECK(v == Value::null());
    if (size == 3) CHECK(t[1].text.data() == room);  // the old value's room, empty
    recycle(Tuple(t));
  }
}

TEST_CASE("tuples handed back (recycle) are read into afresh: nothing of their old values shows") {
  // Before each record, tuples of long texts are handed back, which the
  // fast path then reads into: every record must still read as the general
  // reader reads it (kinds without text, empty texts, fewer values, none).
  const std::string head = R"({"wal_start":1,"wal_end":2,"timestamp":3,"message":{"type":"insert","rel_id":5,"tuple":)";
  const std::string tuples[] = {
      R"(["Null","UnchangedToast",{"RawText":[]},{"Char":0},{"Bool":true},{"String":""}])",
      R"([])",
      R"([{"Int4":1}])",
      R"([{"Float8":null},{"Int2":-5},{"RawText":[49,50]},"Null",{"Float4":1.5},{"Int8":7},{"Oid":9},{"String":"s"}])",
  };
  for (const std::string &tuple : tuples) {
    for (int spare = 0; spare < 3; ++spare) {
      Tuple old;
      for (int i = 0; i < 10; ++i) old.push_back(Value::of(std::string(100 + i, static_cast<char>('a' + i))));
      recycle(std::move(old));
    }
    CAPTURE(tuple);
    check_paths_agree(head + tuple + "}}");
  }
}
