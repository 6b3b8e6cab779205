#include "metrics.hpp"

#include <prometheus/check_names.h>
#include <prometheus/metric_type.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <stdexcept>

namespace cn::host {

namespace {

prometheus::MetricType type_of(cn_metric_kind kind) {
  switch (kind) {
    case CN_METRIC_COUNTER: return prometheus::MetricType::Counter;
    case CN_METRIC_GAUGE: return prometheus::MetricType::Gauge;
    default: return prometheus::MetricType::Histogram;
  }
}

const char *kind_name(cn_metric_kind kind) {
  switch (kind) {
    case CN_METRIC_COUNTER: return "counter";
    case CN_METRIC_GAUGE: return "gauge";
    default: return "histogram";
  }
}

prometheus::ClientMetric sample(const cn::MetricCell &cell, const MetricLabels &labels) {
  prometheus::ClientMetric m;
  for (const auto &[name, value] : labels) m.label.push_back({name, value});
  switch (cell.kind()) {
    case CN_METRIC_COUNTER: m.counter.value = cell.value(); break;
    case CN_METRIC_GAUGE: m.gauge.value = cell.value(); break;
    default: {
      // Counted from the buckets, so that the count always equals the
      // +Inf bucket even while observations land.
      uint64_t cumulative = 0;
      for (std::size_t i = 0; i < cell.bounds().size(); ++i) {
        cumulative += cell.in_bucket(i);
        m.histogram.bucket.push_back({cumulative, cell.bounds()[i]});
      }
      cumulative += cell.in_bucket(cell.bounds().size());
      m.histogram.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
      m.histogram.sample_count = cumulative;
      m.histogram.sample_sum = cell.sum();
    }
  }
  return m;
}

// The process's resident memory (from /proc) and CPU time, as every
// Prometheus client names them.
void add_process_metrics(std::vector<prometheus::MetricFamily> &out, const MetricLabels &common) {
  long pages = 0, resident = 0;
  std::ifstream("/proc/self/statm") >> pages >> resident;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  cn::MetricCell rss(CN_METRIC_GAUGE), seconds(CN_METRIC_COUNTER);
  rss.set(static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)));
  seconds.add(cpu);
  out.push_back({"process_resident_memory_bytes", "Resident memory of the connector-host process, in bytes.",
                 prometheus::MetricType::Gauge, {sample(rss, common)}});
  out.push_back({"process_cpu_seconds_total", "User and system CPU time of the connector-host process, in seconds.",
                 prometheus::MetricType::Counter, {sample(seconds, common)}});
}

}  // namespace

Metrics::Metrics(MetricLabels common) : common_(std::move(common)) {}

cn::MetricCell &Metrics::counter(const std::string &name, const std::string &help, const MetricLabels &labels) {
  return series({CN_METRIC_COUNTER, name, help, labels, {}});
}

cn::MetricCell &Metrics::gauge(const std::string &name, const std::string &help, const MetricLabels &labels) {
  return series({CN_METRIC_GAUGE, name, help, labels, {}});
}

cn::MetricCell &Metrics::histogram(const std::string &name, const std::string &help,
                                   const std::vector<double> &buckets, const MetricLabels &labels) {
  return series({CN_METRIC_HISTOGRAM, name, help, labels, buckets});
}

cn::MetricCell *Metrics::register_metric(const std::string &plugin, const cn::MetricSpec &spec, std::string &problem) {
  // A plugin's names start with its own, so that they never meet the
  // host's (connector_, process_) or another plugin's.
  std::string prefix = plugin + "_";
  std::replace(prefix.begin(), prefix.end(), '-', '_');
  if (spec.name.rfind(prefix, 0) != 0) {
    problem = "a plugin's metric names start with '" + prefix + "'";
    return nullptr;
  }
  try {
    return &series(spec);
  } catch (const std::invalid_argument &e) {
    problem = e.what();
    return nullptr;
  }
}

cn::MetricCell &Metrics::series(const cn::MetricSpec &spec) {
  if (!prometheus::CheckMetricName(spec.name) || spec.name.rfind("__", 0) == 0)
    throw std::invalid_argument("'" + spec.name + "' is not a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)");
  if (spec.kind != CN_METRIC_COUNTER && spec.kind != CN_METRIC_GAUGE && spec.kind != CN_METRIC_HISTOGRAM)
    throw std::invalid_argument("kind " + std::to_string(static_cast<int>(spec.kind)) + " is not a cn_metric_kind");
  if (spec.kind == CN_METRIC_HISTOGRAM &&
      (spec.buckets.empty() ||
       std::adjacent_find(spec.buckets.begin(), spec.buckets.end(), [](double a, double b) { return !(a < b); }) !=
           spec.buckets.end() ||
       std::any_of(spec.buckets.begin(), spec.buckets.end(), [](double b) { return !std::isfinite(b); })))
    throw std::invalid_argument("a histogram's buckets must be given, finite and strictly increasing");
  MetricLabels labels = common_;
  for (const auto &label : spec.labels) {
    const std::string &name = label.first;  // (a structured binding cannot be captured before C++20)
    if (!prometheus::CheckLabelName(name) || name == "le")
      throw std::invalid_argument("'" + name + "' is not a label name this metric can have");
    if (std::any_of(labels.begin(), labels.end(), [&](const auto &l) { return l.first == name; }))
      throw std::invalid_argument("label '" + name + "' is given twice, or is one the host sets");
    labels.push_back(label);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (probes_.count(spec.name)) throw std::invalid_argument("'" + spec.name + "' is a metric of the host");
  auto [it, made] = families_.try_emplace(spec.name, Family{spec.kind, spec.help, spec.buckets, {}});
  Family &family = it->second;
  if (!made && (family.kind != spec.kind || family.help != spec.help || family.buckets != spec.buckets))
    throw std::invalid_argument("'" + spec.name + "' is registered already as a " + kind_name(family.kind) +
                                " with other help text or buckets");
  std::unique_ptr<cn::MetricCell> &cell = family.series[labels];
  if (!cell) cell = std::make_unique<cn::MetricCell>(spec.kind, spec.buckets);
  return *cell;
}

Metrics::Probe Metrics::probe(const std::string &name, const std::string &help,
                              std::function<std::optional<double>()> read) {
  if (!prometheus::CheckMetricName(name)) throw std::invalid_argument("'" + name + "' is not a metric name");
  std::lock_guard<std::mutex> lock(mutex_);
  if (families_.count(name)) throw std::invalid_argument("'" + name + "' is registered already");
  probes_[name] = Probed{help, std::move(read)};
  return Probe(*this, name);
}

Metrics::Probe::~Probe() {
  if (!metrics_) return;
  std::lock_guard<std::mutex> lock(metrics_->mutex_);
  metrics_->probes_.erase(name_);
}

std::vector<prometheus::MetricFamily> Metrics::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto &[name, family] : families_) {
      prometheus::MetricFamily f{name, family.help, type_of(family.kind), {}};
      for (const auto &[labels, cell] : family.series) f.metric.push_back(sample(*cell, labels));
      out.push_back(std::move(f));
    }
    for (const auto &[name, probed] : probes_) {
      std::optional<double> value;
      try {
        value = probed.read();
      } catch (const std::exception &) {
        // Left out of this scrape: the topic may be unreachable for a while.
      }
      if (!value) continue;
      cn::MetricCell cell(CN_METRIC_GAUGE);
      cell.set(*value);
      out.push_back({name, probed.help, prometheus::MetricType::Gauge, {sample(cell, common_)}});
    }
  }
  add_process_metrics(out, common_);
  return out;
}

}  // namespace cn::host
