// The room of tuples handed back with recycle() (change_events.hpp), kept
// per thread for the reader of that thread to read the next tuples into,
// and for spare_tuple(): a value's text assigned into a string that has
// room already allocates nothing. Internal to cn_change_events.
#ifndef CN_CHANGE_EVENTS_SPARE_TUPLES_HPP
#define CN_CHANGE_EVENTS_SPARE_TUPLES_HPP

#include "change_events.hpp"

namespace cn::events::detail {

// A tuple handed back on this thread, its values as they were left (the
// reader overwrites them), or an empty one when none is kept.
Tuple take_spare_tuple();

}  // namespace cn::events::detail

#endif
