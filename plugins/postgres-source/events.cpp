// The change events of events.hpp, written straight into the caller's
// string: the hot path (one insert per row of a bulk load) appends to `out`
// and allocates nothing else. Errors are rare and may allocate freely.
#include "events.hpp"

#include <array>
#include <charconv>
#include <stdexcept>

namespace pgsource {
namespace {

// --- type OIDs (pg_type.dat) that get their own value kind ------------------

constexpr uint32_t kBoolOid = 16;
constexpr uint32_t kCharOid = 18;  // the internal one-byte "char"
constexpr uint32_t kNameOid = 19;
constexpr uint32_t kInt8Oid = 20;
constexpr uint32_t kInt2Oid = 21;
constexpr uint32_t kInt4Oid = 23;
constexpr uint32_t kTextOid = 25;
constexpr uint32_t kOidOid = 26;
constexpr uint32_t kFloat4Oid = 700;
constexpr uint32_t kFloat8Oid = 701;
constexpr uint32_t kUnknownOid = 705;
constexpr uint32_t kBpcharOid = 1042;
constexpr uint32_t kVarcharOid = 1043;

// --- numbers ---------------------------------------------------------------

template <typename Int>
void append_decimal(std::string &out, Int n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, end);
}

// "0," .. "255,": the elements of a RawText array, ready to copy.
struct ByteText {
  char text[4];
  uint8_t size;
};
constexpr std::array<ByteText, 256> make_byte_texts() {
  std::array<ByteText, 256> table{};
  for (int b = 0; b < 256; ++b) {
    ByteText &t = table[b];
    if (b >= 100) t.text[t.size++] = static_cast<char>('0' + b / 100);
    if (b >= 10) t.text[t.size++] = static_cast<char>('0' + b / 10 % 10);
    t.text[t.size++] = static_cast<char>('0' + b % 10);
    t.text[t.size++] = ',';
  }
  return table;
}
constexpr std::array<ByteText, 256> kByteTexts = make_byte_texts();

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// PostgreSQL's integer output is an optional '-' and digits without leading
// zeros: JSON's integer syntax, so it is copied as it is. from_chars adds
// the range check of the type (and refuses a '-' for an unsigned one).
template <typename Int>
bool is_integer_text(std::string_view text) {
  const std::size_t first_digit = !text.empty() && text[0] == '-' ? 1 : 0;
  if (text.size() == first_digit) return false;
  if (text[first_digit] == '0' && text.size() > first_digit + 1) return false;
  Int value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

// Whether text is a number by JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
// float4out/float8out write finite values that way ("1.5e-07", "1e+100").
bool is_json_number(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  const auto skip_digits = [&] {
    const std::size_t start = i;
    while (i < n && is_digit(text[i])) ++i;
    return i > start;
  };
  if (i < n && text[i] == '-') ++i;
  if (i < n && text[i] == '0') {
    ++i;
  } else if (!skip_digits()) {
    return false;
  }
  if (i < n && text[i] == '.') {
    ++i;
    if (!skip_digits()) return false;
  }
  if (i < n && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < n && (text[i] == '+' || text[i] == '-')) ++i;
    if (!skip_digits()) return false;
  }
  return i == n;
}

// --- strings ---------------------------------------------------------------

// Bytes that go into a JSON string as they are: printable ASCII except the
// quote and the backslash. Control characters are escaped; bytes >= 0x80 are
// checked as UTF-8 and copied.
constexpr std::array<bool, 256> make_plain_bytes() {
  std::array<bool, 256> plain{};
  for (int b = 0x20; b < 0x80; ++b) plain[b] = b != '"' && b != '\\';
  return plain;
}
constexpr std::array<bool, 256> kPlainBytes = make_plain_bytes();

// The length of the well-formed UTF-8 sequence at p (Unicode's table 3-7:
// no overlong forms, no surrogates, nothing above U+10FFFF), 0 if there is none.
std::size_t utf8_sequence_length(const unsigned char *p, const unsigned char *end) {
  const std::size_t left = static_cast<std::size_t>(end - p);
  const auto continuation = [&](std::size_t i, unsigned char low = 0x80, unsigned char high = 0xBF) {
    return i < left && p[i] >= low && p[i] <= high;
  };
  const unsigned char lead = p[0];
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    const unsigned char low = lead == 0xE0 ? 0xA0 : 0x80, high = lead == 0xED ? 0x9F : 0xBF;
    return continuation(1, low, high) && continuation(2) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    const unsigned char low = lead == 0xF0 ? 0x90 : 0x80, high = lead == 0xF4 ? 0x8F : 0xBF;
    return continuation(1, low, high) && continuation(2) && continuation(3) ? 4 : 0;
  }
  return 0;
}

