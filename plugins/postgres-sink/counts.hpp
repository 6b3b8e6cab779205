// What the sink has done, for the summary it logs when it closes and for
// its metrics (sink_metrics.hpp), which grow at each commit.
//
// The counts describe the target, so they follow its transactions: a
// target transaction that is lost (a retry drops it) takes its counts with
// it, or a retried record would be counted twice. CountsLedger keeps the
// counts and, beside them, their copy as of the last commit.
//
// Who writes: the Applier (inserted .. missing; on the writing thread too,
// while the sink's thread counts skipped and dead_lettered: separate
// fields) and the ReplayPolicy; TargetSession calls committed() and
// rolled_back(), only once no background write runs.
#ifndef CN_PGSINK_COUNTS_HPP
#define CN_PGSINK_COUNTS_HPP

#include <cstdint>

namespace cn::pgsink {

class SinkMetrics;

struct Counts {
  uint64_t inserted = 0, updated = 0, deleted = 0, truncated = 0;
  uint64_t missing = 0;  // updates and deletes that found no row
  uint64_t skipped = 0, dead_lettered = 0;  // records refused, by on_error
  uint64_t transactions = 0;                // source transactions, through their commit
  int64_t last_source_commit = 0;           // the last one's commit time on the source (change events' timestamp)
};

class CountsLedger {
 public:
  Counts current;

  explicit CountsLedger(const SinkMetrics *metrics = nullptr) : metrics_(metrics) {}

  // The target transaction committed: its counts are for good.
  void committed();
  // It was lost: back to the counts of the last commit.
  void rolled_back() { current = committed_; }
  // The counts as of the last commit: what the target holds.
  const Counts &as_committed() const { return committed_; }

 private:
  const SinkMetrics *metrics_;
  Counts committed_;
};

}  // namespace cn::pgsink

#endif
