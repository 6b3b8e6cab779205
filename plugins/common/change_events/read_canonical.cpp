#include "read_canonical.hpp"
#include "spare_tuples.hpp"
#include "value_text.hpp"

#include <byte_scan.hpp>

#include <charconv>
#include <cstring>
#include <iterator>
#include <limits>
#include <type_traits>
#include <vector>

namespace cn::events::detail {
namespace {

// The most a record may be for the fast path: a larger one is left to the
// general reader, which lends a huge value the record's memory.
constexpr std::size_t kMaxRecordBytes = std::size_t{1} << 20;
// The longest float text the fast path reads: the writer's longest is 24
// characters (-1.7976931348623157e+308).
constexpr std::size_t kMaxFloatText = 32;
constexpr std::size_t kUsualRowValues = 8;
constexpr uint64_t kPowersOf10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

// A cursor over the record; every read returns false, leaving the record to
// the general reader, at the first byte that is not the writer's form.
// Values are read into the Value given, keeping its text's room.
class Cursor {
 public:
  explicit Cursor(std::string_view json) : p_(json.data()), end_(json.data() + json.size()) {}

  bool at_end() const { return p_ == end_; }
  // The byte at the cursor; 0 at the end (no literal starts with it).
  char next_byte() const { return p_ < end_ ? *p_ : '\0'; }

  // The literal's size is a constant, so that it is compared in place: 8
  // bytes at a time from 8 bytes on (the last word overlapping the one
  // before), where memcmp was called; a tenth of reading a pgbench event.
  template <std::size_t N>
  bool literal(const char (&s)[N]) {
    constexpr std::size_t size = N - 1;
    if (static_cast<std::size_t>(end_ - p_) < size) return false;
    if constexpr (size >= 8) {
      using plugins::load_word;
      uint64_t differ = load_word(p_ + size - 8) ^ load_word(s + size - 8);
      for (std::size_t i = 0; i + 8 < size; i += 8) differ |= load_word(p_ + i) ^ load_word(s + i);
      if (differ) return false;
    } else if (std::memcmp(p_, s, size) != 0) {
      return false;
    }
    p_ += size;
    return true;
  }

  // An integer of type Int, in JSON's syntax, and no fraction or exponent.
  // Read here, 8 digits a word: up to 19 digits cannot overflow 64 bits,
  // and every record has several (its positions); from_chars, after
  // number() had scanned them, cost a fifth of the reader's instructions.
  // 20 digits and more take that way still.
  template <typename Int>
  bool integer(Int &n) {
    constexpr std::size_t kSafeDigits = 19;
    const char *p = p_;
    const bool negative = p < end_ && *p == '-';
    if (negative && std::is_unsigned_v<Int>) return false;  // not even -0, as from_chars has it
    p += negative;
    const char *const first = p;
    uint64_t magnitude = 0;
    // Two words of digits at most (16 digits), while the record has 8 bytes
    // left; the rest one digit at a time.
    while (p - first < 16 && end_ - p >= 8) {
      const uint64_t word = plugins::load_word(p);
      const unsigned count = plugins::leading_digits(word);
      if (count == 0) break;
      magnitude = magnitude * kPowersOf10[count] + plugins::digits_value(word, count);
      p += count;
      if (count < 8) break;
    }
    while (p < end_ && static_cast<std::size_t>(p - first) < kSafeDigits && is_digit(*p))
      magnitude = magnitude * 10 + static_cast<unsigned>(*p++ - '0');
    if (p == first || (*first == '0' && p - first > 1)) return false;  // no digit, a leading zero
    if (p < end_ && is_digit(*p)) return long_integer(n);
    if (p < end_ && (*p == '.' || *p == 'e' || *p == 'E')) return false;  // not integral
    const auto max = static_cast<uint64_t>(std::numeric_limits<Int>::max());
    if constexpr (std::is_signed_v<Int>) {
      if (negative) {
        if (magnitude > max + 1) return false;
        n = magnitude == 0 ? 0 : static_cast<Int>(-static_cast<int64_t>(magnitude - 1) - 1);
        p_ = p;
        return true;
      }
    }
    if (magnitude > max) return false;
    n = static_cast<Int>(magnitude);
    p_ = p;
    return true;
  }

