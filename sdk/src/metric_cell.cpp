#include <cn/metrics.hpp>

#include <algorithm>

namespace cn {

namespace {

// std::atomic<double>::fetch_add is C++20.
void atomic_add(std::atomic<double> &target, double delta) noexcept {
  double seen = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(seen, seen + delta, std::memory_order_relaxed)) {
  }
}

}  // namespace

MetricCell::MetricCell(cn_metric_kind kind, std::vector<double> bounds)
    : kind_(kind), bounds_(kind == CN_METRIC_HISTOGRAM ? std::move(bounds) : std::vector<double>{}),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void MetricCell::add(double delta) noexcept {
  if (kind_ == CN_METRIC_GAUGE || (kind_ == CN_METRIC_COUNTER && delta >= 0)) atomic_add(value_, delta);
}

void MetricCell::set(double value) noexcept {
  if (kind_ == CN_METRIC_GAUGE) value_.store(value, std::memory_order_relaxed);
}

void MetricCell::observe(double value) noexcept {
  if (kind_ != CN_METRIC_HISTOGRAM) return;
  // The first bucket whose upper bound holds the value (le: less or equal).
  const std::size_t i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                                 bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, value);
}

}  // namespace cn
