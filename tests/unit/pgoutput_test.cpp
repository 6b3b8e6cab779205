// The postgres-source's pgoutput decoder (plugins/postgres-source/pgoutput.hpp):
// messages built byte by byte, decoded into exact event lines - among them
// every line of the sample topic ../shared/events/dogs.jsonl, rebuilt into
// the pgoutput messages PostgreSQL sent - and the malformed, truncated and
// unknown messages that must fail with a DecodeError naming where.
#include "pgoutput.hpp"

#include "paths.hpp"

#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <cctype>
#include <charconv>
#include <functional>

using namespace cn::pgsource;
using namespace cn::events;

namespace {

// A pgoutput message, big-endian as on the wire.
class Wire {
 public:
  explicit Wire(char type) { bytes_.push_back(type); }
  Wire &u8(uint8_t v) { return put(v, 1); }
  Wire &i16(int16_t v) { return put(static_cast<uint16_t>(v), 2); }
  Wire &u32(uint32_t v) { return put(v, 4); }
  Wire &i32(int32_t v) { return put(static_cast<uint32_t>(v), 4); }
  Wire &u64(uint64_t v) { return put(v, 8); }
  Wire &i64(int64_t v) { return put(static_cast<uint64_t>(v), 8); }
  Wire &str(std::string_view s) {  // String: NUL-terminated
    bytes_.append(s.data(), s.size());
    bytes_.push_back('\0');
    return *this;
  }
  // TupleData pieces: the column count, then one of these per column.
  Wire &text(std::string_view s) {
    u8('t').u32(static_cast<uint32_t>(s.size()));
    bytes_.append(s.data(), s.size());
    return *this;
  }
  Wire &null() { return u8('n'); }
  Wire &toast() { return u8('u'); }
  Wire &raw(std::string_view s) {
    bytes_.append(s.data(), s.size());
    return *this;
  }
  const std::string &bytes() const { return bytes_; }

