// Reading change events (docs/change-events.md) with RapidJSON's DOM.
#include "change_events.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>

namespace cn::events {
namespace {

using Json = rapidjson::Value;  // allocates from a MemoryPoolAllocator

// The JSON path of a field, for error messages: a chain of stack objects,
// made into text only when an error is thrown.
class Path {
 public:
  explicit Path(const char *key) : key_(key) {}
  Path(const Path &parent, const char *key) : parent_(&parent), key_(key) {}
  Path(const Path &parent, std::size_t index) : parent_(&parent), index_(index) {}

  const char *key() const { return key_; }

  std::string str() const {
    std::string s = parent_ ? parent_->str() : std::string();
    if (key_) {
      if (parent_) s += '.';
      s += key_;
    } else {
      s += '[';
      s += std::to_string(index_);
      s += ']';
    }
    return s;
  }

 private:
  const Path *parent_ = nullptr;
  const char *key_ = nullptr;  // a member name, or null for an array element
  std::size_t index_ = 0;
};

[[noreturn]] void fail(const Path &at, const std::string &what) { throw EventError(at.str() + ": " + what); }

std::string_view view(const Json &string) { return {string.GetString(), string.GetStringLength()}; }

// --- fields ---------------------------------------------------------------

const Json *find(const Json &object, const Path &field) {
  auto it = object.FindMember(field.key());
  return it == object.MemberEnd() ? nullptr : &it->value;
}

const Json &require(const Json &object, const Path &field) {
  const Json *v = find(object, field);
  if (!v) fail(field, "missing");
  return *v;
}

uint64_t get_u64(const Json &object, const Path &field) {
  const Json &v = require(object, field);
  if (!v.IsUint64()) fail(field, "expected an unsigned 64-bit integer");
  return v.GetUint64();
}

int64_t get_i64(const Json &object, const Path &field) {
  const Json &v = require(object, field);
  if (!v.IsInt64()) fail(field, "expected a signed 64-bit integer");
  return v.GetInt64();
}

uint32_t u32_of(const Json &v, const Path &at) {
  if (!v.IsUint()) fail(at, "expected an unsigned 32-bit integer");
  return v.GetUint();
}

uint32_t get_u32(const Json &object, const Path &field) { return u32_of(require(object, field), field); }

int32_t get_i32(const Json &object, const Path &field) {
  const Json &v = require(object, field);
  if (!v.IsInt()) fail(field, "expected a signed 32-bit integer");
  return v.GetInt();
}

int8_t get_i8(const Json &object, const Path &field) {
  const Json &v = require(object, field);
  if (!v.IsInt() || v.GetInt() < INT8_MIN || v.GetInt() > INT8_MAX) fail(field, "expected a signed 8-bit integer");
  return static_cast<int8_t>(v.GetInt());
}

std::string get_string(const Json &object, const Path &field) {
  const Json &v = require(object, field);
  if (!v.IsString()) fail(field, "expected a string");
  return std::string(view(v));
}

const Json &get_array(const Json &object, const Path &field) {
  const Json &v = require(object, field);
  if (!v.IsArray()) fail(field, "expected an array");
  return v;
}

// --- values ---------------------------------------------------------------

template <typename T>
void set_number(Value &out, T number) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, number);  // shortest round-trip form for floats
  out.kind = Value::Kind::text;
  out.text.assign(buf, r.ptr);
}

// The format writes a non-finite float as null, losing which one it was.
// "NaN" is the choice that keeps a NOT NULL column valid (a SQL NULL would
// not); float4in and float8in accept it.
constexpr const char *kNonFinite = "NaN";

// The JSON number (already rounded to the nearest double) rounded to float,
// false when it is out of float's range, as float4in would say. Rounding the
// text to double first can differ from strtof's rounding of the text only for
// a text within half a double ulp of a midpoint between two floats: possible
// in theory, not for the shortest text of a float that writers print.
bool to_float(double d, float &f) {
  constexpr double kTooBig = 0x1.ffffffp+127;  // FLT_MAX plus half an ulp: rounds to infinity
  if (std::fabs(d) >= kTooBig) return false;
  f = std::fabs(d) > FLT_MAX ? (d > 0 ? FLT_MAX : -FLT_MAX) : static_cast<float>(d);
  return true;
}

// Sets text to the JSON string x: a copy, or for a value that is most of a
// huge record, the parser's own copy of the record (Parser::lend_text).
void take_string(const Json &x, std::string &text);

