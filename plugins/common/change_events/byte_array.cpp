// RawText's byte arrays ("RawText":[50,48,...]) read back into bytes: most of
// a wide row's record is such arrays, and reading them an element at a time
// took ~50 instructions an element (a third of the sink's instructions on
// rows with a timestamp and a numeric). On x86-64 with SSSE3, 16 bytes of
// the array are read at once: their digits and commas found together, every
// element's value computed in its last digit's byte, and those bytes packed
// together by a shuffle. The rest (the array's end, its last bytes before
// `end`, other machines) is read an element at a time, as before.
#include "value_text.hpp"

#include <array>
#include <cstdint>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CN_BYTE_ARRAY_SSSE3 1
#include <immintrin.h>
#endif

namespace cn::events::detail {
namespace {

constexpr std::size_t kChunk = 256;  // bytes gathered before they are appended: a value is mostly shorter

// Bytes gathered for `to`, appended in chunks.
struct Gathered {
  explicit Gathered(std::string &into) : to(into) {}
  std::string &to;
  char chunk[kChunk];
  std::size_t size = 0;

  void make_room(std::size_t bytes) {
    if (size + bytes > kChunk) flush();
  }
  void flush() {
    to.append(chunk, size);
    size = 0;
  }
};

// One element at p, digit by digit: its byte into out; the separator after
// it (',' or ']') through p. False for anything else (p is then anywhere).
bool one_element(const char *&p, const char *end, Gathered &out) {
  auto digit_at = [end](const char *q) { return q < end && static_cast<unsigned char>(*q - '0') <= 9; };
  if (!digit_at(p)) return false;
  unsigned b = static_cast<unsigned>(*p++ - '0');
  if (digit_at(p)) {
    if (b == 0) return false;  // a leading zero: not JSON
    b = b * 10 + static_cast<unsigned>(*p++ - '0');
    if (digit_at(p)) b = b * 10 + static_cast<unsigned>(*p++ - '0');
  }
  if (b > 255 || p == end || (*p != ',' && *p != ']')) return false;  // a fourth digit, too
  out.make_room(1);
  out.chunk[out.size++] = static_cast<char>(b);
  return true;
}

#ifdef CN_BYTE_ARRAY_SSSE3

// For each 8-bit mask, the shuffle that packs the bytes it marks, in order,
// at the start of 8 (the rest from a lane that holds 0).
constexpr std::array<std::array<uint8_t, 8>, 256> packing_shuffles() {
  std::array<std::array<uint8_t, 8>, 256> shuffles{};
  for (unsigned mask = 0; mask < 256; ++mask) {
    unsigned n = 0;
    for (unsigned lane = 0; lane < 8; ++lane)
      if (mask >> lane & 1) shuffles[mask][n++] = static_cast<uint8_t>(lane);
    while (n < 8) shuffles[mask][n++] = 0x80;  // pshufb writes 0 for an index with its high bit set
  }
  return shuffles;
}
constexpr auto kPackingShuffles = packing_shuffles();

// Reads the complete elements of 16 bytes at a time, while 16 bytes are
// left before end: in each block, every element up to the last comma
// before anything that is neither a digit nor a comma. Returns false for
// an element that is not of the writer's form; true, with p where there is
// no such block (the array ends in its first element, or something else is
// there: one_element() says which).
//
// The loop is inside: a function for SSSE3 is not inlined into one for
// any x86-64, and a call per block was a fifth of the time.
__attribute__((target("ssse3,popcnt"))) bool sixteen_at_a_time(const char *&p, const char *end, Gathered &out) {
  const char *at = p;
  std::size_t size = out.size;
  bool ok = true;
  while (end - at >= 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(at));
    const __m128i values = _mm_sub_epi8(bytes, _mm_set1_epi8('0'));  // a digit's value, as an unsigned byte
    const __m128i digit_lanes = _mm_cmpeq_epi8(_mm_min_epu8(values, _mm_set1_epi8(9)), values);
    const auto digits = static_cast<unsigned>(_mm_movemask_epi8(digit_lanes));
    const auto commas = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(','))));
    const auto zeros = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('0'))));

    // The bytes read here: up to the last comma before the first other byte.
    const unsigned others = ~(digits | commas) & 0xffff;
    const unsigned before_others = others ? (1u << __builtin_ctz(others)) - 1 : 0xffff;
    const unsigned taken_commas = commas & before_others;
    if (!taken_commas) break;
    const unsigned length = 32 - static_cast<unsigned>(__builtin_clz(taken_commas));  // through that comma
    const unsigned taken_digits = digits & ((1u << length) - 1);

    // The writer's form (at is at an element's first byte): no element
    // without digits, none of 4 digits or more, no leading zero.
    const unsigned firsts = taken_digits & ~(taken_digits << 1);
    const unsigned lasts = taken_digits & (taken_commas >> 1);
    const bool empty_element = taken_commas & ((taken_commas << 1) | 1);
    const bool four_digits = taken_digits & (taken_digits << 1) & (taken_digits << 2) & (taken_digits << 3);
    const bool leading_zero = zeros & firsts & (taken_digits >> 1);

    // Each element's value in its last digit's byte: ones, plus ten times
    // the byte before, plus a hundred times the one before that if both
    // are digits (a comma's value is made 0 first). Over 255 is refused: a
    // hundreds digit over 2, or 2 and tens and ones over 55.
    auto ten_times = [](__m128i x) {
      const __m128i twice = _mm_add_epi8(x, x);
      const __m128i four_times = _mm_add_epi8(twice, twice);
      return _mm_add_epi8(_mm_add_epi8(four_times, four_times), twice);
    };
    const __m128i ones = _mm_and_si128(values, digit_lanes);
    const __m128i tens_and_ones = _mm_add_epi8(ones, ten_times(_mm_slli_si128(ones, 1)));
    const __m128i hundreds = _mm_and_si128(_mm_slli_si128(ones, 2), _mm_slli_si128(digit_lanes, 1));
    const __m128i over_2 = _mm_cmpgt_epi8(hundreds, _mm_set1_epi8(2));
    const __m128i two_and_over_55 = _mm_and_si128(_mm_cmpeq_epi8(hundreds, _mm_set1_epi8(2)),
                                                  _mm_cmpgt_epi8(tens_and_ones, _mm_set1_epi8(55)));
    const auto over_255 = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(over_2, two_and_over_55)));
    if (empty_element || four_digits || leading_zero || (over_255 & lasts)) {
      ok = false;
      break;
    }
    const __m128i bytes_of = _mm_add_epi8(tens_and_ones, ten_times(ten_times(hundreds)));

    // The last digits' bytes, packed: each half of 8 through its shuffle
    // (0x80 + 8 keeps its high bit: still a lane of 0).
    if (size + 16 > kChunk) out.size = size, out.flush(), size = 0;
    const unsigned low = lasts & 0xff, high = lasts >> 8;
    const __m128i low_shuffle = _mm_loadl_epi64(reinterpret_cast<const __m128i *>(kPackingShuffles[low].data()));
    const __m128i high_shuffle = _mm_add_epi8(
        _mm_loadl_epi64(reinterpret_cast<const __m128i *>(kPackingShuffles[high].data())), _mm_set1_epi8(8));
    _mm_storel_epi64(reinterpret_cast<__m128i *>(out.chunk + size), _mm_shuffle_epi8(bytes_of, low_shuffle));
    size += static_cast<std::size_t>(__builtin_popcount(low));
    _mm_storel_epi64(reinterpret_cast<__m128i *>(out.chunk + size), _mm_shuffle_epi8(bytes_of, high_shuffle));
    size += static_cast<std::size_t>(__builtin_popcount(high));
    at += length;
  }
  p = at;
  out.size = size;
  return ok;
}

bool can_read_sixteen() {
  static const bool has = __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("popcnt");
  return has;
}

#endif

}  // namespace

const char *decode_byte_array(const char *from, const char *end, std::string &to) {
  const std::size_t size_before = to.size();
  Gathered out(to);
  const char *p = from;
#ifdef CN_BYTE_ARRAY_SSSE3
  const bool sixteen_at_once = can_read_sixteen();
#endif
  for (;;) {
#ifdef CN_BYTE_ARRAY_SSSE3
    if (sixteen_at_once && end - p >= 16 && !sixteen_at_a_time(p, end, out)) break;
#endif
    if (!one_element(p, end, out)) break;
    if (*p == ']') {
      out.flush();
      return p;
    }
    ++p;  // the comma
  }
  to.resize(size_before);
  return nullptr;
}

}  // namespace cn::events::detail
