// The reader's fast path: a record exactly as this project's writer writes
// it (write.cpp: fields in its order, no spaces, strings without escapes,
// RawText as bytes) read in one pass, without RapidJSON's DOM. Anything
// else - another field order, spaces, an escape, a relation or any rarer
// message, a record of 1 MiB or more, anything invalid - is left to the
// general reader (read.cpp), which is the format's definition and gives
// every error. Both paths give the same message for a record the fast one
// reads (tests/unit/change_events_read_test.cpp, fuzz/change_events_fuzz.cpp).
// Internal to cn_change_events.
#ifndef CN_CHANGE_EVENTS_READ_CANONICAL_HPP
#define CN_CHANGE_EVENTS_READ_CANONICAL_HPP

#include "change_events.hpp"

#include <optional>
#include <string_view>

namespace cn::events::detail {

// The message of `json` and its envelope's fields, or nullopt (envelope
// untouched) when the record is not in the writer's exact form.
std::optional<Message> read_canonical(std::string_view json, Envelope &envelope);

// parse_event without the fast path: the general reader alone.
Message read_general(std::string_view json, Envelope &envelope);

}  // namespace cn::events::detail

#endif
