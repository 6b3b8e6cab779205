// A value's PostgreSQL text form from what an event holds, shared by both
// paths of the reader (read.cpp, read_canonical.cpp) so that they cannot
// disagree. Internal to cn_change_events.
#ifndef CN_CHANGE_EVENTS_VALUE_TEXT_HPP
#define CN_CHANGE_EVENTS_VALUE_TEXT_HPP

#include "change_events.hpp"

#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace cn::events::detail {

// Setters that keep out's text's room (a Value assigned anew would not).
inline void set_kind(Value &out, Value::Kind kind) {
  out.kind = kind;
  out.text.clear();
}
inline void set_text(Value &out, std::string_view text) {
  out.kind = Value::Kind::text;
  out.text.assign(text);
}

// A number's text: the shortest round-trip form for floats.
template <typename T>
void set_number(Value &out, T number) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, number);
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
inline bool to_float(double d, float &f) {
  constexpr double kTooBig = 0x1.ffffffp+127;  // FLT_MAX plus half an ulp: rounds to infinity
  if (std::fabs(d) >= kTooBig) return false;
  f = std::fabs(d) > FLT_MAX ? (d > 0 ? FLT_MAX : -FLT_MAX) : static_cast<float>(d);
  return true;
}

// The byte of the internal "char" type, in the text form charin reads:
// nothing for 0, the character itself for 1..127, and for 128..255 the
// escape \ooo (three octal digits) of PostgreSQL 15.
inline void set_char(Value &out, int8_t c) {
  const unsigned byte = static_cast<uint8_t>(c);
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
}

// RawText's bytes as the writer writes them ("RawText":[50,48,...]): the
// array's elements from `from` on, integers 0..255 without sign, leading
// zero or spaces, then ']'. Appends the bytes to `to` and returns where
// the ']' is; null (to as it was) for anything else. One pass, reading no
// further than 64 bytes past the array's elements (and never past end), so
// that a record of many such openings costs one pass too. Reads as fast
// as this CPU can. (byte_array.cpp)
const char *decode_byte_array(const char *from, const char *end, std::string &to);

// The ways of reading those arrays, each with the same result: element by
// element (any CPU), 16 bytes a block (x86-64 with SSSE3), 64 bytes a
// block (x86-64 with AVX-512 VBMI2). Tests run every way the CPU has.
enum class ByteArrayReading { element_by_element, sixteen_bytes_a_block, sixty_four_bytes_a_block };
// The ways this CPU has, slowest first; decode_byte_array takes the last.
std::vector<ByteArrayReading> byte_array_readings();
// As decode_byte_array, in one of byte_array_readings()'s ways.
const char *decode_byte_array(const char *from, const char *end, std::string &to, ByteArrayReading how);

}  // namespace cn::events::detail

#endif
