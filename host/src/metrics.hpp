// The metrics of one connector: the host's own and those its plugin
// registers (cn/metrics.hpp), every series labelled with the connector, the
// plugin and the topic, and the process's memory and CPU. A Prometheus
// scrape reads them (Collect(), through metrics_endpoint.hpp); updates are
// lock-free (cn::MetricCell).
#ifndef CN_HOST_METRICS_HPP
#define CN_HOST_METRICS_HPP

#include <cn/metrics.hpp>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace cn::host {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Metrics : public prometheus::Collectable, public cn::MetricSink {
 public:
  // common: the labels every series gets (connector, plugin, topic).
  explicit Metrics(MetricLabels common);

  // The series of name with labels, made on first use. Throws
  // std::invalid_argument for a bad name or label, or a name known with
  // another kind or help.
  cn::MetricCell &counter(const std::string &name, const std::string &help, const MetricLabels &labels = {});
  cn::MetricCell &gauge(const std::string &name, const std::string &help, const MetricLabels &labels = {});
  cn::MetricCell &histogram(const std::string &name, const std::string &help, const std::vector<double> &buckets,
                            const MetricLabels &labels = {});

  // A plugin's registration (cn_host.metric_register).
  cn::MetricCell *register_metric(const std::string &plugin, const cn::MetricSpec &spec,
                                  std::string &problem) override;

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Family {
    cn_metric_kind kind;
    std::string help;
    std::vector<double> buckets;
    std::map<MetricLabels, std::unique_ptr<cn::MetricCell>> series;
  };
  cn::MetricCell &series(const cn::MetricSpec &spec);

  MetricLabels common_;
  mutable std::mutex mutex_;  // registrations and scrapes, never updates
  std::map<std::string, Family> families_;
};

}  // namespace cn::host

#endif