 private:
  Wire &put(uint64_t v, int size) {
    for (int shift = 8 * (size - 1); shift >= 0; shift -= 8) bytes_.push_back(static_cast<char>(v >> shift & 0xff));
    return *this;
  }
  std::string bytes_;
};

const Envelope kEnvelope{31216048, 31216056, 848579648134415};
const std::string kHead =
    R"({"wal_start":31216048,"wal_end":31216056,"timestamp":848579648134415,"message":)";

// The sample's dog table, first form (flags, name, type, modifier per column).
Wire dog_relation() {
  Wire w('R');
  w.u32(16399).str("public").str("dog").u8('d').i16(4);
  w.u8(1).str("name").u32(1043).i32(24);
  w.u8(0).str("species").u32(1043).i32(24);
  w.u8(0).str("state").u32(1043).i32(24);
  w.u8(0).str("sex").u32(1042).i32(5);
  return w;
}

// A table with a key and one column of each value kind.
Wire kinds_relation() {
  Wire w('R');
  w.u32(500).str("").str("kinds").u8('f').i16(11);
  const std::pair<const char *, uint32_t> columns[] = {
      {"id", 23}, {"b", 16}, {"c", 18}, {"s", 21}, {"l", 20},  {"o", 26},
      {"r", 700}, {"d", 701}, {"t", 25}, {"n", 1700}, {"big", 25}};
  for (const auto &[name, type] : columns) w.u8(1).str(name).u32(type).i32(-1);
  return w;
}

std::string decode(PgoutputDecoder &decoder, const Wire &w, const Envelope &e = kEnvelope) {
  std::string out;
  decoder.decode(e, w.bytes().data(), w.bytes().size(), out);
  return out;
}

// The DecodeError's text a call throws ("" if it throws none).
std::string decode_error(const std::function<void()> &call) {
  try {
    call();
  } catch (const DecodeError &e) {
    return e.what();
  }
  return "";
}

std::string decode_error(PgoutputDecoder &decoder, const std::string &bytes) {
  return decode_error([&] {
    std::string out;
    decoder.decode(kEnvelope, bytes.data(), bytes.size(), out);
  });
}

// --- the sample topic, back into pgoutput messages ---------------------------

// Parsed with numbers kept as their text, so that a float goes back to
// exactly what PostgreSQL wrote.
using Json = rapidjson::Value;

template <typename Int>
Int number(const Json &v) {
  REQUIRE(v.IsString());
  Int n{};
  const auto [end, ec] = std::from_chars(v.GetString(), v.GetString() + v.GetStringLength(), n);
  REQUIRE((ec == std::errc() && end == v.GetString() + v.GetStringLength()));
  return n;
}

std::string_view string(const Json &v) { return {v.GetString(), v.GetStringLength()}; }

// The text PostgreSQL's output function wrote for a value.
std::string value_text(const std::string &kind, const Json &x) {
  if (kind == "String") return std::string(string(x));
  if (kind == "Bool") return x.GetBool() ? "t" : "f";
  if (kind == "RawText") {
    std::string bytes;
    for (const Json &b : x.GetArray()) bytes.push_back(static_cast<char>(number<int>(b)));
    return bytes;
  }
  if (kind == "Char") {
    const auto byte = static_cast<uint8_t>(number<int>(x));
    if (byte == 0) return "";
    if (byte < 128) return std::string(1, static_cast<char>(byte));
    const char octal[] = {'\\', char('0' + (byte >> 6)), char('0' + (byte >> 3 & 7)), char('0' + (byte & 7)), 0};
    return octal;
  }
  if (x.IsNull()) return "NaN";  // a float
  return std::string(string(x));  // Int2, Int4, Int8, Oid, Float4, Float8: the number's text
}

void put_tuple(Wire &w, const Json &tuple) {
  w.i16(static_cast<int16_t>(tuple.Size()));
  for (const Json &v : tuple.GetArray()) {
    if (v.IsString() && string(v) == "Null") {
      w.null();
    } else if (v.IsString()) {
      w.toast();
    } else {
      const auto &member = *v.MemberBegin();
      w.text(value_text(std::string(string(member.name)), member.value));
    }
  }
}

std::string_view sent_namespace(const Json &ns) { return string(ns) == "pg_catalog" ? "" : string(ns); }

Wire relation_wire(const Json &m) {
  const std::string identity(string(m["replica_identity"]));
  Wire w('R');
  w.u32(number<uint32_t>(m["rel_id"])).str(sent_namespace(m["namespace"])).str(string(m["name"]));
  w.u8(static_cast<uint8_t>(std::tolower(identity[0])));
  w.i16(static_cast<int16_t>(m["columns"].Size()));
  for (const Json &c : m["columns"].GetArray()) {
    w.u8(static_cast<uint8_t>(number<int8_t>(c["flags"]))).str(string(c["name"]));
    w.i32(number<int32_t>(c["type_id"])).i32(number<int32_t>(c["type_modifier"]));
  }
  return w;
}

// The pgoutput message that an event of the topic was made from.
Wire wire_of(const Json &m) {
  const std::string type(string(m["type"]));
  if (type == "begin") {
    Wire w('B');
    w.u64(number<uint64_t>(m["final_lsn"])).i64(number<int64_t>(m["timestamp"])).u32(number<uint32_t>(m["xid"]));
    return w;
  }
  if (type == "commit") {
    Wire w('C');
    w.u8(static_cast<uint8_t>(number<int8_t>(m["flags"])));
    w.u64(number<uint64_t>(m["commit_lsn"])).u64(number<uint64_t>(m["end_lsn"])).i64(number<int64_t>(m["timestamp"]));
    return w;
  }
  if (type == "origin") return std::move(Wire('O').u64(number<uint64_t>(m["commit_lsn"])).str(string(m["name"])));
  if (type == "type") {
    Wire w('Y');
    w.u32(number<uint32_t>(m["id"])).str(sent_namespace(m["namespace"])).str(string(m["name"]));
    return w;
  }
  if (type == "relation") return relation_wire(m);
  if (type == "truncate") {
    Wire w('T');
    w.i32(static_cast<int32_t>(m["rel_ids"].Size())).u8(static_cast<uint8_t>(number<int8_t>(m["options"])));
    for (const Json &id : m["rel_ids"].GetArray()) w.u32(number<uint32_t>(id));
    return w;
  }
  const uint32_t rel_id = number<uint32_t>(m["rel_id"]);
  if (type == "insert") {
    Wire w('I');
    w.u32(rel_id).u8('N');
    put_tuple(w, m["tuple"]);
    return w;
  }
  Wire w(type == "update" ? 'U' : 'D');
  w.u32(rel_id);
  if (!m["old_tuple"].IsNull()) put_tuple(w.u8('O'), m["old_tuple"]);
  if (!m["key_tuple"].IsNull()) put_tuple(w.u8('K'), m["key_tuple"]);
  if (type == "update") put_tuple(w.u8('N'), m["new_tuple"]);
  return w;
}

// Decodes the message each line was made from, and says whether every line
// comes back byte for byte.
void check_round_trip(const std::vector<std::string> &lines) {
  PgoutputDecoder decoder;
  for (const std::string &line : lines) {
    CAPTURE(line);
    rapidjson::Document event;
    event.Parse<rapidjson::kParseNumbersAsStringsFlag>(line.c_str());
    REQUIRE_FALSE(event.HasParseError());
    const Envelope e{number<uint64_t>(event["wal_start"]), number<uint64_t>(event["wal_end"]),
                     number<int64_t>(event["timestamp"])};
    CHECK(decode(decoder, wire_of(event["message"]), e) == line);
  }
}

}  // namespace