// One value of a tuple, in PostgreSQL's text form.
void read_value(const Json &v, const Path &at, Value &out) {
  if (v.IsString()) {
    std::string_view s = view(v);
    if (s == "Null") {
      out = Value::null();
      return;
    }
    if (s == "UnchangedToast") {
      out = Value::unchanged();
      return;
    }
    fail(at, "unknown value kind '" + std::string(s) + "'");
  }
  if (!v.IsObject()) fail(at, "expected \"Null\", \"UnchangedToast\" or an object {\"Kind\": value}");
  if (v.MemberCount() != 1)
    fail(at, "a value object has exactly one member (its kind), this one has " + std::to_string(v.MemberCount()));

  const auto &member = *v.MemberBegin();
  const std::string_view kind = view(member.name);
  const Json &x = member.value;
  const Path in(at, member.name.GetString());

  if (kind == "Int4") {
    if (!x.IsInt()) fail(in, "expected a signed 32-bit integer");
    set_number(out, x.GetInt());
  } else if (kind == "String") {
    if (!x.IsString()) fail(in, "expected a string");
    out.kind = Value::Kind::text;
    take_string(x, out.text);
  } else if (kind == "RawText") {
    if (!x.IsArray()) fail(in, "expected an array of bytes");
    out.kind = Value::Kind::text;
    out.text.resize(x.Size());
    for (rapidjson::SizeType i = 0; i < x.Size(); ++i) {
      const Json &b = x[i];
      if (!b.IsUint() || b.GetUint() > 255) fail(Path(in, i), "expected a byte, an integer 0..255");
      out.text[i] = static_cast<char>(b.GetUint());
    }
  } else if (kind == "Int8") {
    if (!x.IsInt64()) fail(in, "expected a signed 64-bit integer");
    set_number(out, x.GetInt64());
  } else if (kind == "Int2") {
    if (!x.IsInt() || x.GetInt() < INT16_MIN || x.GetInt() > INT16_MAX)
      fail(in, "expected a signed 16-bit integer");
    set_number(out, x.GetInt());
  } else if (kind == "Bool") {
    if (!x.IsBool()) fail(in, "expected true or false");
    out.kind = Value::Kind::text;
    out.text.assign(x.GetBool() ? "t" : "f");
  } else if (kind == "Float8") {
    if (x.IsNull()) {
      out = Value::of(kNonFinite);
    } else {
      if (!x.IsNumber()) fail(in, "expected a number or null");
      set_number(out, x.GetDouble());
    }
  } else if (kind == "Float4") {
    if (x.IsNull()) {
      out = Value::of(kNonFinite);
    } else {
      float f = 0;
      if (!x.IsNumber()) fail(in, "expected a number or null");
      if (!to_float(x.GetDouble(), f)) fail(in, "out of range for a 4-byte float");
      set_number(out, f);
    }
  } else if (kind == "Oid") {
    if (!x.IsUint()) fail(in, "expected an unsigned 32-bit integer");
    set_number(out, x.GetUint());
  } else if (kind == "Char") {
    // The byte of the internal "char" type, in the text form charin reads:
    // nothing for 0, the character itself for 1..127, and for 128..255
    // the escape \ooo (three octal digits) of PostgreSQL 15.
    if (!x.IsInt() || x.GetInt() < INT8_MIN || x.GetInt() > INT8_MAX) fail(in, "expected a signed 8-bit integer");
    const unsigned byte = static_cast<uint8_t>(static_cast<int8_t>(x.GetInt()));
    out.kind = Value::Kind::text;
    if (byte == 0) {
      out.text.clear();
    } else if (byte < 128) {
      out.text.assign(1, static_cast<char>(byte));
    } else {
      const char escape[4] = {'\\', static_cast<char>('0' + (byte >> 6)), static_cast<char>('0' + ((byte >> 3) & 7)),
                              static_cast<char>('0' + (byte & 7))};
      out.text.assign(escape, 4);
    }
  } else {
    fail(at, "unknown value kind '" + std::string(kind) + "'");
  }
}

Tuple read_tuple(const Json &tuple, const Path &at) {
  if (!tuple.IsArray()) fail(at, "expected an array of values");
  Tuple values(tuple.Size());
  for (rapidjson::SizeType i = 0; i < tuple.Size(); ++i) read_value(tuple[i], Path(at, i), values[i]);
  return values;
}

Tuple get_tuple(const Json &object, const Path &field) { return read_tuple(require(object, field), field); }

