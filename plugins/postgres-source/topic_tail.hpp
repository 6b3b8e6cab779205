// Where the topic ends, as the source needs to know it after a restart:
// PostgreSQL re-sends every transaction the slot has not confirmed, and
// some of them may be in the topic already, the last one perhaps in part.
#ifndef CN_PGSOURCE_TOPIC_TAIL_HPP
#define CN_PGSOURCE_TOPIC_TAIL_HPP

#include <cstdint>
#include <string_view>

namespace cn::pgsource {

// What the topic holds, as far as skipping what PostgreSQL re-sends goes.
struct TopicPosition {
  // The newest complete transaction's commit record ends here: a re-sent
  // transaction whose commit record starts before it is in the topic. (Not
  // "at or before its commit_lsn": a transaction can commit right at an
  // initial load's consistent point, which the load's commit carries.)
  uint64_t last_end_lsn = 0;
  // The newest commit closes an initial load that was cut short (its
  // end_lsn is 0, which no real commit has): a new load is due.
  bool load_due = false;
  // The topic ends inside a transaction (a writer stopped in it): its
  // begin's final_lsn and xid, and how many of its changes (insert, update,
  // delete, truncate) the topic holds.
  bool open = false;
  uint64_t open_final_lsn = 0;
  uint32_t open_xid = 0;
  uint64_t open_changes = 0;
};

class TopicTail {
 public:
  // Takes the topic's records newest first; returns true while it needs
  // older ones. Throws std::runtime_error naming the offset of a record
  // that is not a change event.
  bool add(int64_t offset, std::string_view record);

  bool empty() const { return !seen_any_; }
  const TopicPosition &position() const { return position_; }
  // The offset of the begin of the transaction the topic ends inside; -1
  // when it ends with a commit.
  int64_t open_begin_offset() const { return open_begin_offset_; }

 private:
  bool seen_any_ = false;
  uint64_t changes_after_boundary_ = 0;  // changes read before meeting a begin or commit
  int64_t open_begin_offset_ = -1;
  TopicPosition position_;
};

}  // namespace cn::pgsource

#endif