TEST_CASE("pgoutput: the sample's dog relation and first insert, byte for byte") {
  const std::vector<std::string> dogs = cn::test::read_lines(cn::test::sample_topics_dir() / "dogs.jsonl");
  REQUIRE(dogs.size() == 37);
  PgoutputDecoder decoder;
  CHECK(decode(decoder, dog_relation(), Envelope{0, 0, 848579648134385}) == dogs[1]);
  Wire insert('I');
  insert.u32(16399).u8('N').i16(4).text("Lucy").text("chihuahua").text("TX").text("f");
  CHECK(decode(decoder, insert, Envelope{31216048, 31216048, 848579648134415}) == dogs[2]);
}

TEST_CASE("pgoutput: every line of the sample topic comes back from its message") {
  check_round_trip(cn::test::read_lines(cn::test::sample_topics_dir() / "dogs.jsonl"));
}

TEST_CASE("pgoutput: begin and commit, with the positions a replication loop needs") {
  PgoutputDecoder decoder;
  std::string out;
  const Wire begin = std::move(Wire('B').u64(31216576).i64(848579648073996).u32(746));
  Decoded d = decoder.decode(kEnvelope, begin.bytes().data(), begin.bytes().size(), out);
  CHECK(d.kind == Decoded::Kind::begin);
  CHECK(d.final_lsn == 31216576);
  CHECK(d.xid == 746);
  CHECK(out == kHead + R"({"type":"begin","final_lsn":31216576,"timestamp":848579648073996,"xid":746}})");

  out.clear();
  const Wire commit = std::move(Wire('C').u8(0).u64(31216576).u64(31216624).i64(848579648073996));
  d = decoder.decode(kEnvelope, commit.bytes().data(), commit.bytes().size(), out);
  CHECK(d.kind == Decoded::Kind::commit);
  CHECK(d.commit_lsn == 31216576);
  CHECK(d.end_lsn == 31216624);
  CHECK(out == kHead +
                   R"({"type":"commit","flags":0,"commit_lsn":31216576,"end_lsn":31216624,"timestamp":848579648073996}})");
}

TEST_CASE("pgoutput: large LSNs and xids, a negative commit time") {
  PgoutputDecoder decoder;
  CHECK(decode(decoder, std::move(Wire('B').u64(UINT64_MAX).i64(-5).u32(UINT32_MAX))) ==
        kHead + R"({"type":"begin","final_lsn":18446744073709551615,"timestamp":-5,"xid":4294967295}})");
}

TEST_CASE("pgoutput: origin and type messages; an empty namespace is pg_catalog") {
  PgoutputDecoder decoder;
  std::string out;
  const Wire origin = std::move(Wire('O').u64(987654321).str("pg_16390"));
  CHECK(decoder.decode(kEnvelope, origin.bytes().data(), origin.bytes().size(), out).kind == Decoded::Kind::origin);
  CHECK(out == kHead + R"({"type":"origin","commit_lsn":987654321,"name":"pg_16390"}})");
  CHECK(decode(decoder, std::move(Wire('Y').u32(16390).str("public").str("mood"))) ==
        kHead + R"({"type":"type","id":16390,"namespace":"public","name":"mood"}})");
  CHECK(decode(decoder, std::move(Wire('Y').u32(3000000000u).str("").str("x"))) ==
        kHead + R"({"type":"type","id":3000000000,"namespace":"pg_catalog","name":"x"}})");
}