// A tuple that may be null or absent.
std::optional<Tuple> get_optional_tuple(const Json &object, const Path &field) {
  const Json *v = find(object, field);
  if (!v || v->IsNull()) return std::nullopt;
  return read_tuple(*v, field);
}

// --- messages -------------------------------------------------------------

const Path kMessage("message");

ReplicaIdentity read_identity(const Json &message) {
  const Path field(kMessage, "replica_identity");
  const Json &v = require(message, field);
  if (v.IsString()) {
    std::string_view s = view(v);
    if (s == "Default") return ReplicaIdentity::default_;
    if (s == "Full") return ReplicaIdentity::full;
    if (s == "Index") return ReplicaIdentity::index;
    if (s == "Nothing") return ReplicaIdentity::nothing;
  }
  fail(field, "expected one of \"Default\", \"Nothing\", \"Full\", \"Index\"");
}

Relation read_relation(const Json &m) {
  Relation r;
  r.rel_id = get_u32(m, Path(kMessage, "rel_id"));
  r.namespace_ = schema_of_namespace(get_string(m, Path(kMessage, "namespace")));
  r.name = get_string(m, Path(kMessage, "name"));
  r.replica_identity = read_identity(m);
  const Path columns_at(kMessage, "columns");
  const Json &columns = get_array(m, columns_at);
  r.columns.resize(columns.Size());
  for (rapidjson::SizeType i = 0; i < columns.Size(); ++i) {
    const Path at(columns_at, i);
    const Json &c = columns[i];
    if (!c.IsObject()) fail(at, "expected an object");
    Column &column = r.columns[i];
    column.flags = get_i8(c, Path(at, "flags"));
    column.name = get_string(c, Path(at, "name"));
    // A type OID; a writer may give one above 2^31 as a negative i32.
    const Path type_at(at, "type_id");
    const Json &type_id = require(c, type_at);
    if (type_id.IsUint()) column.type_id = type_id.GetUint();
    else if (type_id.IsInt()) column.type_id = static_cast<uint32_t>(type_id.GetInt());
    else fail(type_at, "expected a 32-bit type OID");
    column.type_modifier = get_i32(c, Path(at, "type_modifier"));
  }
  return r;
}

Message read_message(const Json &m) {
  const Path type_at(kMessage, "type");
  const Json &type = require(m, type_at);
  if (!type.IsString()) fail(type_at, "expected a string");
  const std::string_view t = view(type);

  if (t == "insert") {
    Insert e;
    e.rel_id = get_u32(m, Path(kMessage, "rel_id"));
    e.tuple = get_tuple(m, Path(kMessage, "tuple"));
    return e;
  }
  if (t == "update") {
    Update e;
    e.rel_id = get_u32(m, Path(kMessage, "rel_id"));
    e.old_tuple = get_optional_tuple(m, Path(kMessage, "old_tuple"));
    e.key_tuple = get_optional_tuple(m, Path(kMessage, "key_tuple"));
    e.new_tuple = get_tuple(m, Path(kMessage, "new_tuple"));
    return e;
  }
  if (t == "begin") {
    Begin e;
    e.final_lsn = get_u64(m, Path(kMessage, "final_lsn"));
    e.timestamp = get_i64(m, Path(kMessage, "timestamp"));
    e.xid = get_u32(m, Path(kMessage, "xid"));
    return e;
  }
  if (t == "commit") {
    Commit e;
    const Path flags_at(kMessage, "flags");  // always 0, and optional to a reader
    if (find(m, flags_at)) e.flags = get_i8(m, flags_at);
    e.commit_lsn = get_u64(m, Path(kMessage, "commit_lsn"));
    e.end_lsn = get_u64(m, Path(kMessage, "end_lsn"));
    e.timestamp = get_i64(m, Path(kMessage, "timestamp"));
    return e;
  }
  if (t == "delete") {
    Delete e;
    e.rel_id = get_u32(m, Path(kMessage, "rel_id"));
    e.old_tuple = get_optional_tuple(m, Path(kMessage, "old_tuple"));
    e.key_tuple = get_optional_tuple(m, Path(kMessage, "key_tuple"));
    if (!e.old_tuple && !e.key_tuple) throw EventError("a delete needs key_tuple or old_tuple");
    return e;
  }
  if (t == "relation") return read_relation(m);
  if (t == "truncate") {
    Truncate e;
    e.options = get_i8(m, Path(kMessage, "options"));
    const Path ids_at(kMessage, "rel_ids");
    const Json &ids = get_array(m, ids_at);
    e.rel_ids.resize(ids.Size());
    for (rapidjson::SizeType i = 0; i < ids.Size(); ++i) e.rel_ids[i] = u32_of(ids[i], Path(ids_at, i));
    return e;
  }
  if (t == "type") {
    Type e;
    e.id = get_u32(m, Path(kMessage, "id"));
    e.namespace_ = schema_of_namespace(get_string(m, Path(kMessage, "namespace")));
    e.name = get_string(m, Path(kMessage, "name"));
    return e;
  }
  if (t == "origin") {
    Origin e;
    e.commit_lsn = get_u64(m, Path(kMessage, "commit_lsn"));
    e.name = get_string(m, Path(kMessage, "name"));
    return e;
  }
  throw EventError("message.type '" + std::string(t) + "' is not a change event type");
}

