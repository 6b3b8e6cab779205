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

#include <functional>
#include <map>
#include <memory>
#include <optional>
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

  // A gauge read at each scrape from read (left out when it returns
  // nothing or throws), until the Probe returned goes; its destructor waits
  // for a scrape that is reading it.
  class Probe {
   public:
    Probe(Metrics &metrics, std::string name) : metrics_(&metrics), name_(std::move(name)) {}
    Probe(Probe &&other) noexcept : metrics_(std::exchange(other.metrics_, nullptr)), name_(std::move(other.name_)) {}
    Probe &operator=(Probe &&) = delete;
    ~Probe();

   private:
    Metrics *metrics_;
    std::string name_;
  };
  [[nodiscard]] Probe probe(const std::string &name, const std::string &help,
                            std::function<std::optional<double>()> read);

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

  struct Probed {
    std::string help;
    std::function<std::optional<double>()> read;
  };

  MetricLabels common_;
  mutable std::mutex mutex_;  // registrations, probes and scrapes, never updates
  std::map<std::string, Family> families_;
  std::map<std::string, Probed> probes_;
};

}  // namespace cn::host

#endif
