// postgres-source's metrics, through the host's metric services (cn::Host;
// the README's "Observability" lists them): registered once at open, then
// updated per transaction emitted and per message of the replication stream.
// Not thread-safe: the source's one thread calls it.
#ifndef CN_PGSOURCE_SOURCE_METRICS_HPP
#define CN_PGSOURCE_SOURCE_METRICS_HPP

#include <cn/plugin.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace cn::pgsource {

class SourceMetrics {
 public:
  explicit SourceMetrics(const cn::Host &host)
      : inserts_(change(host, "insert")), updates_(change(host, "update")), deletes_(change(host, "delete")),
        truncates_(change(host, "truncate")),
        transactions_(host.counter("postgres_source_transactions_total",
                                   "Source transactions written to the topic, through their commit.")),
        bytes_(host.counter("postgres_source_event_bytes_total", "Bytes of the change events written to the topic.")),
        slot_lag_bytes_(host.gauge("postgres_source_slot_lag_bytes",
                                   "WAL the slot holds back: the server's WAL end, as the stream last told it, minus "
                                   "the position this source has confirmed.")),
        lag_seconds_(host.gauge("postgres_source_lag_seconds",
                                "For the last transaction written to the topic: when it was written minus its commit "
                                "on the source, in seconds.")),
        connected_(host.gauge("postgres_source_connected",
                              "1 while the source streams from its slot, 0 while it is not connected.")) {}

  // One change event emitted; type is pgoutput's message type: 'I', 'U', 'D', 'T'.
  void change(char type) {
    switch (type) {
      case 'I': ++pending_.inserts; break;
      case 'U': ++pending_.updates; break;
      case 'D': ++pending_.deletes; break;
      case 'T': ++pending_.truncates; break;
      default: break;
    }
  }
  void event(std::size_t bytes) {
    pending_.bytes += bytes;
    if (++pending_.events == kPublishEvery) publish();
  }
  // A transaction's commit emitted: written at now, committed at
  // commit_time (both microseconds since PostgreSQL's epoch).
  void transaction(int64_t commit_time, int64_t now) {
    publish();
    transactions_.add(1);
    lag_seconds_.set(static_cast<double>(now - commit_time) / 1e6);
  }
  void positions(uint64_t server_wal_end, uint64_t confirmed) const {
    slot_lag_bytes_.set(server_wal_end > confirmed ? static_cast<double>(server_wal_end - confirmed) : 0.0);
  }
  void connected(bool yes) {
    publish();
    connected_.set(yes ? 1 : 0);
  }

  // Adds what was counted to the host's series: at each commit, every
  // kPublishEvery events, at a disconnect, and when the caller asks
  // (after a batch of the initial load).
  void publish() {
    if (pending_.inserts) inserts_.add(static_cast<double>(pending_.inserts));
    if (pending_.updates) updates_.add(static_cast<double>(pending_.updates));
    if (pending_.deletes) deletes_.add(static_cast<double>(pending_.deletes));
    if (pending_.truncates) truncates_.add(static_cast<double>(pending_.truncates));
    if (pending_.bytes) bytes_.add(static_cast<double>(pending_.bytes));
    pending_ = {};
  }

  // The initial load of table: rows done so far, and the planner's
  // estimate of all (-1: none). A table's gauges are registered on its
  // first call.
  void loading(const cn::Host &host, const std::string &table, uint64_t rows, double estimated) {
    auto [it, first] = load_.try_emplace(table);
    if (first)
      it->second = {host.gauge("postgres_source_initial_load_rows", "Rows of the table the initial load has written.",
                               {{"table", table}}),
                    host.gauge("postgres_source_initial_load_rows_estimated",
                               "Rows of the table by the planner's estimate (pg_class.reltuples), as the initial load "
                               "began it.",
                               {{"table", table}})};
    it->second.first.set(static_cast<double>(rows));
    if (estimated >= 0) it->second.second.set(estimated);
  }

 private:
  static cn::Metric change(const cn::Host &host, const char *op) {
    return host.counter("postgres_source_changes_total", "Changes written to the topic, by operation.", {{"op", op}});
  }

  // Changes and bytes are counted here and added to the host's series at
  // each commit (and every kPublishEvery events of a large transaction): an
  // update of a series is an atomic read-modify-write, which cost 6% of the
  // source's CPU on wide rows when made twice per event.
  static constexpr uint64_t kPublishEvery = 4096;
  struct Pending {
    uint64_t inserts = 0, updates = 0, deletes = 0, truncates = 0, bytes = 0, events = 0;
  };
  Pending pending_;
  cn::Metric inserts_, updates_, deletes_, truncates_, transactions_, bytes_, slot_lag_bytes_, lag_seconds_,
      connected_;
  std::map<std::string, std::pair<cn::Metric, cn::Metric>> load_;  // per table: rows done, rows estimated
};

}  // namespace cn::pgsource

#endif