// --- numbers ---------------------------------------------------------------

// RapidJSON 1.1.0 turns the text of some numbers into wrong doubles, with
// kParseFullPrecisionFlag too: 0e-45 came out 1.8e-12 (a zero significand
// normalized with __builtin_clzll(0), undefined behaviour),
// 184467440737095516156 -2e264 (its significand wrapped around), 1.8e308
// NaN, 2e-324 5e-324; later versions fixed some. So its reader hands the
// numbers over as text (kParseNumbersAsStringsFlag: it still checks their
// syntax, and refuses an exponent or an integer far too large) and
// NumberHandler converts them with std::from_chars, which rounds correctly,
// into what RapidJSON means to store: an integer that fits in 64 bits as
// that integer, any other number as the double nearest to it; too large
// for a double is an error, as RapidJSON says it, and too small is zero.

// Whether a number (JSON syntax, not zero) is 1 or more in magnitude: its
// first nonzero digit's power of ten, exponent included, is not negative.
bool at_least_one(const char *s, const char *end) {
  if (*s == '-') ++s;
  int64_t power = 0;
  const char *p = s;
  while (p < end && *p >= '0' && *p <= '9') ++p;
  if (!(p - s == 1 && *s == '0')) {
    power = p - s - 1;
  } else if (p < end && *p == '.') {
    for (++p, power = -1; p < end && *p == '0'; ++p) --power;
  }
  while (p < end && *p != 'e' && *p != 'E') ++p;
  if (p < end) {
    const bool negative = *++p == '-';
    if (*p == '-' || *p == '+') ++p;
    int64_t exponent = 0;
    for (; p < end && exponent < 1000000000; ++p) exponent = exponent * 10 + (*p - '0');
    power += negative ? -exponent : exponent;
  }
  return power >= 0;
}

// RapidJSON's handler of what its reader finds: the document's own, but
// for numbers, which come as text.
class NumberHandler {
 public:
  using SizeType = rapidjson::SizeType;
  NumberHandler(rapidjson::Document &doc, const char *text) : doc_(doc), text_(text) {}

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool String(const char *s, SizeType n, bool copy) { return doc_.String(s, n, copy); }
  bool Key(const char *s, SizeType n, bool copy) { return doc_.Key(s, n, copy); }
  bool StartObject() { return doc_.StartObject(); }
  bool EndObject(SizeType members) { return doc_.EndObject(members); }
  bool StartArray() { return doc_.StartArray(); }
  bool EndArray(SizeType elements) { return doc_.EndArray(elements); }

  bool RawNumber(const char *s, SizeType n, bool) {
    const char *end = s + n;
    if (std::find_if(s, end, [](char c) { return c == '.' || c == 'e' || c == 'E'; }) == end) {
      // An integer, stored as RapidJSON stores it when it fits in 64 bits.
      if (*s == '-') {
        int64_t i = 0;
        const auto r = std::from_chars(s, end, i);
        if (r.ec == std::errc() && r.ptr == end) return i >= INT32_MIN ? Int(static_cast<int>(i)) : Int64(i);
      } else {
        uint64_t u = 0;
        const auto r = std::from_chars(s, end, u);
        if (r.ec == std::errc() && r.ptr == end) return u <= UINT32_MAX ? Uint(static_cast<unsigned>(u)) : Uint64(u);
      }
    }
    double d = 0;
    const auto r = std::from_chars(s, end, d);
    if (r.ec == std::errc::result_out_of_range) {
      if (at_least_one(s, end)) {
        too_big = static_cast<std::size_t>(s - text_);
        return false;
      }
      d = *s == '-' ? -0.0 : 0.0;
    }
    return Double(d);
  }

