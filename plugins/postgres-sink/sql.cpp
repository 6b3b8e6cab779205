#include "sql.hpp"

#include <byte_scan.hpp>

namespace cn::pgsink {

namespace {

// What a text[] element's double quotes and COPY text escape. COPY must
// escape the backslash, tab, newline and carriage return; it escapes every
// control character, since one flag for all bytes below 0x20 is half the
// work of three for those (a backslash before any other control character
// stands for that character).
using ArraySpecials = plugins::ByteSet<false, '"', '\\'>;
using CopySpecials = plugins::ByteSet<true, '\\'>;

// Appends text, with each byte of Specials written as escape(c) does.
// Clean spans go in whole: most values need no escaping at all.
template <class Specials, class Escape>
void append_escaped(std::string &out, std::string_view text, Specials specials, Escape escape) {
  const char *from = text.data(), *const end = from + text.size();
  for (const char *p; (p = plugins::find_first_of(from, end, specials)) != end; from = p + 1) {
    out.append(from, static_cast<std::size_t>(p - from));
    escape(out, *p);
  }
  out.append(from, static_cast<std::size_t>(end - from));
}

}  // namespace

void append_array_element(std::string &literal, const Value &value) {
  if (value.kind != Value::Kind::text) {
    literal += "NULL";
    return;
  }
  literal += '"';
  append_escaped(literal, value.text, ArraySpecials{}, [](std::string &out, char c) {
    out += '\\';
    out += c;
  });
  literal += '"';
}

bool is_copy_verbatim(std::string_view text) {
  return plugins::find_first_of(text.data(), text.data() + text.size(), CopySpecials{}) == text.data() + text.size();
}

void append_copy_value(std::string &data, const Value &value) {
  if (value.kind != Value::Kind::text) {
    data += "\\N";
    return;
  }
  append_escaped(data, value.text, CopySpecials{}, [](std::string &out, char c) {
    out += '\\';
    out += c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : c;
  });
}

}  // namespace cn::pgsink
