#include "sink_metrics.hpp"

namespace cn::pgsink {

namespace {

// PostgreSQL's epoch (2000-01-01) in Unix microseconds: commit timestamps
// in change events count from it.
constexpr int64_t kPostgresEpochUnixMicros = int64_t{946684800} * 1'000'000;

double grew(uint64_t before, uint64_t after) { return static_cast<double>(after - before); }

}  // namespace

SinkMetrics::SinkMetrics(const cn::Host &host)
    : inserted_(host.counter("postgres_sink_rows_total", "Rows the sink wrote to the target, by operation.",
                             {{"op", "insert"}})),
      updated_(host.counter("postgres_sink_rows_total", "Rows the sink wrote to the target, by operation.",
                            {{"op", "update"}})),
      deleted_(host.counter("postgres_sink_rows_total", "Rows the sink wrote to the target, by operation.",
                            {{"op", "delete"}})),
      truncated_(host.counter("postgres_sink_truncates_total", "TRUNCATE statements applied to the target.")),
      missing_(host.counter("postgres_sink_changes_without_row_total",
                            "Updates and deletes that found no row in the target (skipped, as PostgreSQL's own "
                            "apply worker does).")),
      skipped_(host.counter("postgres_sink_records_skipped_total", "Records refused and skipped (on_error: skip).")),
      dead_lettered_(host.counter("postgres_sink_records_dead_lettered_total",
                                  "Records refused and kept in the dead-letter table (on_error: dead_letter).")),
      transactions_(host.counter("postgres_sink_source_transactions_total",
                                 "Source transactions applied and committed in the target.")),
      statement_seconds_(host.histogram("postgres_sink_statement_duration_seconds",
                                        "Statements run on the target and how long each took; _count is the number "
                                        "of statements.",
                                        {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5})),
      lag_seconds_(host.gauge("postgres_sink_replication_lag_seconds",
                              "For the last source transaction applied: its commit in the target minus its commit "
                              "on the source, in seconds.")) {}

void SinkMetrics::committed(const Counts &before, const Counts &after) const {
  inserted_.add(grew(before.inserted, after.inserted));
  updated_.add(grew(before.updated, after.updated));
  deleted_.add(grew(before.deleted, after.deleted));
  truncated_.add(grew(before.truncated, after.truncated));
  missing_.add(grew(before.missing, after.missing));
  skipped_.add(grew(before.skipped, after.skipped));
  dead_lettered_.add(grew(before.dead_lettered, after.dead_lettered));
  transactions_.add(grew(before.transactions, after.transactions));
  if (after.transactions != before.transactions && after.last_source_commit != 0) {
    const int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    lag_seconds_.set(static_cast<double>(now - (after.last_source_commit + kPostgresEpochUnixMicros)) / 1e6);
  }
}

void CountsLedger::committed() {
  if (metrics_) metrics_->committed(committed_, current);
  committed_ = current;
}

}  // namespace cn::pgsink
