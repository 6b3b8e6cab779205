// PostgreSQL's wire as the source reads and writes it: integers big-endian,
// strings NUL-terminated. The one place that turns bytes into numbers and
// back, for the pgoutput decoder, the replication stream's framing and its
// standby status updates.
#ifndef CN_PGSOURCE_WIRE_HPP
#define CN_PGSOURCE_WIRE_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace cn::pgsource::wire {

inline uint64_t get_big_endian(const unsigned char *p, std::size_t n) {
  uint64_t value = 0;
  for (std::size_t i = 0; i < n; ++i) value = value << 8 | p[i];
  return value;
}

inline void put_u64(char *p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<char>(v & 0xff);
}

// Reads one message front to back, from the byte after its type letter.
// Every read is checked against the end: a read past it, or anything left
// over where the caller expects the end, is reported at that byte through
// Failure, a type with
//   [[noreturn]] static void raise(std::string_view message, std::size_t offset, const std::string &reason);
// so that each protocol throws its own error, worded its own way. The
// reasons are part of pgoutput's DecodeError texts: keep them as they are.
template <class Failure>
class Reader {
 public:
  // message: not empty (its first byte is the type letter).
  explicit Reader(std::string_view message)
      : data_(reinterpret_cast<const unsigned char *>(message.data())), size_(message.size()) {}

  char type() const { return static_cast<char>(data_[0]); }
  std::size_t offset() const { return offset_; }
  std::size_t left() const { return size_ - offset_; }

  [[noreturn]] void fail(std::size_t at, const std::string &reason) const {
    Failure::raise(std::string_view(reinterpret_cast<const char *>(data_), size_), at, reason);
  }

  uint8_t u8(const char *what) { return *take(1, what); }
  int8_t i8(const char *what) { return static_cast<int8_t>(u8(what)); }
  int16_t i16(const char *what) { return static_cast<int16_t>(get_big_endian(take(2, what), 2)); }
  uint32_t u32(const char *what) { return static_cast<uint32_t>(get_big_endian(take(4, what), 4)); }
  int32_t i32(const char *what) { return static_cast<int32_t>(u32(what)); }
  uint64_t u64(const char *what) { return get_big_endian(take(8, what), 8); }
  int64_t i64(const char *what) { return static_cast<int64_t>(u64(what)); }

  std::string_view bytes(std::size_t n, const char *what) {
    return {reinterpret_cast<const char *>(take(n, what)), n};
  }
  // Everything not read yet.
  std::string_view rest() { return bytes(left(), "the rest"); }

  // A NUL-terminated String; the view excludes the NUL.
  std::string_view string(const char *what) {
    const unsigned char *start = data_ + offset_;
    const void *nul = std::memchr(start, 0, left());
    if (!nul) fail(offset_, std::string(what) + " has no terminating NUL before the message ends");
    const auto length = static_cast<std::size_t>(static_cast<const unsigned char *>(nul) - start);
    offset_ += length + 1;
    return {reinterpret_cast<const char *>(start), length};
  }

  void expect_end() const {
    if (left()) fail(offset_, std::to_string(left()) + " bytes left over after the message");
  }

 private:
  const unsigned char *take(std::size_t n, const char *what) {
    if (left() < n) {
      fail(offset_, "cut short: " + std::string(what) + " needs " + std::to_string(n) + " bytes, " +
                        std::to_string(left()) + " left");
    }
    const unsigned char *p = data_ + offset_;
    offset_ += n;
    return p;
  }

  const unsigned char *data_;
  std::size_t size_;
  std::size_t offset_ = 1;
};

}  // namespace cn::pgsource::wire

#endif
