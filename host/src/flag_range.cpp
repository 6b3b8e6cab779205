#include "flag_range.hpp"

#include <charconv>

namespace cn::host {

std::string to_string(FlagRange range) { return std::to_string(range.min) + ".." + std::to_string(range.max); }

int64_t parse_flag(const std::string &flag, const std::string &text, FlagRange range) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  // A number too large for 64 bits is out of range too; anything else is not a number.
  bool number = (ec == std::errc() || ec == std::errc::result_out_of_range) && end == text.data() + text.size() &&
                !text.empty();
  if (number && ec == std::errc() && value >= range.min && value <= range.max) return value;
  throw UsageError(flag + " must be " + (number ? "" : "a whole number ") + to_string(range) + ", got " +
                   (number ? text : "'" + text + "'"));
}

}  // namespace cn::host
