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
  // The place of the row whose key has this hash and is the same as the
  // one looked for (same(place) says whether it is); if there is none,
  // `next` is recorded as its place. Returns the place, and whether it
  // was recorded now.
  template <class SameKey>
  std::pair<std::size_t, bool> find_or_add(uint64_t hash, std::size_t next, SameKey &&same) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      Slot &slot = slots_[i];
      if (slot.place == kEmpty) {
        slot = {hash, next};
        ++size_;
        return {next, true};
      }
      if (slot.hash == hash && same(slot.place)) return {slot.place, false};
    }
  }

 private:
  static constexpr std::size_t kEmpty = ~std::size_t{0};
  struct Slot {
    uint64_t hash = 0;
    std::size_t place = kEmpty;
  };

  // Twice the room, at most half of it used: probes stay short.
  void grow() {
    std::vector<Slot> old(std::max<std::size_t>(16, 2 * slots_.size()));
    old.swap(slots_);
    const std::size_t mask = slots_.size() - 1;
    for (const Slot &slot : old) {
      if (slot.place == kEmpty) continue;
      std::size_t i = slot.hash & mask;
      while (slots_[i].place != kEmpty) i = (i + 1) & mask;
      slots_[i] = slot;
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace cn::pgsink

#endif
