// --metrics-listen: the web endpoint of a running connector, with
// prometheus-cpp's Exposer (civetweb underneath):
//   /metrics  the connector's metrics in Prometheus' text format;
//   /healthz  200 "ok" while Health::healthy(), else 503 with the state;
//   /readyz   200 "ready" once Health::ready(), else 503.
#ifndef CN_HOST_METRICS_ENDPOINT_HPP
#define CN_HOST_METRICS_ENDPOINT_HPP

#include "health.hpp"
#include "metrics.hpp"

#include <memory>
#include <string>

namespace prometheus {
class Exposer;
}

namespace cn::host {

class MetricsEndpoint {
 public:
  // Listens on listen (ADDR:PORT; port 0: a free one) until destroyed. One
  // per process. Throws std::runtime_error naming listen when it cannot.
  MetricsEndpoint(const std::string &listen, std::shared_ptr<Metrics> metrics, const Health &health);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint &) = delete;
  MetricsEndpoint &operator=(const MetricsEndpoint &) = delete;

  // "http://ADDR:PORT", with the port it listens on.
  std::string url() const;

 private:
  std::string address_;
  std::shared_ptr<Metrics> metrics_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace cn::host

#endif
