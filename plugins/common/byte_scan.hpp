// Finding the few bytes a text format treats apart (a quote, a backslash,
// a control character) 8 bytes at a time: values are mostly free of them,
// and a byte-by-byte loop over every value was a tenth of what reading
// events and writing COPY text cost. Reading decimal digits 8 at a time
// too: an event's positions are 8 to 16 digits, and a loop over them was a
// twelfth of what reading a small event cost. Header-only; shared by the
// event reader (change_events) and the sink's SQL text.
#ifndef CN_PLUGINS_BYTE_SCAN_HPP
#define CN_PLUGINS_BYTE_SCAN_HPP

#include <cstdint>
#include <cstring>

namespace cn::plugins {

// A word of 8 bytes is read as one integer; masks of its bytes hold the
// high bit of each byte that is what is asked.
constexpr uint64_t kByteOnes = 0x0101010101010101ULL, kByteHighs = kByteOnes * 0x80;

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
inline const char *find_first_of(const char *p, const char *end, ByteSet<Controls, Specials...> set);

// ---- words of 8 bytes; decimal digits, 8 at a time -------------------------------

// The 8 bytes at p (which must have 8) as one word, the first byte the
// lowest whatever the machine's byte order.
inline uint64_t load_word(const char *p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof word);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  word = __builtin_bswap64(word);
#endif
  return word;
}

// The bytes that are not '0'..'9', as a mask (exact: no byte borrows from
// or carries into its neighbour).
inline uint64_t non_digit_bytes(uint64_t word) {
  const uint64_t from_0 = ((word | kByteHighs) - kByteOnes * '0') & kByteHighs;
  const uint64_t above_9 = ((word & ~kByteHighs) + kByteOnes * (0x80 - ('9' + 1))) & kByteHighs;
  return ~(from_0 & ~above_9 & ~word) & kByteHighs;  // a byte over 0x7f is no digit either
}

// How many of a word's bytes, from its first (lowest), are '0'..'9': 0 to 8.
inline unsigned leading_digits(uint64_t word) {
  const uint64_t non_digits = non_digit_bytes(word);
  return non_digits ? static_cast<unsigned>(__builtin_ctzll(non_digits)) / 8 : 8;
}

// The number that a word's first `count` bytes write in decimal, most
// significant first; 1 <= count <= leading_digits(word).
inline uint64_t digits_value(uint64_t word, unsigned count) {
  constexpr uint64_t kPairs = 0x000000ff000000ffULL;
  // Each digit's value in its byte (the bytes after the digits come out as
  // anything, and are shifted away), moved up so that missing digits are
  // leading zeros.
  uint64_t v = (word - kByteOnes * '0') << (8 * (8 - count));
  v = v * 10 + (v >> 8);  // bytes 0, 2, 4, 6: two digits each (0..99)
  // Bytes 0 and 4 times 10^6 and 10^2, bytes 2 and 6 times 10^4 and 1,
  // summed in the high half.
  return ((v & kPairs) * (100 + (1000000ULL << 32)) + ((v >> 16) & kPairs) * (1 + (10000ULL << 32))) >> 32;
}

// ---- find_first_of ------------------------------------------------------------

template <bool Controls, char... Specials>
inline const char *find_first_of(const char *p, const char *end, ByteSet<Controls, Specials...> set) {
  // The bytes of a word that are in the set, flagged as a mask is. Bytes
  // above one that is may be flagged too (a borrow runs upward from it),
  // but the lowest flagged byte is always one: no borrow comes from below it.
  auto flagged = [](uint64_t word) {
    auto below = [](uint64_t x, unsigned n) { return (x - kByteOnes * n) & ~x & kByteHighs; };
    uint64_t hit = Controls ? below(word, 0x20) : 0;
    ((hit |= below(word ^ (kByteOnes * static_cast<unsigned char>(Specials)), 1)), ...);
    return hit;
  };
  const char *const start = p;
  for (; end - p >= 8; p += 8)
    if (const uint64_t hit = flagged(load_word(p))) return p + __builtin_ctzll(hit) / 8;
  if (p == end) return end;
  if (end - start >= 8) {
    // The last bytes, in the word that ends with them; those before them
    // were read already (and none of them is in the set: no borrow).
    const unsigned seen = static_cast<unsigned>(8 - (end - p));
    const uint64_t hit = flagged(load_word(end - 8)) >> (8 * seen);
    return hit ? p + __builtin_ctzll(hit) / 8 : end;
  }
  for (; p < end; ++p)  // a text shorter than a word
    if (set.has(*p)) return p;
  return end;
}

}  // namespace cn::plugins

#endif
