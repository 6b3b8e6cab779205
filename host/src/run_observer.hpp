// What the run loops tell the world while they run: the host's metrics
// (metrics.hpp; names documented in the README's Observability section)
// and the connector's health (health.hpp). Used by the run loop's thread;
// every update but a retry's is lock-free.
#ifndef CN_HOST_RUN_OBSERVER_HPP
#define CN_HOST_RUN_OBSERVER_HPP

#include "health.hpp"
#include "metrics.hpp"

#include <cn/plugin.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <vector>

namespace cn::host {

class RunObserver {
 public:
  RunObserver(Metrics &metrics, Health &health)
      : metrics_(metrics), health_(health),
        records_read_(metrics.counter("connector_topic_records_read_total", "Records read from the topic.")),
        bytes_read_(metrics.counter("connector_topic_bytes_read_total", "Bytes of the records read from the topic.")),
        records_written_(
            metrics.counter("connector_topic_records_written_total", "Records written to the topic (durable).")),
        bytes_written_(metrics.counter("connector_topic_bytes_written_total",
                                       "Bytes of the records written to the topic (durable).")),
        batch_records_(metrics.histogram("connector_batch_records",
                                         "Records per batch handed to the plugin (a sink's consume) or taken from it "
                                         "(a source's poll); _count is the number of batches.",
                                         {1, 10, 100, 1000, 10000, 100000})),
        commit_seconds_(metrics.histogram("connector_commit_duration_seconds",
                                          "How long a commit took: a sink's commit(), a source's topic flush and "
                                          "ack(); _count is the number of commits.",
                                          {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})),
        committed_offset_(metrics.gauge("connector_committed_offset",
                                        "The last offset committed: applied by a sink, acknowledged to a source; -1 "
                                        "before the first.")),
        errors_(metrics.counter("connector_errors_total", "Failures that stopped the connector.")) {
    committed_offset_.set(-1);
    static constexpr std::array<const char *, 5> kStates = {"starting", "running", "retrying", "stopped", "failed"};
    for (std::size_t i = 0; i < kStates.size(); ++i)
      states_[i] = &metrics.gauge("connector_state",
                                  "The connector's state: 1 for the one it is in (starting, running, retrying "
                                  "after a failure, stopped, failed), 0 for the others.",
                                  {{"state", kStates[i]}});
    for (const char *callback : {"open", "resume_offset", "consume", "commit", "poll"}) retries(callback);
    state(Health::State::starting);
  }

  void state(Health::State s) {
    if (health_.state() == s && states_[static_cast<std::size_t>(s)]->value() == 1) return;
    health_.set(s);
    for (std::size_t i = 0; i < states_.size(); ++i) states_[i]->set(i == static_cast<std::size_t>(s) ? 1 : 0);
  }
  // The plugin is open, has applied through offset committed (a sink;
  // -1: nothing), and the topic answered. A connector that was retrying
  // stays so until it commits, or has caught up (caught_up()).
  void ready(int64_t committed = -1) {
    committed_offset_.set(static_cast<double>(committed));
    health_.set_ready();
    if (health_.state() == Health::State::starting) state(Health::State::running);
  }
  // A sink read the topic to its end with nothing left to commit.
  void caught_up() { state(Health::State::running); }

  void read(const std::vector<cn_record> &records) {
    std::size_t bytes = 0;
    for (const cn_record &r : records) bytes += r.value.len;
    records_read_.add(static_cast<double>(records.size()));
    bytes_read_.add(static_cast<double>(bytes));
    batch_records_.observe(static_cast<double>(records.size()));
  }
  // A source's poll emitted records first..last, now durable in the topic.
  void wrote(std::size_t records, std::size_t bytes) {
    records_written_.add(static_cast<double>(records));
    bytes_written_.add(static_cast<double>(bytes));
    batch_records_.observe(static_cast<double>(records));
  }
  void committed(int64_t offset, std::chrono::steady_clock::duration took) {
    committed_offset_.set(static_cast<double>(offset));
    commit_seconds_.observe(std::chrono::duration<double>(took).count());
    state(Health::State::running);
  }
  // A callback (or the topic) asked to retry: the connector backs off.
  void retrying(const char *callback) {
    retries(callback).add(1);
    state(Health::State::retrying);
  }
  int64_t committed_offset() const { return static_cast<int64_t>(committed_offset_.value()); }
  // Records moved so far: read from the topic (a sink) or written to it (a source).
  double records() const { return records_read_.value() + records_written_.value(); }

  void failed() {
    errors_.add(1);
    state(Health::State::failed);
  }

 private:
  cn::MetricCell &retries(const char *callback) {
    return metrics_.counter("connector_retries_total", "Backoffs after a callback asked to retry, by callback.",
                            {{"callback", callback}});
  }

  Metrics &metrics_;
  Health &health_;
  cn::MetricCell &records_read_, &bytes_read_, &records_written_, &bytes_written_;
  cn::MetricCell &batch_records_, &commit_seconds_, &committed_offset_, &errors_;
  std::array<cn::MetricCell *, 5> states_{};
};

}  // namespace cn::host

#endif
