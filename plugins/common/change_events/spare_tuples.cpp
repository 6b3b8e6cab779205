#include "spare_tuples.hpp"

#include <utility>
#include <vector>

namespace cn::events {
namespace {

// Bounds on what a thread keeps, so that memory stays bounded whatever
// passes through: a tuple holding a large value is freed, not kept.
constexpr std::size_t kMaxTupleBytes = 16 << 10;
constexpr std::size_t kMaxSpareBytes = 8 << 20;

using Spare = std::pair<Tuple, std::size_t>;  // a tuple kept, and its bytes

struct Spares {
  std::vector<Spare> tuples;
  std::size_t bytes = 0;
};

// The memory a tuple kept costs: its own, and its place among the spares.
std::size_t bytes_of(const Tuple &tuple) {
  std::size_t bytes = sizeof(Spare) + tuple.capacity() * sizeof(Value);
  for (const Value &v : tuple)
    if (v.text.capacity() > std::string().capacity()) bytes += v.text.capacity();
  return bytes;
}

Spares &this_thread_spares() {
  thread_local Spares spares;
  return spares;
}

}  // namespace

void recycle(Tuple tuple) {
  if (tuple.capacity() == 0) return;
  const std::size_t bytes = bytes_of(tuple);
  Spares &spares = this_thread_spares();
  if (bytes > kMaxTupleBytes || spares.bytes + bytes > kMaxSpareBytes) return;
  spares.bytes += bytes;
  spares.tuples.emplace_back(std::move(tuple), bytes);
}

Tuple spare_tuple(std::size_t size) {
  Tuple tuple = detail::take_spare_tuple();
  tuple.resize(size);
  for (Value &v : tuple) v.kind = Value::Kind::null, v.text.clear();
  return tuple;
}

namespace detail {

Tuple take_spare_tuple() {
  Spares &spares = this_thread_spares();
  if (spares.tuples.empty()) return {};
  auto &[tuple, bytes] = spares.tuples.back();
  Tuple taken = std::move(tuple);
  spares.bytes -= bytes;
  spares.tuples.pop_back();
  return taken;
}

}  // namespace detail
}  // namespace cn::events
