// Inside the change-event writer: the value-level pieces that the message
// writers (write.cpp) share with the values' writer (write_values.cpp). Not
// part of the library's interface.
#ifndef CN_CHANGE_EVENTS_WRITE_VALUES_HPP
#define CN_CHANGE_EVENTS_WRITE_VALUES_HPP

#include "change_events.hpp"

#include <charconv>
#include <string>
#include <string_view>

namespace cn::events::detail {

template <typename Int>
void append_decimal(std::string &out, Int n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, end);
}

// Appends a name of the catalog (schema, table, column, type, origin) as a
// JSON string. Throws EventError "<what> is not valid UTF-8".
void append_name(std::string &out, std::string_view name, const char *what);

// Appends a tuple as a JSON array, each value by its column's type (see
// change_events.hpp); append_optional_tuple writes null for nullptr.
void append_tuple(std::string &out, const Relation &relation, const TupleView &tuple);
void append_optional_tuple(std::string &out, const Relation &relation, const TupleView *tuple);

}  // namespace cn::events::detail

#endif
