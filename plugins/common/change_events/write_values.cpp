// Writing the values of change events (docs/change-events.md) from
// PostgreSQL's text form: numbers checked and copied, strings escaped and
// checked as UTF-8, bytes as RawText. The hot path appends to `out` and
// allocates nothing else; errors are rare and may allocate freely.
#include "write_values.hpp"
#include "type_oids.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

namespace cn::events::detail {
namespace {

// --- numbers ---------------------------------------------------------------

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

// Whether a float's text, a JSON number, reads back as a number of its
// type (read.cpp): RapidJSON's reader refuses an integer part of more than
// 308 digits and a positive exponent above 308 plus the digits after the
// point (whatever the digits: "0e+400" too), ours a number too large for a
// double, and for a float4 one that rounds to an infinite float. Only a number with 38 digits or more
// before its point, or with a positive exponent, can be that large: the
// others are not converted here. (float4out and float8out write none of
// these; a text that is one would make an event no sink can read.)
bool float_in_range(std::string_view text, bool four_bytes) {
  const std::size_t exponent_at = text.find_first_of("eE");
  const std::string_view mantissa = text.substr(0, exponent_at);
  const std::size_t sign = mantissa[0] == '-' ? 1 : 0;
  const std::size_t int_digits = std::min(mantissa.find('.'), mantissa.size()) - sign;
  if (int_digits > 308) return false;
  const bool positive_exponent = exponent_at != std::string_view::npos && text[exponent_at + 1] != '-';
  if (positive_exponent) {
    const std::size_t point = mantissa.find('.');
    const std::size_t fraction_digits = point == std::string_view::npos ? 0 : mantissa.size() - point - 1;
    std::string_view digits = text.substr(exponent_at + 1);
    if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
    uint64_t exponent = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), exponent);
    if (error != std::errc() || exponent > 308 + fraction_digits) return false;
  }
  if (int_digits < 38 && !positive_exponent) return true;
  double d = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (error != std::errc() || end != text.data() + text.size()) return false;  // too large (or too small)
  constexpr double kFloat4TooBig = 0x1.ffffffp+127;  // FLT_MAX plus half an ulp: rounds to infinity
  return !four_bytes || std::fabs(d) < kFloat4TooBig;
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
  throw EventError("table " + table_name(relation) + ", column \"" + c.name + "\" (type " +
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
                  const char *kind_open, bool four_bytes) {
  out += kind_open;
  if (text == "NaN" || text == "Infinity" || text == "-Infinity") {
    out += "null";  // the format has no non-finite numbers
  } else if (text == "-0") {
    // A JSON reader may take "-0" for the integer 0 and lose the sign
    // (RapidJSON does); "-0.0" is a float to every reader, as serde writes it.
    out += "-0.0";
  } else if (is_json_number(text)) {
    if (!float_in_range(text, four_bytes))
      throw_bad_value(relation, column, text, four_bytes ? "within float4's range" : "within float8's range");
    out.append(text.data(), text.size());
  } else {
    throw_bad_value(relation, column, text, "a float (a number, NaN, Infinity or -Infinity)");
  }
  out.push_back('}');
}

void append_raw_text(std::string &out, std::string_view text) {
  out += "{\"RawText\":[";
  // Room for the longest texts first, then each byte's text copied as 4
  // bytes (what follows its comma is overwritten by the next): an append
  // per byte was most of what writing a wide row cost.
  const std::size_t start = out.size();
  out.resize(start + 4 * text.size());
  char *end = out.data() + start;
  for (const char c : text) {
    const ByteText &b = kByteTexts[static_cast<unsigned char>(c)];
    std::memcpy(end, b.text, sizeof b.text);
    end += b.size;
  }
  if (!text.empty()) --end;  // the last ','
  out.resize(static_cast<std::size_t>(end - out.data()));
  out += "]}";
}

void append_text_value(std::string &out, const Relation &relation, std::size_t column, std::string_view text) {
  switch (relation.columns[column].type_id) {
    case oid::kBool:
      if (text == "t") {
        out += "{\"Bool\":true}";
      } else if (text == "f") {
        out += "{\"Bool\":false}";
      } else {
        throw_bad_value(relation, column, text, "a bool ('t' or 'f')");
      }
      return;
    case oid::kChar: {
      uint8_t byte = 0;
      if (!char_byte(text, byte)) throw_bad_value(relation, column, text, "a \"char\" (one byte or \\ooo)");
      out += "{\"Char\":";
      append_decimal(out, static_cast<int8_t>(byte));
      out.push_back('}');
      return;
    }
    case oid::kInt2: return append_integer<int16_t>(out, relation, column, text, "{\"Int2\":", "an int2");
    case oid::kInt4: return append_integer<int32_t>(out, relation, column, text, "{\"Int4\":", "an int4");
    case oid::kInt8: return append_integer<int64_t>(out, relation, column, text, "{\"Int8\":", "an int8");
    case oid::kOid: return append_integer<uint32_t>(out, relation, column, text, "{\"Oid\":", "an oid");
    case oid::kFloat4: return append_float(out, relation, column, text, "{\"Float4\":", true);
    case oid::kFloat8: return append_float(out, relation, column, text, "{\"Float8\":", false);
    case oid::kVarchar:
    case oid::kText:
    case oid::kBpchar:
    case oid::kName:
    case oid::kUnknown:
      out += "{\"String\":";
      if (!append_json_string(out, text)) throw_bad_value(relation, column, text, "valid UTF-8");
      out.push_back('}');
      return;
    default: return append_raw_text(out, text);
  }
}

void append_value(std::string &out, const Relation &relation, std::size_t column, const ValueView &value) {
  switch (value.kind) {
    case ValueKind::null: out += "\"Null\""; return;
    case ValueKind::unchanged_toast: out += "\"UnchangedToast\""; return;
    case ValueKind::text: return append_text_value(out, relation, column, value.text);
  }
  throw EventError("table " + table_name(relation) + ": a value of unknown kind");
}

}  // namespace

// A name of the catalog (schema, table, column, type, origin).
void append_name(std::string &out, std::string_view name, const char *what) {
  if (!append_json_string(out, name)) throw EventError(std::string(what) + " is not valid UTF-8");
}

void append_tuple(std::string &out, const Relation &relation, const TupleView &tuple) {
  if (tuple.size() != relation.columns.size()) {
    throw EventError("table " + table_name(relation) + ": a row of " + std::to_string(tuple.size()) +
                     " values for " + std::to_string(relation.columns.size()) + " columns");
  }
  out.push_back('[');
  for (std::size_t i = 0; i < tuple.size(); ++i) {
    if (i) out.push_back(',');
    append_value(out, relation, i, tuple[i]);
  }
  out.push_back(']');
}

void append_optional_tuple(std::string &out, const Relation &relation, const TupleView *tuple) {
  if (tuple) {
    append_tuple(out, relation, *tuple);
  } else {
    out += "null";
  }
}

}  // namespace cn::events::detail
