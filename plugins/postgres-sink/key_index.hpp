// The batch's rows by key (applier.cpp): an open-addressing table of the
// keys' hashes and the rows' places. A hash is made when its change
// arrives, while the change's values are still in the cache; keys are
// compared only when two hashes are equal, which a batch of new rows never
// needs. (A std::unordered_map of key strings allocated a node and built a
// string per change, and read each key again from memory gone cold: a tenth
// of the sink's time on a large insert.)
#ifndef CN_PGSINK_KEY_INDEX_HPP
#define CN_PGSINK_KEY_INDEX_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace cn::pgsink {

class KeyIndex {
 public:
  // Room for `rows` rows, made at once rather than grown to.
  void reserve(std::size_t rows) {
    std::size_t room = 16;
    while (room < 2 * rows) room *= 2;
    if (room > slots_.size()) rehash(room);
  }

  // The place of the row whose key has this hash and is the same as the
  // one looked for (same(place) says whether it is); if there is none,
  // `next` is recorded as its place. Returns the place, and whether it
  // was recorded now.
  template <class SameKey>
  std::pair<std::size_t, bool> find_or_add(uint64_t hash, std::size_t next, SameKey &&same) {
    if (2 * (size_ + 1) > slots_.size()) rehash(std::max<std::size_t>(16, 2 * slots_.size()));
    const uint32_t tag = static_cast<uint32_t>(hash >> 32) ^ static_cast<uint32_t>(hash);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = tag & mask;; i = (i + 1) & mask) {
      Slot &slot = slots_[i];
      if (slot.place_plus_1 == 0) {
        slot = {tag, static_cast<uint32_t>(next + 1)};
        ++size_;
        return {next, true};
      }
      if (slot.tag == tag && same(slot.place_plus_1 - 1)) return {slot.place_plus_1 - 1, false};
    }
  }

 private:
  // 8 bytes a row: a batch's index is read at random, so the less room,
  // the fewer cache misses. (A batch holds far fewer than 2^32 rows.)
  struct Slot {
    uint32_t tag = 0;          // the hash, folded to 32 bits
    uint32_t place_plus_1 = 0;  // 0: empty
  };

  // `room` (a power of 2) slots, at most half of them used: probes stay short.
  void rehash(std::size_t room) {
    std::vector<Slot> old(room);
    old.swap(slots_);
    const std::size_t mask = slots_.size() - 1;
    for (const Slot &slot : old) {
      if (slot.place_plus_1 == 0) continue;
      std::size_t i = slot.tag & mask;
      while (slots_[i].place_plus_1 != 0) i = (i + 1) & mask;
      slots_[i] = slot;
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace cn::pgsink

#endif