TEST_CASE("pgoutput: relation messages are kept, the latest one per rel_id") {
  PgoutputDecoder decoder;
  CHECK(decoder.relation(16399) == nullptr);
  std::string out;
  const Wire dog = dog_relation();
  CHECK(decoder.decode(kEnvelope, dog.bytes().data(), dog.bytes().size(), out).kind == Decoded::Kind::relation);
  const Relation *r = decoder.relation(16399);
  REQUIRE(r != nullptr);
  CHECK(r->namespace_ == "public");
  CHECK(r->name == "dog");
  CHECK(r->replica_identity == ReplicaIdentity::default_);
  REQUIRE(r->columns.size() == 4);
  CHECK(r->columns[0].flags == 1);
  CHECK(r->columns[3].name == "sex");
  CHECK(r->columns[3].type_id == 1042);
  CHECK(r->columns[3].type_modifier == 5);

  // The table changed: its values are now read by the new types.
  Wire changed('R');
  changed.u32(16399).str("").str("dog").u8('i').i16(1).u8(1).str("name").u32(23).i32(-1);
  CHECK(decode(decoder, changed) ==
        kHead +
            R"({"type":"relation","rel_id":16399,"namespace":"pg_catalog","name":"dog","replica_identity":"Index","columns":[{"flags":1,"name":"name","type_id":23,"type_modifier":-1}]}})");
  CHECK(decoder.relation(16399)->columns.size() == 1);
  CHECK(decode(decoder, std::move(Wire('I').u32(16399).u8('N').i16(1).text("7"))) ==
        kHead + R"({"type":"insert","rel_id":16399,"tuple":[{"Int4":7}]}})");
}

TEST_CASE("pgoutput: insert of every value kind") {
  PgoutputDecoder decoder;
  decode(decoder, kinds_relation());
  Wire insert('I');
  insert.u32(500).u8('N').i16(11);
  insert.text("1").text("t").text("\\201").text("-7").text("9000000000").text("4000000000");
  insert.text("NaN").text("-1.5e-07").text("a \"q\"\n\\ é").text("3.25").toast();
  CHECK(decode(decoder, insert) ==
        kHead +
            R"({"type":"insert","rel_id":500,"tuple":[{"Int4":1},{"Bool":true},{"Char":-127},{"Int2":-7},{"Int8":9000000000},{"Oid":4000000000},{"Float4":null},{"Float8":-1.5e-07},{"String":"a \"q\"\n\\ é"},{"RawText":[51,46,50,53]},"UnchangedToast"]}})");
  Wire nulls('I');
  nulls.u32(500).u8('N').i16(11);
  for (int i = 0; i < 11; ++i) nulls.null();
  CHECK(decode(decoder, nulls) ==
        kHead +
            R"({"type":"insert","rel_id":500,"tuple":["Null","Null","Null","Null","Null","Null","Null","Null","Null","Null","Null"]}})");
}

TEST_CASE("pgoutput: update with a key tuple, an old tuple, or neither") {
  PgoutputDecoder decoder;
  decode(decoder, dog_relation());
  Wire key_change('U');
  key_change.u32(16399).u8('K').i16(4).text("Lucy").null().null().null();
  key_change.u8('N').i16(4).text("Lucy Two").text("chihuahua").null().text("f");
  CHECK(decode(decoder, key_change) ==
        kHead +
            R"({"type":"update","rel_id":16399,"old_tuple":null,"key_tuple":[{"String":"Lucy"},"Null","Null","Null"],"new_tuple":[{"String":"Lucy Two"},{"String":"chihuahua"},"Null",{"String":"f"}]}})");

  Wire full('U');
  full.u32(16399).u8('O').i16(4).text("a").text("b").text("c").text("d");
  full.u8('N').i16(4).text("a").text("b").text("C").toast();
  CHECK(decode(decoder, full) ==
        kHead +
            R"({"type":"update","rel_id":16399,"old_tuple":[{"String":"a"},{"String":"b"},{"String":"c"},{"String":"d"}],"key_tuple":null,"new_tuple":[{"String":"a"},{"String":"b"},{"String":"C"},"UnchangedToast"]}})");

  Wire plain('U');
  plain.u32(16399).u8('N').i16(4).text("Wiggles").text("terrier").text("VA").text("f");
  CHECK(decode(decoder, plain) ==
        kHead +
            R"({"type":"update","rel_id":16399,"old_tuple":null,"key_tuple":null,"new_tuple":[{"String":"Wiggles"},{"String":"terrier"},{"String":"VA"},{"String":"f"}]}})");
}