void append_escape(std::string &out, unsigned char c) {
  out.push_back('\\');
  switch (c) {
    case '"': out.push_back('"'); return;
    case '\\': out.push_back('\\'); return;
    case '\b': out.push_back('b'); return;
    case '\f': out.push_back('f'); return;
    case '\n': out.push_back('n'); return;
    case '\r': out.push_back('r'); return;
    case '\t': out.push_back('t'); return;
    default: {
      static constexpr char kHex[] = "0123456789abcdef";
      const char u[] = {'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out.append(u, sizeof u);
    }
  }
}

// Appends text as a JSON string (quotes included). Non-ASCII characters are
// written as they are, as the samples do. False when text is not UTF-8, which
// no JSON string can carry; out then holds a partial string.
[[nodiscard]] bool append_json_string(std::string &out, std::string_view text) {
  const auto *p = reinterpret_cast<const unsigned char *>(text.data());
  const auto *end = p + text.size();
  out.push_back('"');
  while (p < end) {
    const auto *run = p;
    while (p < end && kPlainBytes[*p]) ++p;
    out.append(reinterpret_cast<const char *>(run), static_cast<std::size_t>(p - run));
    if (p == end) break;
    if (*p < 0x80) {
      append_escape(out, *p++);
      continue;
    }
    const std::size_t length = utf8_sequence_length(p, end);
    if (length == 0) return false;
    out.append(reinterpret_cast<const char *>(p), length);
    p += length;
  }
  out.push_back('"');
  return true;
}

// A name of the catalog (schema, table, column, type, origin).
void append_name(std::string &out, std::string_view name, const char *what) {
  if (!append_json_string(out, name)) throw std::invalid_argument(std::string(what) + " is not valid UTF-8");
}

// --- errors ----------------------------------------------------------------

// A value for an error message: at most ~40 characters, the bytes that are
// not printable ASCII as \xNN so that the message stays one readable line.
std::string shown_value(std::string_view text) {
  constexpr std::size_t kMaxShown = 40;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string shown = "\"";
  for (std::size_t i = 0; i < text.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      shown.push_back(static_cast<char>(c));
    } else {
      shown += "\\x";
      shown.push_back(kHex[c >> 4]);
      shown.push_back(kHex[c & 15]);
    }
  }
  shown += text.size() > kMaxShown ? "\"..." : "\"";
  return shown;
}

std::string table_name(const Relation &relation) { return relation.namespace_ + "." + relation.name; }

[[noreturn]] void throw_bad_value(const Relation &relation, std::size_t column, std::string_view text,
                                  const char *expected) {
  const Column &c = relation.columns[column];
  throw std::invalid_argument("table " + table_name(relation) + ", column \"" + c.name + "\" (type " +
                              std::to_string(c.type_id) + "): " + shown_value(text) + " is not " + expected);
}

// --- values ----------------------------------------------------------------

// The "char" type's byte from charout's text: "" for 0, the byte itself,
// or (PostgreSQL 15 and later, for bytes >= 128) a backslash and 3 octal digits.
bool char_byte(std::string_view text, uint8_t &byte) {
  if (text.size() <= 1) {
    byte = text.empty() ? 0 : static_cast<uint8_t>(text[0]);
    return true;
  }
  const auto octal = [](char c) { return c >= '0' && c <= '7'; };
  if (text.size() != 4 || text[0] != '\\' || text[1] > '3' || !octal(text[1]) || !octal(text[2]) ||
      !octal(text[3])) {
    return false;
  }
  byte = static_cast<uint8_t>((text[1] - '0') << 6 | (text[2] - '0') << 3 | (text[3] - '0'));
  return true;
}

// {"Kind": followed by the number copied from PostgreSQL's text.
template <typename Int>
void append_integer(std::string &out, const Relation &relation, std::size_t column, std::string_view text,
                    const char *kind_open, const char *expected) {
  if (!is_integer_text<Int>(text)) throw_bad_value(relation, column, text, expected);
  out += kind_open;
  out.append(text.data(), text.size());
  out.push_back('}');
}

void append_float(std::string &out, const Relation &relation, std::size_t column, std::string_view text,
                  const char *kind_open) {
  out += kind_open;
  if (text == "NaN" || text == "Infinity" || text == "-Infinity") {
    out += "null";  // the format has no non-finite numbers
  } else if (text == "-0") {
    // A JSON reader may take "-0" for the integer 0 and lose the sign
    // (RapidJSON does); "-0.0" is a float to every reader, as serde writes it.
    out += "-0.0";
  } else if (is_json_number(text)) {
    out.append(text.data(), text.size());
  } else {
    throw_bad_value(relation, column, text, "a float (a number, NaN, Infinity or -Infinity)");
  }
  out.push_back('}');
}

