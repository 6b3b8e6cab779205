// postgres-sink's metrics, through the host's metric services (cn::Host;
// the README's "Observability" lists them): registered once at open, then
// updated once per target commit (what it added to the target) and once per
// statement.
#ifndef CN_PGSINK_SINK_METRICS_HPP
#define CN_PGSINK_SINK_METRICS_HPP

#include "counts.hpp"

#include <cn/plugin.hpp>

#include <chrono>

namespace cn::pgsink {

class SinkMetrics {
 public:
  explicit SinkMetrics(const cn::Host &host);

  // A target commit took the counts from before to after.
  void committed(const Counts &before, const Counts &after) const;
  // One statement (a COPY, an UPDATE, a DELETE, a TRUNCATE) on the target.
  void statement(std::chrono::steady_clock::duration took) const {
    statement_seconds_.observe(std::chrono::duration<double>(took).count());
  }

 private:
  cn::Metric inserted_, updated_, deleted_, truncated_, missing_, skipped_, dead_lettered_, transactions_;
  cn::Metric statement_seconds_, lag_seconds_;
};

}  // namespace cn::pgsink

#endif
