// The sink's batch index (key_index.hpp): a row is found again by its key
// whatever the hashes do (every key with one hash, collisions on the probe
// path, growth).
#include <key_index.hpp>

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

using cn::pgsink::KeyIndex;

namespace {

// Keys in the order they were recorded, found through the index with the
// hash given, checked against a std::map of the same keys.
struct Checked {
  KeyIndex index;
  std::vector<std::string> keys;  // by place
  std::map<std::string, std::size_t> expected;

  void add_or_find(const std::string &key, uint64_t hash) {
    auto [place, fresh] = index.find_or_add(hash, keys.size(), [&](std::size_t p) { return keys.at(p) == key; });
    auto [it, expected_fresh] = expected.try_emplace(key, keys.size());
    CAPTURE(key);
    REQUIRE(fresh == expected_fresh);
    REQUIRE(place == it->second);
    if (fresh) keys.push_back(key);
  }
};

}  // namespace

TEST_CASE("every key with the same hash: each is still its own row") {
  Checked c;
  for (int round = 0; round < 2; ++round)
    for (int i = 0; i < 300; ++i) c.add_or_find("key " + std::to_string(i), 42);
  CHECK(c.keys.size() == 300);
}

TEST_CASE("random keys and few hashes: rows found again across growth") {
  std::mt19937 random(5);
  Checked c;
  for (int i = 0; i < 20000; ++i) {
    const std::string key = std::to_string(random() % 5000);
    c.add_or_find(key, std::hash<std::string>{}(key) % 64);  // neighbouring slots taken by other hashes too
  }
  CHECK(c.keys.size() == c.expected.size());
}
