// Building SQL text safely: identifiers are always quoted, values never go
// into SQL text (they travel as parameters, in PostgreSQL array literals).
#ifndef CN_PGSINK_SQL_HPP
#define CN_PGSINK_SQL_HPP

#include <change_events/change_events.hpp>
#include <sql_names.hpp>

#include <string>
#include <string_view>

namespace cn::pgsink {

using events::Value;

using plugins::display;
using plugins::QualifiedName;
using plugins::quote_ident;
using plugins::quoted;

// Appends one element to a PostgreSQL array literal under construction:
// NULL, or the value's text double-quoted with '"' and '\' escaped. The
// caller writes the braces and the commas.
void append_array_element(std::string &literal, const Value &value);

// Appends one value in COPY's text format: \N for NULL, else the text with
// the backslash and every control character escaped (tab, newline and
// carriage return as \t, \n and \r, the others as a backslash before them).
void append_copy_value(std::string &data, const Value &value);

// Whether append_copy_value() appends this text (of a value that is not
// NULL) as it is: it holds no byte COPY's text format escapes.
bool is_copy_verbatim(std::string_view text);

}  // namespace cn::pgsink

#endif
