// What postgres-source learns from the topic's tail, read newest first.
#include "topic_tail.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using cn::pgsource::TopicTail;

namespace {

std::string begin(uint64_t final_lsn, uint32_t xid) {
  return R"({"wal_start":0,"wal_end":0,"timestamp":0,"message":{"type":"begin","final_lsn":)" +
         std::to_string(final_lsn) + R"(,"timestamp":0,"xid":)" + std::to_string(xid) + "}}";
}
std::string commit(uint64_t commit_lsn, uint64_t end_lsn) {
  return R"({"wal_start":0,"wal_end":0,"timestamp":0,"message":{"type":"commit","flags":0,"commit_lsn":)" +
         std::to_string(commit_lsn) + R"(,"end_lsn":)" + std::to_string(end_lsn) + R"(,"timestamp":0}})";
}
const std::string kInsert = R"({"wal_start":0,"wal_end":0,"timestamp":0,"message":{"type":"insert","rel_id":1,"tuple":[]}})";
const std::string kRelation =
    R"({"wal_start":0,"wal_end":0,"timestamp":0,"message":{"type":"relation","rel_id":1,"namespace":"public","name":"t","replica_identity":"Default","columns":[]}})";

// Feeds the records (oldest first, as in the topic) newest first, as the
// host does, while the tail wants more; returns how many it took.
std::size_t feed(TopicTail &tail, const std::vector<std::string> &topic) {
  std::size_t taken = 0;
  for (std::size_t i = topic.size(); i-- > 0;) {
    ++taken;
    if (!tail.add(static_cast<int64_t>(i), topic[i])) break;
  }
  return taken;
}

}  // namespace

TEST_CASE("a topic ending with a commit: its positions, and nothing older is read") {
  TopicTail tail;
  std::vector<std::string> topic = {begin(100, 7), kInsert, commit(100, 120), begin(200, 8), kInsert, commit(200, 230)};
  CHECK(feed(tail, topic) == 1);
  CHECK_FALSE(tail.empty());
  CHECK(tail.position().last_end_lsn == 230);
  CHECK_FALSE(tail.position().open);
  CHECK_FALSE(tail.position().load_due);
}

TEST_CASE("a topic ending inside a transaction: its begin, its changes so far, and the commit before it") {
  TopicTail tail;
  std::vector<std::string> topic = {begin(100, 7), kInsert, commit(100, 120), begin(200, 8), kRelation, kInsert, kInsert};
  CHECK(feed(tail, topic) == 5);
  CHECK(tail.position().open);
  CHECK(tail.position().open_final_lsn == 200);
  CHECK(tail.position().open_xid == 8);
  CHECK(tail.position().open_changes == 2);  // relation events are not changes
  CHECK(tail.open_begin_offset() == 3);
  CHECK(tail.position().last_end_lsn == 120);
}

TEST_CASE("a cut initial load closed by a commit with end_lsn 0: a new load is due") {
  TopicTail tail;
  std::vector<std::string> topic = {begin(500, 0), kRelation, kInsert, commit(500, 0)};
  feed(tail, topic);
  CHECK(tail.position().load_due);
  CHECK_FALSE(tail.position().open);
}

TEST_CASE("a record that is not a change event, or two begins in a row, is an error naming the offset") {
  TopicTail tail;
  CHECK_THROWS_WITH(feed(tail, {commit(1, 2), "not json"}), doctest::Contains("offset 1"));
  TopicTail twice;
  CHECK_THROWS_WITH(feed(twice, {begin(1, 1), kInsert, begin(2, 2), kInsert}), doctest::Contains("offset 0"));
}