void append_raw_text(std::string &out, std::string_view text) {
  out += "{\"RawText\":[";
  for (const char c : text) {
    const ByteText &b = kByteTexts[static_cast<unsigned char>(c)];
    out.append(b.text, b.size);
  }
  if (!text.empty()) out.pop_back();  // the last ','
  out += "]}";
}

void append_text_value(std::string &out, const Relation &relation, std::size_t column, std::string_view text) {
  switch (relation.columns[column].type_id) {
    case kBoolOid:
      if (text == "t") {
        out += "{\"Bool\":true}";
      } else if (text == "f") {
        out += "{\"Bool\":false}";
      } else {
        throw_bad_value(relation, column, text, "a bool ('t' or 'f')");
      }
      return;
    case kCharOid: {
      uint8_t byte = 0;
      if (!char_byte(text, byte)) throw_bad_value(relation, column, text, "a \"char\" (one byte or \\ooo)");
      out += "{\"Char\":";
      append_decimal(out, static_cast<int8_t>(byte));
      out.push_back('}');
      return;
    }
    case kInt2Oid: return append_integer<int16_t>(out, relation, column, text, "{\"Int2\":", "an int2");
    case kInt4Oid: return append_integer<int32_t>(out, relation, column, text, "{\"Int4\":", "an int4");
    case kInt8Oid: return append_integer<int64_t>(out, relation, column, text, "{\"Int8\":", "an int8");
    case kOidOid: return append_integer<uint32_t>(out, relation, column, text, "{\"Oid\":", "an oid");
    case kFloat4Oid: return append_float(out, relation, column, text, "{\"Float4\":");
    case kFloat8Oid: return append_float(out, relation, column, text, "{\"Float8\":");
    case kVarcharOid:
    case kTextOid:
    case kBpcharOid:
    case kNameOid:
    case kUnknownOid:
      out += "{\"String\":";
      if (!append_json_string(out, text)) throw_bad_value(relation, column, text, "valid UTF-8");
      out.push_back('}');
      return;
    default: return append_raw_text(out, text);
  }
}

void append_value(std::string &out, const Relation &relation, std::size_t column, const Datum &datum) {
  switch (datum.kind) {
    case Datum::Kind::null: out += "\"Null\""; return;
    case Datum::Kind::unchanged_toast: out += "\"UnchangedToast\""; return;
    case Datum::Kind::text: return append_text_value(out, relation, column, datum.text);
  }
  throw std::invalid_argument("table " + table_name(relation) + ": a value of unknown kind");
}

void append_row(std::string &out, const Relation &relation, const Row &row) {
  if (row.size() != relation.columns.size()) {
    throw std::invalid_argument("table " + table_name(relation) + ": a row of " + std::to_string(row.size()) +
                                " values for " + std::to_string(relation.columns.size()) + " columns");
  }
  out.push_back('[');
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i) out.push_back(',');
    append_value(out, relation, i, row[i]);
  }
  out.push_back(']');
}

void append_optional_row(std::string &out, const Relation &relation, const Row *row) {
  if (row) {
    append_row(out, relation, *row);
  } else {
    out += "null";
  }
}

const char *replica_identity_name(char letter) {
  switch (letter) {
    case 'd': return "Default";
    case 'n': return "Nothing";
    case 'f': return "Full";
    case 'i': return "Index";
  }
  throw std::invalid_argument(std::string("replica identity '") + letter + "' is none of d, n, f, i");
}

// --- the envelope ------------------------------------------------------------

// Writes the envelope and the message's type; close() ends both objects.
// An event that throws before close() is taken back out of `out`, so that a
// caller never finds half an event in its buffer.
class EventWriter {
 public:
  EventWriter(std::string &out, const Envelope &e, const char *type) : out_(out), start_(out.size()) {
    out_ += "{\"wal_start\":";
    append_decimal(out_, e.wal_start);
    out_ += ",\"wal_end\":";
    append_decimal(out_, e.wal_end);
    out_ += ",\"timestamp\":";
    append_decimal(out_, e.timestamp);
    out_ += ",\"message\":{\"type\":\"";
    out_ += type;
    out_.push_back('"');
  }
  EventWriter(const EventWriter &) = delete;
  EventWriter &operator=(const EventWriter &) = delete;
  ~EventWriter() {
    if (!closed_) out_.resize(start_);
  }