  // A JSON number's text: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?;
  // integral when it has neither fraction nor exponent; huge_exponent when
  // its exponent is positive and over 308.
  bool number(std::string_view &token, bool &integral, bool *huge_exponent = nullptr) {
    const char *start = p_;
    integral = true;
    if (p_ < end_ && *p_ == '-') ++p_;
    if (p_ < end_ && *p_ == '0') {
      ++p_;
    } else if (!digits()) {
      return false;
    }
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      integral = false;
      if (!digits()) return false;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      integral = false;
      const bool negative = p_ < end_ && *p_ == '-';
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      const char *exponent = p_;
      if (!digits()) return false;
      if (huge_exponent) {
        while (exponent < p_ - 1 && *exponent == '0') ++exponent;
        *huge_exponent = !negative && (p_ - exponent > 3 || (p_ - exponent == 3 && std::memcmp(exponent, "308", 3) > 0));
      }
    }
    token = std::string_view(start, static_cast<std::size_t>(p_ - start));
    return true;
  }

  // A string without escapes or control characters (which JSON forbids
  // unescaped), after its opening quote.
  bool string_body(std::string &out) {
    const char *start = p_;
    p_ = plugins::find_first_of(p_, end_, plugins::ByteSet<true, '"', '\\'>{});
    if (p_ == end_ || *p_ != '"') return false;  // an escape, a control character, no end
    out.assign(start, static_cast<std::size_t>(p_ - start));
    ++p_;
    return true;
  }

  // RawText's bytes, after the '['.
  bool bytes(std::string &out) {
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      out.clear();
      return true;
    }
    out.clear();
    const char *close = decode_byte_array(p_, end_, out);
    if (!close) return false;
    p_ = close + 1;
    return true;
  }

  bool value(Value &out);
  bool tuple(Tuple &out);
  bool optional_tuple(std::optional<Tuple> &out) {
    if (!literal("null")) return tuple(out.emplace());
    out.reset();
    return true;
  }

 private:
  static bool is_digit(char c) { return static_cast<unsigned char>(c - '0') <= 9; }

  // integer() of 20 digits or more.
  template <typename Int>
  bool long_integer(Int &n) {
    std::string_view token;
    bool integral = false;
    if (!number(token, integral) || !integral) return false;
    const auto r = std::from_chars(token.data(), token.data() + token.size(), n);
    return r.ec == std::errc() && r.ptr == token.data() + token.size();
  }

  bool digits() {
    const char *start = p_;
    while (p_ < end_ && is_digit(*p_)) ++p_;
    return p_ > start;
  }

  // The integer's text is as the record writes it, which integer() takes
  // only in the shortest form (no leading zero, no '+'), but -0 as 0.
  template <typename Int>
  bool integer_value(Value &out) {
    const char *const start = p_;
    Int n = 0;
    if (!integer(n)) return false;
    set_text(out, n == 0 ? std::string_view("0") : std::string_view(start, static_cast<std::size_t>(p_ - start)));
    return true;
  }
  template <typename Float>
  bool floating(Value &out);

  const char *p_;
  const char *const end_;
};

// Float8 or Float4: a number, or null for a non-finite one.
template <typename Float>
bool Cursor::floating(Value &out) {
  if (literal("null")) {
    set_text(out, kNonFinite);
    return true;
  }
  std::string_view token;
  bool integral = false, huge_exponent = false;
  if (!number(token, integral, &huge_exponent)) return false;
  // RapidJSON refuses some numbers that from_chars reads, as too big: a
  // positive exponent over 308 plus (some of) the fraction's digits, 0e309
  // too; a significand of 308 digits and more. Any positive exponent over
  // 308 is left to it, and a long text.
  if (token.size() > kMaxFloatText || huge_exponent) return false;
  const char *const first = token.data(), *const last = first + token.size();
  double d = 0;
  // As the general reader has it (json_document.cpp): an integer that fits
  // in 64 bits is that integer (so -0 is 0), any other number the double
  // nearest to its text; one too large or too small for a double is left
  // to its rules.
  int64_t i = 0;
  uint64_t u = 0;
  if (integral && *first == '-' && std::from_chars(first, last, i).ec == std::errc()) {
    d = static_cast<double>(i);
  } else if (integral && *first != '-' && std::from_chars(first, last, u).ec == std::errc()) {
    d = static_cast<double>(u);
  } else if (const auto r = std::from_chars(first, last, d); r.ec != std::errc() || r.ptr != last) {
    return false;
  }
  if constexpr (sizeof(Float) == sizeof(float)) {
    float f = 0;
    if (!to_float(d, f)) return false;
    set_number(out, f);
  } else {
    set_number(out, d);
  }
  return true;
}

