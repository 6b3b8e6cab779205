// "Did you mean ...?": the likely intended name for a misspelled one.
#ifndef CN_HOST_CLOSEST_NAME_HPP
#define CN_HOST_CLOSEST_NAME_HPP

#include <string>
#include <string_view>
#include <vector>

namespace cn::host {

// The name among names closest to word (by edit distance, ignoring case,
// a swap of two neighbours counting as one edit), if it is close enough to
// be a likely misspelling: at most one edit per three letters of the
// shorter, and at least one allowed. "" if none is. The first of equally
// close names wins.
std::string closest_name(std::string_view word, const std::vector<std::string> &names);

}  // namespace cn::host

#endif