  // ,"key": - the next field's value follows.
  std::string &field(const char *key) {
    out_ += ",\"";
    out_ += key;
    out_ += "\":";
    return out_;
  }
  template <typename Int>
  void number(const char *key, Int n) {
    append_decimal(field(key), n);
  }
  void close() {
    out_ += "}}";
    closed_ = true;
  }

 private:
  std::string &out_;
  const std::size_t start_;
  bool closed_ = false;
};

void append_column(std::string &out, const Column &column) {
  out += "{\"flags\":";
  append_decimal(out, column.flags);
  out += ",\"name\":";
  append_name(out, column.name, "a column name");
  out += ",\"type_id\":";
  // FORMAT.md (after Fluvio) has type_id as an i32: an OID above 2^31 - 1
  // comes out negative, as it does there.
  append_decimal(out, static_cast<int32_t>(column.type_id));
  out += ",\"type_modifier\":";
  append_decimal(out, column.type_modifier);
  out.push_back('}');
}

}  // namespace

void append_begin(std::string &out, const Envelope &e, uint64_t final_lsn, int64_t commit_time, uint32_t xid) {
  EventWriter w(out, e, "begin");
  w.number("final_lsn", final_lsn);
  w.number("timestamp", commit_time);
  w.number("xid", xid);
  w.close();
}

void append_commit(std::string &out, const Envelope &e, int8_t flags, uint64_t commit_lsn, uint64_t end_lsn,
                   int64_t commit_time) {
  EventWriter w(out, e, "commit");
  w.number("flags", flags);
  w.number("commit_lsn", commit_lsn);
  w.number("end_lsn", end_lsn);
  w.number("timestamp", commit_time);
  w.close();
}

void append_origin(std::string &out, const Envelope &e, uint64_t commit_lsn, std::string_view name) {
  EventWriter w(out, e, "origin");
  w.number("commit_lsn", commit_lsn);
  append_name(w.field("name"), name, "the origin name");
  w.close();
}

void append_relation(std::string &out, const Envelope &e, const Relation &relation) {
  EventWriter w(out, e, "relation");
  w.number("rel_id", relation.rel_id);
  append_name(w.field("namespace"), relation.namespace_, "the namespace");
  append_name(w.field("name"), relation.name, "the relation name");
  w.field("replica_identity") += '"';
  out += replica_identity_name(relation.replica_identity);
  out += '"';
  w.field("columns") += '[';
  for (std::size_t i = 0; i < relation.columns.size(); ++i) {
    if (i) out.push_back(',');
    append_column(out, relation.columns[i]);
  }
  out.push_back(']');
  w.close();
}

void append_type(std::string &out, const Envelope &e, uint32_t type_id, std::string_view namespace_,
                 std::string_view name) {
  EventWriter w(out, e, "type");
  w.number("id", type_id);
  append_name(w.field("namespace"), namespace_, "the type's namespace");
  append_name(w.field("name"), name, "the type name");
  w.close();
}

void append_insert(std::string &out, const Envelope &e, const Relation &relation, const Row &row) {
  EventWriter w(out, e, "insert");
  w.number("rel_id", relation.rel_id);
  append_row(w.field("tuple"), relation, row);
  w.close();
}

void append_update(std::string &out, const Envelope &e, const Relation &relation, const Row *old_row,
                   const Row *key_row, const Row &new_row) {
  EventWriter w(out, e, "update");
  w.number("rel_id", relation.rel_id);
  append_optional_row(w.field("old_tuple"), relation, old_row);
  append_optional_row(w.field("key_tuple"), relation, key_row);
  append_row(w.field("new_tuple"), relation, new_row);
  w.close();
}

void append_delete(std::string &out, const Envelope &e, const Relation &relation, const Row *old_row,
                   const Row *key_row) {
  EventWriter w(out, e, "delete");
  w.number("rel_id", relation.rel_id);
  append_optional_row(w.field("old_tuple"), relation, old_row);
  append_optional_row(w.field("key_tuple"), relation, key_row);
  w.close();
}

void append_truncate(std::string &out, const Envelope &e, int8_t options, const std::vector<uint32_t> &rel_ids) {
  EventWriter w(out, e, "truncate");
  w.number("options", options);
  w.field("rel_ids") += '[';
  for (std::size_t i = 0; i < rel_ids.size(); ++i) {
    if (i) out.push_back(',');
    append_decimal(out, rel_ids[i]);
  }
  out.push_back(']');
  w.close();
}

}  // namespace pgsource
