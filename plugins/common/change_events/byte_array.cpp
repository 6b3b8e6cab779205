// RawText's byte arrays ("RawText":[50,48,...]) read back into bytes: most of
// a wide row's record is such arrays, and reading them an element at a time
// took ~50 instructions an element (a third of the sink's instructions on
// rows with a timestamp and a numeric). On x86-64, a block of the array is
// read at once: its digits and commas found together, every element's value
// computed in its last digit's byte, and those bytes packed together. With
// AVX-512 (VBMI2: Ice Lake and later, Zen 4) blocks are 64 bytes, the
// array's end is read in its block too, and the bytes are packed by one
// instruction; with SSSE3, blocks are 16 bytes, packed by a shuffle per 8
// bytes, and the array's end is read an element at a time. Other machines
// read every element so.
#include "value_text.hpp"

#include <array>
#include <cstdint>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CN_BYTE_ARRAY_X86 1
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

#ifdef CN_BYTE_ARRAY_X86

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

#define CN_AVX512_VBMI2 "avx512f,avx512bw,avx512vbmi,avx512vbmi2,bmi2,popcnt"

__attribute__((target(CN_AVX512_VBMI2))) inline __m512i ten_times(__m512i x) {
  const __m512i twice = _mm512_add_epi8(x, x);
  const __m512i four_times = _mm512_add_epi8(twice, twice);
  return _mm512_add_epi8(_mm512_add_epi8(four_times, four_times), twice);
}

// The whole array, 64 bytes at a time: each block's elements up to the
// last comma, or through the ']' that closes the array. Returns where that
// ']' is, or null for an array that is not of the writer's form (or goes on
// past end: bytes past end are loaded as 0, masked, and never read).
__attribute__((target(CN_AVX512_VBMI2))) const char *sixty_four_at_a_time(
    const char *at, const char *end, Gathered &out) {
  // Lane i takes lane i - 1, or i - 2: the byte one or two before it.
  alignas(64) static constexpr auto kBack = [] {
    std::array<std::array<uint8_t, 64>, 2> back{};
    for (unsigned lane = 0; lane < 64; ++lane)
      for (unsigned by = 1; by <= 2; ++by) back[by - 1][lane] = static_cast<uint8_t>(lane >= by ? lane - by : 0);
    return back;
  }();
  const __m512i one_back = _mm512_load_si512(kBack[0].data()), two_back = _mm512_load_si512(kBack[1].data());
  std::size_t size = out.size;
  for (;;) {
    const auto left = static_cast<std::size_t>(end - at);
    const __mmask64 loaded = left >= 64 ? ~__mmask64{0} : _bzhi_u64(~uint64_t{0}, static_cast<unsigned>(left));
    const __m512i bytes = _mm512_maskz_loadu_epi8(loaded, at);
    const __m512i values = _mm512_sub_epi8(bytes, _mm512_set1_epi8('0'));  // a digit's value, as an unsigned byte
    const uint64_t digits = _mm512_cmple_epu8_mask(values, _mm512_set1_epi8(9));
    const uint64_t commas = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(','));

    // The block's elements end before its first other byte, which must be
    // the array's ']' (at is an element's first byte): through that, or
    // through the last comma if there is no other byte.
    const uint64_t others = ~(digits | commas);
    const uint64_t first_other = others & (0 - others);
    const bool closes = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8(']')) & first_other;
    if (first_other && !closes) return nullptr;
    const uint64_t separators = (commas & (first_other - 1)) | first_other;
    if (!separators) return nullptr;  // 64 digits
    const unsigned length = 64 - static_cast<unsigned>(__builtin_clzll(separators));
    const uint64_t taken_digits = _bzhi_u64(digits, length);

    // The writer's form: no element without digits, none of 4 digits or
    // more, no leading zero.
    const uint64_t firsts = taken_digits & ~(taken_digits << 1);
    const uint64_t lasts = taken_digits & (separators >> 1);
    const uint64_t zeros = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('0'));
    const bool empty_element = separators & ((separators << 1) | 1);
    const bool four_digits = taken_digits & (taken_digits << 1) & (taken_digits << 2) & (taken_digits << 3);
    const bool leading_zero = zeros & firsts & (taken_digits >> 1);

    // Each element's value in its last digit's byte, as in 16-byte blocks:
    // the tens from the byte before (none before lane 0), the hundreds from
    // the byte two before where the byte between is a digit (none before
    // lanes 0 and 1); a comma's value is 0.
    const __m512i ones = _mm512_maskz_mov_epi8(digits, values);
    const __m512i tens = _mm512_maskz_permutexvar_epi8(~uint64_t{1}, one_back, ones);
    const __m512i hundreds = _mm512_maskz_permutexvar_epi8((digits << 1) & ~uint64_t{3}, two_back, ones);
    const __m512i tens_and_ones = _mm512_add_epi8(ones, ten_times(tens));
    const uint64_t over_255 =
        _mm512_cmpgt_epu8_mask(hundreds, _mm512_set1_epi8(2)) |
        (_mm512_cmpeq_epi8_mask(hundreds, _mm512_set1_epi8(2)) & _mm512_cmpgt_epu8_mask(tens_and_ones, _mm512_set1_epi8(55)));
    if (empty_element || four_digits || leading_zero || (over_255 & lasts)) return nullptr;
    const __m512i bytes_of = _mm512_add_epi8(tens_and_ones, ten_times(ten_times(hundreds)));

    if (size + 64 > kChunk) out.size = size, out.flush(), size = 0;
    _mm512_storeu_si512(out.chunk + size, _mm512_maskz_compress_epi8(lasts, bytes_of));
    size += static_cast<std::size_t>(__builtin_popcountll(lasts));
    at += length;
    if (closes) {
      out.size = size;
      return at - 1;
    }
  }
}

bool can_read_sixteen() {
  static const bool has = __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("popcnt");
  return has;
}

bool can_read_sixty_four() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512vbmi2") &&
                          __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
  return has;
}

#endif

}  // namespace

std::vector<ByteArrayReading> byte_array_readings() {
  std::vector<ByteArrayReading> ways = {ByteArrayReading::element_by_element};
#ifdef CN_BYTE_ARRAY_X86
  if (can_read_sixteen()) ways.push_back(ByteArrayReading::sixteen_bytes_a_block);
  if (can_read_sixty_four()) ways.push_back(ByteArrayReading::sixty_four_bytes_a_block);
#endif
  return ways;
}

const char *decode_byte_array(const char *from, const char *end, std::string &to) {
  static const ByteArrayReading fastest = byte_array_readings().back();
  return decode_byte_array(from, end, to, fastest);
}

const char *decode_byte_array(const char *from, const char *end, std::string &to, ByteArrayReading how) {
  const std::size_t size_before = to.size();
  Gathered out(to);
  const char *p = from;
#ifdef CN_BYTE_ARRAY_X86
  if (how == ByteArrayReading::sixty_four_bytes_a_block) {
    if (const char *close = sixty_four_at_a_time(p, end, out)) {
      out.flush();
      return close;
    }
    to.resize(size_before);
    return nullptr;
  }
#endif
  for (;;) {
#ifdef CN_BYTE_ARRAY_X86
    if (how == ByteArrayReading::sixteen_bytes_a_block && end - p >= 16 && !sixteen_at_a_time(p, end, out)) break;
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