bool Cursor::value(Value &out) {
  // Chosen by the byte that tells the kinds apart, so that a value is held
  // against its own literals only: a chain of every kind's literal in turn
  // was a twentieth of reading an insert.
  if (next_byte() == '"') {
    if (literal("\"Null\"")) {
      set_kind(out, Value::Kind::null);
      return true;
    }
    if (literal("\"UnchangedToast\"")) {
      set_kind(out, Value::Kind::unchanged_toast);
      return true;
    }
    return false;
  }
  if (!literal("{\"")) return false;
  bool ok = false;
  switch (next_byte()) {
    case 'S':
      if (literal("String\":\"")) {
        out.kind = Value::Kind::text;
        ok = string_body(out.text);
      }
      break;
    case 'R':
      if (literal("RawText\":[")) {
        out.kind = Value::Kind::text;
        ok = bytes(out.text);
      }
      break;
    case 'I':
      if (literal("Int4\":")) {
        ok = integer_value<int32_t>(out);
      } else if (literal("Int8\":")) {
        ok = integer_value<int64_t>(out);
      } else if (literal("Int2\":")) {
        ok = integer_value<int16_t>(out);
      }
      break;
    case 'B':
      if (literal("Bool\":")) {
        const bool t = literal("true");
        ok = t || literal("false");
        if (ok) set_text(out, t ? "t" : "f");
      }
      break;
    case 'F':
      if (literal("Float8\":")) {
        ok = floating<double>(out);
      } else if (literal("Float4\":")) {
        ok = floating<float>(out);
      }
      break;
    case 'O':
      if (literal("Oid\":")) ok = integer_value<uint32_t>(out);
      break;
    case 'C':
      if (literal("Char\":")) {
        int8_t c = 0;
        ok = integer(c);
        if (ok) set_char(out, c);
      }
      break;
    default:
      break;
  }
  return ok && literal("}");
}

// Into a tuple handed back earlier (recycle()) where there is one, so that
// its values' room is used again.
bool Cursor::tuple(Tuple &out) {
  if (!literal("[")) return false;
  out = take_spare_tuple();
  // Room for a usual row at once: a tuple grown from one value (two, four,
  // then six for pgbench's history) cost 4% of reading pgbench's events.
  if (out.capacity() < kUsualRowValues) out.reserve(kUsualRowValues);
  std::size_t size = 0;
  if (!literal("]")) {
    do {
      if (size == out.size()) out.emplace_back();
      if (!value(out[size++])) return false;
    } while (literal(","));
    if (!literal("]")) return false;
  }
  out.resize(size);
  return true;
}

// ---- messages ------------------------------------------------------------------

bool read_message(Cursor &c, Message &out) {
  if (c.literal("insert\",\"rel_id\":")) {
    Insert &e = out.emplace<Insert>();
    return c.integer(e.rel_id) && c.literal(",\"tuple\":") && c.tuple(e.tuple);
  }
  if (c.literal("update\",\"rel_id\":")) {
    Update &e = out.emplace<Update>();
    return c.integer(e.rel_id) && c.literal(",\"old_tuple\":") && c.optional_tuple(e.old_tuple) &&
           c.literal(",\"key_tuple\":") && c.optional_tuple(e.key_tuple) && c.literal(",\"new_tuple\":") &&
           c.tuple(e.new_tuple);
  }
  if (c.literal("begin\",\"final_lsn\":")) {
    Begin &e = out.emplace<Begin>();
    return c.integer(e.final_lsn) && c.literal(",\"timestamp\":") && c.integer(e.timestamp) &&
           c.literal(",\"xid\":") && c.integer(e.xid);
  }
  if (c.literal("commit\",\"flags\":")) {
    Commit &e = out.emplace<Commit>();
    return c.integer(e.flags) && c.literal(",\"commit_lsn\":") && c.integer(e.commit_lsn) &&
           c.literal(",\"end_lsn\":") && c.integer(e.end_lsn) && c.literal(",\"timestamp\":") && c.integer(e.timestamp);
  }
  if (c.literal("delete\",\"rel_id\":")) {
    Delete &e = out.emplace<Delete>();
    // Neither tuple: an error the general reader words.
    return c.integer(e.rel_id) && c.literal(",\"old_tuple\":") && c.optional_tuple(e.old_tuple) &&
           c.literal(",\"key_tuple\":") && c.optional_tuple(e.key_tuple) && (e.old_tuple || e.key_tuple);
  }
  return false;  // relation, type, truncate, origin: rare, left to the general reader
}

}  // namespace

std::optional<Message> read_canonical(std::string_view json, Envelope &envelope) {
  if (json.size() >= kMaxRecordBytes) return std::nullopt;
  Cursor c(json);
  Envelope e;
  std::optional<Message> message(std::in_place);
  if (c.literal("{\"wal_start\":") && c.integer(e.wal_start) && c.literal(",\"wal_end\":") && c.integer(e.wal_end) &&
      c.literal(",\"timestamp\":") && c.integer(e.timestamp) && c.literal(",\"message\":{\"type\":\"") &&
      read_message(c, *message) && c.literal("}}") && c.at_end()) {
    envelope = e;
    return message;
  }
  return std::nullopt;
}

}  // namespace cn::events::detail