TEST_CASE("pgoutput: delete with a key tuple or an old tuple") {
  PgoutputDecoder decoder;
  decode(decoder, dog_relation());
  Wire by_key('D');
  by_key.u32(16399).u8('K').i16(4).text("Piper").null().null().null();
  CHECK(decode(decoder, by_key) ==
        kHead + R"({"type":"delete","rel_id":16399,"old_tuple":null,"key_tuple":[{"String":"Piper"},"Null","Null","Null"]}})");
  Wire by_old('D');
  by_old.u32(16399).u8('O').i16(4).text("O'Brien").text("beagle").text("MA").text("m");
  CHECK(decode(decoder, by_old) ==
        kHead +
            R"({"type":"delete","rel_id":16399,"old_tuple":[{"String":"O'Brien"},{"String":"beagle"},{"String":"MA"},{"String":"m"}],"key_tuple":null}})");
}

TEST_CASE("pgoutput: truncate with each option and several relations") {
  PgoutputDecoder decoder;
  for (uint8_t options = 0; options < 4; ++options) {
    CAPTURE(int(options));
    Wire w('T');
    w.i32(3).u8(options).u32(16914).u32(16917).u32(4294967295u);
    CHECK(decode(decoder, w) == kHead + R"({"type":"truncate","options":)" + std::to_string(options) +
                                    R"(,"rel_ids":[16914,16917,4294967295]}})");
  }
  CHECK(decode(decoder, std::move(Wire('T').i32(0).u8(0))) ==
        kHead + R"({"type":"truncate","options":0,"rel_ids":[]}})");
}

TEST_CASE("pgoutput: unknown and empty messages") {
  PgoutputDecoder decoder;
  CHECK(decode_error(decoder, "") == "pgoutput 0x00 message, byte 0: an empty message");
  CHECK(decode_error(decoder, "Z") ==
        "pgoutput 'Z' message, byte 0: unknown message type (is this pgoutput protocol 1 with only the "
        "publication_names option?)");
  CHECK(decode_error(decoder, std::string("\x05\x00", 2)).rfind("pgoutput 0x05 message, byte 0: unknown", 0) == 0);
  // Messages of options we do not ask for: logical decoding messages, streaming.
  for (const char *type : {"M", "S", "E", "c", "A", "P", "K", "r", "w"}) {
    CAPTURE(type);
    CHECK(decode_error(decoder, std::string(type) + std::string(30, '\0')) != "");
  }
}

TEST_CASE("pgoutput: DecodeError says the message type and the byte") {
  PgoutputDecoder decoder;
  const std::string begin = Wire('B').u64(1).i64(2).bytes();  // no xid
  try {
    std::string out;
    decoder.decode(kEnvelope, begin.data(), begin.size(), out);
    FAIL("no DecodeError");
  } catch (const DecodeError &e) {
    CHECK(e.message_type() == 'B');
    CHECK(e.offset() == 17);
    CHECK(std::string(e.what()) == "pgoutput 'B' message, byte 17: cut short: xid needs 4 bytes, 0 left");
  }
  CHECK(decode_error(decoder, Wire('C').u8(0).u64(1).bytes() + "abc") ==
        "pgoutput 'C' message, byte 10: cut short: end_lsn needs 8 bytes, 3 left");
  CHECK(decode_error(decoder, Wire('B').u64(1).i64(2).u32(3).u8(0).bytes()) ==
        "pgoutput 'B' message, byte 21: 1 bytes left over after the message");
  CHECK(decode_error(decoder, Wire('O').u64(1).raw("no nul").bytes()) ==
        "pgoutput 'O' message, byte 9: the origin name has no terminating NUL before the message ends");
}

TEST_CASE("pgoutput: every truncation of every valid message is a DecodeError") {
  PgoutputDecoder decoder;
  decode(decoder, dog_relation());
  decode(decoder, kinds_relation());
  Wire update('U');
  update.u32(16399).u8('K').i16(4).text("Lucy").null().null().null();
  update.u8('N').i16(4).text("Lucy Two").text("chihuahua").toast().text("f");
  const Wire messages[] = {
      std::move(Wire('B').u64(1).i64(2).u32(3)),
      std::move(Wire('C').u8(0).u64(1).u64(2).i64(3)),
      std::move(Wire('O').u64(1).str("origin")),
      std::move(Wire('Y').u32(1).str("public").str("mood")),
      dog_relation(),
      kinds_relation(),
      std::move(Wire('I').u32(16399).u8('N').i16(4).text("a").text("b").null().toast()),
      update,
      std::move(Wire('D').u32(16399).u8('O').i16(4).text("a").text("b").text("c").text("d")),
      std::move(Wire('T').i32(2).u8(3).u32(1).u32(2)),
  };
  for (const Wire &w : messages) {
    const std::string &bytes = w.bytes();
    {
      std::string out;
      PgoutputDecoder fresh_copy = decoder;
      CHECK_NOTHROW(fresh_copy.decode(kEnvelope, bytes.data(), bytes.size(), out));
    }
    for (std::size_t size = 1; size < bytes.size(); ++size) {
      CAPTURE(bytes.substr(0, size));
      // A copy of just the prefix, so that the sanitizers see any read past it.
      const std::string prefix = bytes.substr(0, size);
      std::string out = "kept";
      CHECK_THROWS_AS(decoder.decode(kEnvelope, prefix.data(), prefix.size(), out), DecodeError);
      CHECK(out == "kept");
    }
  }
}

TEST_CASE("pgoutput: malformed tuples") {
  PgoutputDecoder decoder;
  decode(decoder, dog_relation());
  const std::string insert_head = Wire('I').u32(16399).u8('N').bytes();
  CHECK(decode_error(decoder, Wire('I').u32(16399).u8('X').bytes()) ==
        "pgoutput 'I' message, byte 5: tuple letter 'X' where 'N' belongs");
  CHECK(decode_error(decoder, insert_head + Wire('x').i16(1).u8('b').u32(1).raw("a").bytes().substr(1)) ==
        "pgoutput 'I' message, byte 8: a binary value: the decoder reads text values only (replication must not "
        "ask binary 'true')");
  CHECK(decode_error(decoder, insert_head + Wire('x').i16(1).u8('q').bytes().substr(1)) ==
        "pgoutput 'I' message, byte 8: column kind 'q' is none of n, u, t");
  CHECK(decode_error(decoder, insert_head + Wire('x').i16(1).u8('t').i32(-1).bytes().substr(1)) ==
        "pgoutput 'I' message, byte 9: a value of negative length -1");
  CHECK(decode_error(decoder, insert_head + Wire('x').i16(-1).bytes().substr(1)) ==
        "pgoutput 'I' message, byte 6: a tuple of -1 columns with 0 bytes left");
  CHECK(decode_error(decoder, insert_head + Wire('x').i16(30000).null().bytes().substr(1)) ==
        "pgoutput 'I' message, byte 6: a tuple of 30000 columns with 1 bytes left");
  CHECK(decode_error(decoder, insert_head + Wire('x').i16(1).u8('t').i32(1000).raw("abc").bytes().substr(1)) ==
        "pgoutput 'I' message, byte 13: cut short: a value needs 1000 bytes, 3 left");
  // An update whose old tuple is not followed by the new one.
  CHECK(decode_error(decoder, Wire('U').u32(16399).u8('K').i16(4).null().null().null().null().u8('K').bytes()) ==
        "pgoutput 'U' message, byte 12: tuple letter 'K' where 'N' belongs");
  CHECK(decode_error(decoder, Wire('U').u32(16399).u8('Q').bytes()) ==
        "pgoutput 'U' message, byte 5: tuple letter 'Q' where 'K' or 'O' or 'N' belongs");
  CHECK(decode_error(decoder, Wire('D').u32(16399).u8('N').i16(4).null().null().null().null().bytes()) ==
        "pgoutput 'D' message, byte 5: tuple letter 'N' where 'K' or 'O' belongs");
}

TEST_CASE("pgoutput: malformed relation and truncate messages") {
  PgoutputDecoder decoder;
  CHECK(decode_error(decoder, Wire('R').u32(1).str("s").str("t").u8('x').i16(0).bytes()) ==
        "pgoutput 'R' message, byte 9: replica identity 'x' is none of d, n, f, i");
  CHECK(decode_error(decoder, Wire('R').u32(1).str("s").str("t").u8('d').i16(-2).bytes()) ==
        "pgoutput 'R' message, byte 10: a column count of -2 with 0 bytes left");
  CHECK(decode_error(decoder, Wire('R').u32(1).str("s").str("t").u8('d').i16(1600).u8(0).str("c").bytes()) ==
        "pgoutput 'R' message, byte 10: a column count of 1600 with 3 bytes left");
  CHECK(decode_error(decoder, Wire('T').i32(-1).u8(0).bytes()) ==
        "pgoutput 'T' message, byte 1: a truncate of -1 relations with 0 bytes left");
  CHECK(decode_error(decoder, Wire('T').i32(2000000000).u8(0).u32(1).bytes()) ==
        "pgoutput 'T' message, byte 1: a truncate of 2000000000 relations with 4 bytes left");
  CHECK(decoder.relation(1) == nullptr);
}

TEST_CASE("pgoutput: a change to a relation never described is a DecodeError") {
  PgoutputDecoder decoder;
  for (char type : {'I', 'U', 'D'}) {
    CAPTURE(type);
    CHECK(decode_error(decoder, Wire(type).u32(777).u8('N').i16(0).bytes()) ==
          std::string("pgoutput '") + type + "' message, byte 1: relation 777 has had no relation message");
  }
}

TEST_CASE("pgoutput: values that do not read as their type are EventError, out untouched") {
  PgoutputDecoder decoder;
  decode(decoder, kinds_relation());
  std::string out = "kept";
  Wire insert('I');
  insert.u32(500).u8('N').i16(11).text("1").text("yes");
  for (int i = 0; i < 9; ++i) insert.null();
  CHECK_THROWS_WITH_AS(decoder.decode(kEnvelope, insert.bytes().data(), insert.bytes().size(), out),
                       R"(table pg_catalog.kinds, column "b" (type 16): "yes" is not a bool ('t' or 'f'))",
                       EventError);
  CHECK(out == "kept");

  Wire narrow('I');
  narrow.u32(500).u8('N').i16(2).text("1").text("t");
  CHECK_THROWS_WITH_AS(decoder.decode(kEnvelope, narrow.bytes().data(), narrow.bytes().size(), out),
                       "table pg_catalog.kinds: a row of 2 values for 11 columns", EventError);
  CHECK(out == "kept");
}

TEST_CASE("pgoutput: a relation whose names are not UTF-8 keeps the one before") {
  PgoutputDecoder decoder;
  decode(decoder, dog_relation());
  Wire bad('R');
  bad.u32(16399).str("public").str("d\xffg").u8('d').i16(0);
  std::string out;
  CHECK_THROWS_WITH_AS(decoder.decode(kEnvelope, bad.bytes().data(), bad.bytes().size(), out),
                       "the relation name is not valid UTF-8", EventError);
  CHECK(out.empty());
  REQUIRE(decoder.relation(16399) != nullptr);
  CHECK(decoder.relation(16399)->columns.size() == 4);
}

TEST_CASE("pgoutput: values borrowed from one message do not leak into the next") {
  PgoutputDecoder decoder;
  decode(decoder, dog_relation());
  std::string out;
  {
    const std::string first = Wire('I').u32(16399).u8('N').i16(4).text("A").text("B").text("C").text("D").bytes();
    decoder.decode(kEnvelope, first.data(), first.size(), out);
  }
  // Fewer text values the second time: the rows' reused values must not
  // keep the first message's (now freed) text.
  const Wire second = std::move(Wire('I').u32(16399).u8('N').i16(4).null().toast().null().text("x"));
  CHECK(decode(decoder, second) ==
        kHead + R"({"type":"insert","rel_id":16399,"tuple":["Null","UnchangedToast","Null",{"String":"x"}]}})");
}
