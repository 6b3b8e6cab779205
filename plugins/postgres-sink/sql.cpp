#include "sql.hpp"

#include <algorithm>

namespace cn::pgsink {

namespace {

// The bytes a text format must escape, as a table: string_view's
// find_first_of would call memchr on the set once per byte of the value,
// and COPY text is most of what the sink builds.
class ByteSet {
 public:
  explicit constexpr ByteSet(std::string_view bytes) : in_() {
    for (char c : bytes) in_[static_cast<unsigned char>(c)] = true;
  }
  constexpr bool has(char c) const { return in_[static_cast<unsigned char>(c)]; }

 private:
  bool in_[256];
};

// Appends text, with each byte of specials written as escape(c) does.
// Clean spans go in whole: most values need no escaping at all.
template <class Escape>
void append_escaped(std::string &out, std::string_view text, const ByteSet &specials, Escape escape) {
  std::size_t from = 0;
  for (std::size_t at = 0; at < text.size(); ++at) {
    if (!specials.has(text[at])) continue;
    out.append(text, from, at - from);
    escape(out, text[at]);
    from = at + 1;
  }
  out.append(text, from, std::string_view::npos);
}

constexpr ByteSet kArraySpecials("\"\\");
constexpr ByteSet kCopySpecials("\\\t\n\r");

}  // namespace

void append_array_element(std::string &literal, const Value &value) {
  if (value.kind != Value::Kind::text) {
    literal += "NULL";
    return;
  }
  literal += '"';
  append_escaped(literal, value.text, kArraySpecials, [](std::string &out, char c) {
    out += '\\';
    out += c;
  });
  literal += '"';
}

bool is_copy_verbatim(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) { return kCopySpecials.has(c); });
}

void append_copy_value(std::string &data, const Value &value) {
  if (value.kind != Value::Kind::text) {
    data += "\\N";
    return;
  }
  append_escaped(data, value.text, kCopySpecials, [](std::string &out, char c) {
    out += '\\';
    out += c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : c;
  });
}

}  // namespace cn::pgsink
