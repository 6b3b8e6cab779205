// Finding the few bytes a text format treats apart (a quote, a backslash,
// a control character) 8 bytes at a time: values are mostly free of them,
// and a byte-by-byte loop over every value was a tenth of what reading
// events and writing COPY text cost. Header-only; shared by the event reader
// (change_events) and the sink's SQL text.
#ifndef CN_PLUGINS_BYTE_SCAN_HPP
#define CN_PLUGINS_BYTE_SCAN_HPP

#include <cstdint>
#include <cstring>

namespace cn::plugins {

// A set of bytes to look for: Specials, and with Controls every byte below
// 0x20 (JSON's control characters).
template <bool Controls, char... Specials>
struct ByteSet {
  static constexpr bool has(char c) {
    return (Controls && static_cast<unsigned char>(c) < 0x20) || ((c == Specials) || ...);
  }
};

// The first byte in [p, end) that is in set, or end.
template <bool Controls, char... Specials>
inline const char *find_first_of(const char *p, const char *end, ByteSet<Controls, Specials...> set) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHighs = kOnes * 0x80;
  // Whether any byte of a word is zero (or below n): exact for "any".
  auto any_below = [](uint64_t word, unsigned n) { return (word - kOnes * n) & ~word & kHighs; };
  for (;;) {
    for (; end - p >= 8; p += 8) {
      uint64_t word;
      std::memcpy(&word, p, sizeof word);
      uint64_t hit = Controls ? any_below(word, 0x20) : 0;
      ((hit |= any_below(word ^ (kOnes * static_cast<unsigned char>(Specials)), 1)), ...);
      if (hit) break;
    }
    // The word that holds one, or the last bytes.
    for (const char *word_end = end - p >= 8 ? p + 8 : end; p < word_end; ++p)
      if (set.has(*p)) return p;
    if (p == end) return end;
  }
}

}  // namespace cn::plugins

#endif
