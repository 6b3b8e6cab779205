// Numeric command-line flags: whole numbers within a range, checked before
// anything runs. A value out of range is refused rather than clamped or
// let through: --batch-records 0 would break the framing of records.
#ifndef CN_HOST_FLAG_RANGE_HPP
#define CN_HOST_FLAG_RANGE_HPP

#include <cstdint>
#include <stdexcept>
#include <string>

namespace cn::host {

// A bad command line (exit 2). what() says what is wrong and what is allowed.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The values a numeric flag accepts, both ends included.
struct FlagRange {
  int64_t min, max;
};

// "1..10000000"
std::string to_string(FlagRange range);

// text as a decimal whole number within range. Throws UsageError
// "--NAME must be MIN..MAX, got TEXT" (flag is "--NAME").
int64_t parse_flag(const std::string &flag, const std::string &text, FlagRange range);

}  // namespace cn::host

#endif
