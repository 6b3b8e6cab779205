// Where the topic ends, as the source needs to know it after a restart:
// PostgreSQL re-sends every transaction the slot has not confirmed, and
// some of them may be in the topic already, the last one perhaps in part.
#ifndef CN_PGSOURCE_TOPIC_TAIL_HPP
#define CN_PGSOURCE_TOPIC_TAIL_HPP

#include <cstdint>
#include <string_view>

namespace pgsource {

class TopicTail {
 public:
  // Takes the topic's records newest first; returns true while it needs
  // older ones. Throws std::runtime_error naming the offset of a record
  // that is not a change event.
  bool add(int64_t offset, std::string_view record);

  bool empty() const { return !seen_any_; }
  // The end_lsn of the newest complete transaction's commit; 0 if none.
  uint64_t last_end_lsn() const { return last_end_lsn_; }
  // The newest commit closes an initial load that was cut short (its
  // end_lsn is 0, which no real commit has): a new load is due.
  bool load_due() const { return load_due_; }
  // The transaction the topic ends inside, if any (a writer stopped in it).
  bool ends_inside_transaction() const { return open_begin_offset_ >= 0; }
  uint64_t open_final_lsn() const { return open_final_lsn_; }
  uint32_t open_xid() const { return open_xid_; }
  int64_t open_begin_offset() const { return open_begin_offset_; }
  // Its insert/update/delete/truncate events in the topic.
  uint64_t open_changes() const { return open_changes_; }

 private:
  bool seen_any_ = false;
  uint64_t changes_after_boundary_ = 0;  // changes read before meeting a begin or commit
  uint64_t last_end_lsn_ = 0;
  bool load_due_ = false;
  int64_t open_begin_offset_ = -1;
  uint64_t open_final_lsn_ = 0;
  uint32_t open_xid_ = 0;
  uint64_t open_changes_ = 0;
};

}  // namespace pgsource

#endif
