// The position the source confirms to PostgreSQL as flushed (the slot's
// confirmed_flush_lsn). PostgreSQL never sends the WAL before it again, so
// it moves only as far as the topic durably holds: to the end of a
// transaction once the host has acknowledged the offset of its commit event
// (for a re-sent transaction that the topic holds already, of the last
// record emitted before it came); past WAL that held nothing for the topic
// only while everything emitted is acknowledged. Confirming more could lose
// a change in a crash; confirming less only makes PostgreSQL re-send what
// the source then skips.
#ifndef CN_PGSOURCE_DURABLE_POSITION_HPP
#define CN_PGSOURCE_DURABLE_POSITION_HPP

#include <algorithm>
#include <cstdint>
#include <deque>

namespace cn::pgsource {

class DurablePosition {
 public:
  // The host put a record at offset.
  void emitted(int64_t offset) { emitted_ = offset; }
  // The record last emitted is the commit event of a transaction ending at
  // end_lsn.
  void commit_emitted(uint64_t end_lsn) { pending_.push_back({emitted_, end_lsn}); }
  // A re-sent transaction, ending at end_lsn, that the topic holds already.
  void commit_skipped(uint64_t end_lsn) {
    if (all_acked()) advance(end_lsn);
    else pending_.push_back({emitted_, end_lsn});
  }
  // The WAL up to lsn holds nothing for the topic (a keepalive between
  // transactions): worth confirming only when nothing waits for an ack.
  void nothing_until(uint64_t lsn) {
    if (all_acked()) advance(lsn);
  }
  // The host has made every record up to offset durable.
  void acked(int64_t offset) {
    acked_ = offset;
    while (!pending_.empty() && pending_.front().offset <= offset) {
      advance(pending_.front().end_lsn);
      pending_.pop_front();
    }
  }

  uint64_t confirmed() const { return confirmed_; }
  int64_t last_emitted() const { return emitted_; }  // -1: nothing yet

 private:
  struct Pending {
    int64_t offset;    // of the commit event in the topic (or the record before a skipped one)
    uint64_t end_lsn;  // confirmed once that offset is acknowledged
  };
  bool all_acked() const { return pending_.empty() && emitted_ <= acked_; }
  void advance(uint64_t lsn) { confirmed_ = std::max(confirmed_, lsn); }

  int64_t emitted_ = -1;
  int64_t acked_ = -1;
  std::deque<Pending> pending_;
  uint64_t confirmed_ = 0;
};

}  // namespace cn::pgsource

#endif
