// cn/metrics.hpp - the metrics plugins keep (cn_host.metric_register), for a
// program that loads plugins (cn/loader.hpp): the series they update, and
// where their registrations go.
//
// The loader answers cn_host.metric_register by asking the program's
// MetricSink for a MetricCell, and the update calls of cn_host act on that
// cell directly. connector-host's sink exposes the cells to Prometheus; a
// program that passes no MetricSink keeps no plugin metrics.
#ifndef CN_METRICS_HPP
#define CN_METRICS_HPP

#include <cn/plugin.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cn {

// One series of a metric. Updates are lock-free and allocate nothing, from
// any thread; reads (for a scrape) may run at the same time and see each
// value whole, though not all of a histogram's parts at one instant.
class MetricCell {
 public:
  // bounds: a histogram's bucket upper bounds, strictly increasing (+Inf
  // is implied); empty for the other kinds.
  explicit MetricCell(cn_metric_kind kind, std::vector<double> bounds = {});
  MetricCell(const MetricCell &) = delete;
  MetricCell &operator=(const MetricCell &) = delete;

  cn_metric_kind kind() const noexcept { return kind_; }

  void add(double delta) noexcept;      // counter (delta >= 0, else ignored) or gauge
  void set(double value) noexcept;      // gauge; ignored for the other kinds
  void observe(double value) noexcept;  // histogram; ignored for the other kinds

  double value() const noexcept { return value_.load(std::memory_order_relaxed); }  // counter, gauge
  const std::vector<double> &bounds() const noexcept { return bounds_; }
  // The observations in bucket i alone (not cumulative); i == bounds().size()
  // is the +Inf bucket.
  uint64_t in_bucket(std::size_t i) const noexcept { return buckets_[i].load(std::memory_order_relaxed); }
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

 private:
  cn_metric_kind kind_;
  std::atomic<double> value_{0};
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

// A registration, as the plugin made it (cn_metric_spec), copied.
struct MetricSpec {
  cn_metric_kind kind = CN_METRIC_COUNTER;
  std::string name, help;
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<double> buckets;
};

// Where the registrations of a program's plugin instances go. Implemented
// by the program; register_metric() may be called from any thread.
class MetricSink {
 public:
  virtual ~MetricSink() = default;
  // Returns the series for spec, made on the first registration of its
  // name and labels and the same one after; it must stay valid as long as
  // the sink. nullptr refuses the registration, with the reason in problem
  // (the loader logs it as a WARN of the plugin).
  virtual MetricCell *register_metric(const std::string &plugin, const MetricSpec &spec, std::string &problem) = 0;
};

}  // namespace cn

#endif  // CN_METRICS_HPP