  std::optional<std::size_t> too_big;  // where a number too large for a double starts

 private:
  rapidjson::Document &doc_;
  const char *text_;
};

// Parses text in place into doc, as doc.ParseInsitu() would, with numbers
// read by NumberHandler. Returns what went wrong, if anything.
rapidjson::ParseResult parse_in_place(rapidjson::Document &doc, char *text) {
  constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseNumbersAsStringsFlag;
  NumberHandler handler(doc, text);
  rapidjson::InsituStringStream in(text);
  rapidjson::ParseResult result;
  auto read = [&](rapidjson::Document &) {
    thread_local rapidjson::Reader reader;  // made once: it allocates when made
    result = reader.Parse<kFlags>(in, handler);
    return !result.IsError();
  };
  doc.Populate(read);
  if (handler.too_big) result.Set(rapidjson::kParseErrorNumberTooBig, *handler.too_big);
  return result;
}

// Each thread parses into one document whose memory pool starts with a
// buffer kept from call to call, so a usual event allocates nothing for its
// DOM. The text is parsed in place, in a copy kept from call to call too:
// its strings stay where they are, which is much faster than RapidJSON's
// parsing from a bounded buffer.
class Parser {
 public:
  Parser() : buffer_(new char[kBufferSize]), pool_(buffer_.get(), kBufferSize), doc_(&pool_) {}

  // The document of `json` (which holds no NUL byte), valid until the next call.
  const rapidjson::Document &parse(std::string_view json) {
    doc_.SetNull();  // the old DOM lives in the pool and the text: drop it first
    pool_.Clear();   // frees any chunks beyond the buffer
    text_.assign(json.data(), json.size());
    // A float must come out as the double nearest to its text: parse_in_place().
    error_ = parse_in_place(doc_, text_.data());
    return doc_;
  }
  // Why the last parse() failed, if it did.
  const rapidjson::ParseResult &error() const { return error_; }

  // Gives back the memory of a large text once its event has been read (or
  // refused): kept, one huge record would hold its size for the whole run.
  // Forgets a loan that no message kept.
  void release_if_large() noexcept {
    loan_ = {};
    if (text_.capacity() <= kKeptTextBytes) return;
    doc_.SetNull();
    pool_.Clear();
    std::string().swap(text_);
  }

  // A String value that is most of a huge record takes the parser's copy of
  // the record instead of a copy of its own, which would be the third whole
  // copy of the record (after the host's line and the parser's) and decide
  // the sink's memory. True when it did: to holds the whole text, which the
  // DOM still points into, until trim_loan() cuts it to the value's bytes.
  bool lend_text(const char *value, std::size_t size, std::string &to) {
    const bool inside = value >= text_.data() && value < text_.data() + text_.size();
    if (loan_.buffer || !inside || size < kKeptTextBytes || size < text_.size() / 2) return false;
    loan_ = Loan{text_.data(), static_cast<std::size_t>(value - text_.data()), size};
    to = std::move(text_);  // moves the buffer: the DOM's pointers stay valid
    return true;
  }

  // Once the message is read (the DOM is done with): the value that took
  // the text keeps only its own bytes.
  void trim_loan(Message &message) {
    if (!loan_.buffer) return;
    auto trim = [&](Tuple &tuple) {
      for (Value &v : tuple)
        if (v.text.data() == loan_.buffer) {
          std::memmove(v.text.data(), v.text.data() + loan_.offset, loan_.size);
          v.text.resize(loan_.size);
        }
    };
    auto trim_optional = [&](std::optional<Tuple> &tuple) {
      if (tuple) trim(*tuple);
    };
    if (auto *insert = std::get_if<Insert>(&message)) trim(insert->tuple);
    if (auto *update = std::get_if<Update>(&message))
      trim(update->new_tuple), trim_optional(update->old_tuple), trim_optional(update->key_tuple);
    if (auto *del = std::get_if<Delete>(&message)) trim_optional(del->old_tuple), trim_optional(del->key_tuple);
    loan_ = {};
  }

 private:
  static constexpr std::size_t kBufferSize = 16 * 1024;
  static constexpr std::size_t kKeptTextBytes = std::size_t{1} << 20;
  std::unique_ptr<char[]> buffer_;
  rapidjson::MemoryPoolAllocator<> pool_;
  rapidjson::Document doc_;
  rapidjson::ParseResult error_;
  std::string text_;
  struct Loan {
    const char *buffer = nullptr;  // text_'s buffer, now a value's
    std::size_t offset = 0, size = 0;  // where the value's bytes are in it
  } loan_;
};

thread_local Parser t_parser;

void take_string(const Json &x, std::string &text) {
  if (!t_parser.lend_text(x.GetString(), x.GetStringLength(), text)) text.assign(x.GetString(), x.GetStringLength());
}

// The envelope's fields that are there (a reader needs none of them).
void read_envelope(const Json &event, Envelope &envelope) {
  const Path wal_start("wal_start"), wal_end("wal_end"), timestamp("timestamp");
  if (find(event, wal_start)) envelope.wal_start = get_u64(event, wal_start);
  if (find(event, wal_end)) envelope.wal_end = get_u64(event, wal_end);
  if (find(event, timestamp)) envelope.timestamp = get_i64(event, timestamp);
}

// How deep a record may nest arrays and objects. An event nests five deep
// (event, message, tuple, value, RawText's bytes); RapidJSON's parser
// recurses once per level, so a record of a few hundred thousand '[' would
// overflow the stack. Well under the bound, the DOM is shallow too, and the
// pool allocator frees it without walking it.
constexpr std::size_t kMaxDepth = 128;

// How many '[' and '{' s holds, eight bytes at a time.
std::size_t count_openings(std::string_view s) {
  // '[' (0x5b) and '{' (0x7b) differ only in bit 0x20, and no other byte
  // becomes 0x7b with that bit set.
  constexpr uint64_t kOnes = 0x0101010101010101, kHigh = 0x8080808080808080, kLow = 0x7f7f7f7f7f7f7f7f;
  std::size_t n = 0, i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    const uint64_t y = (x | (0x20 * kOnes)) ^ (0x7b * kOnes);  // a zero byte where x has '[' or '{'
    const uint64_t nonzero = (((y & kLow) + kLow) | y) & kHigh;  // the high bit of each nonzero byte
    n += static_cast<std::size_t>((((~nonzero & kHigh) >> 7) * kOnes) >> 56);  // the sum of the byte flags
  }
  for (; i < s.size(); ++i) n += s[i] == '[' || s[i] == '{';
  return n;
}

// Throws EventError if json nests arrays and objects deeper than kMaxDepth.
// Cheap for a usual record: counting its brackets is one quick pass, and
// only a record with more than kMaxDepth of them is scanned (outside
// strings) for its depth.
void check_depth(std::string_view json) {
  if (json.size() <= kMaxDepth || count_openings(json) <= kMaxDepth) return;
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth)
        throw EventError("not valid JSON: nested deeper than " + std::to_string(kMaxDepth) + " levels at byte " +
                         std::to_string(i));
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
}

Message parse(std::string_view json, Envelope *envelope) {
  Parser &parser = t_parser;
  // RapidJSON reads a NUL byte as the end of the text: reject one rather
  // than ignore what follows it.
  if (const void *nul = json.empty() ? nullptr : std::memchr(json.data(), '\0', json.size()))
    throw EventError("not valid JSON: a NUL byte at byte " +
                     std::to_string(static_cast<const char *>(nul) - json.data()));
  check_depth(json);
  struct Release {
    Parser &parser;
    ~Release() { parser.release_if_large(); }
  } release{parser};
  const rapidjson::Document &doc = parser.parse(json);
  if (parser.error().IsError())
    throw EventError(std::string("not valid JSON: ") + rapidjson::GetParseError_En(parser.error().Code()) +
                     " at byte " + std::to_string(parser.error().Offset()));
  if (!doc.IsObject()) throw EventError("not a JSON object");
  auto message = doc.FindMember("message");
  if (message == doc.MemberEnd() || !message->value.IsObject()) throw EventError("no \"message\" object");
  if (envelope) read_envelope(doc, *envelope);
  Message result = read_message(message->value);
  parser.trim_loan(result);
  return result;
}

}  // namespace

std::string schema_of_namespace(std::string_view sent) {
  return sent.empty() ? std::string("pg_catalog") : std::string(sent);
}

Message parse_event(std::string_view json) { return parse(json, nullptr); }

Message parse_event(std::string_view json, Envelope &envelope) {
  envelope = Envelope{};
  return parse(json, &envelope);
}

Message parse_message(std::string_view json) {
  std::string event;
  event.reserve(json.size() + 12);
  event.append("{\"message\":").append(json).append("}");
  return parse_event(event);
}

}  // namespace cn::events
