#include "metrics_endpoint.hpp"

#include <CivetServer.h>
#include <civetweb.h>
#include <prometheus/exposer.h>

#include <atomic>
#include <cstring>
#include <stdexcept>

namespace cn::host {

namespace {

// civetweb's callbacks carry no context of ours: the one endpoint's health.
std::atomic<const Health *> g_health{nullptr};

const char *state_name(Health::State state) {
  switch (state) {
    case Health::State::starting: return "starting";
    case Health::State::running: return "running";
    case Health::State::retrying: return "retrying";
    case Health::State::stopped: return "stopped";
    default: return "failed";
  }
}

void answer(mg_connection *connection, bool ok, const std::string &text) {
  const std::string body = text + "\n";
  mg_printf(connection,
            "HTTP/1.1 %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
            ok ? "200 OK" : "503 Service Unavailable", body.size());
  mg_write(connection, body.data(), body.size());
}

// /healthz and /readyz; anything else goes on to the Exposer (/metrics).
int health_request(mg_connection *connection) {
  const mg_request_info *request = mg_get_request_info(connection);
  const Health *health = g_health.load();
  if (!health || !request || !request->local_uri) return 0;
  if (std::strcmp(request->local_uri, "/healthz") == 0) {
    const bool ok = health->healthy();
    answer(connection, ok, ok ? "ok" : std::string("unhealthy: ") + state_name(health->state()));
    return ok ? 200 : 503;
  }
  if (std::strcmp(request->local_uri, "/readyz") == 0) {
    const bool ok = health->ready();
    answer(connection, ok, ok ? "ready" : std::string("not ready: ") + state_name(health->state()));
    return ok ? 200 : 503;
  }
  return 0;
}

}  // namespace

MetricsEndpoint::MetricsEndpoint(const std::string &listen, std::shared_ptr<Metrics> metrics, const Health &health)
    : address_(listen.substr(0, listen.rfind(':'))), metrics_(std::move(metrics)) {
  const Health *none = nullptr;
  if (!g_health.compare_exchange_strong(none, &health))
    throw std::logic_error("one metrics endpoint per process");
  static CivetCallbacks callbacks;
  callbacks.begin_request = &health_request;
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(listen, 2, &callbacks);
  } catch (const std::exception &e) {
    g_health = nullptr;
    throw std::runtime_error("--metrics-listen " + listen + ": cannot listen there (" + e.what() + ")");
  }
  exposer_->RegisterCollectable(metrics_);
}

MetricsEndpoint::~MetricsEndpoint() {
  exposer_.reset();  // stops the server's threads before the health they read goes
  g_health = nullptr;
}

std::string MetricsEndpoint::url() const {
  const std::vector<int> ports = exposer_->GetListeningPorts();
  return "http://" + address_ + ":" + (ports.empty() ? std::string("?") : std::to_string(ports.front()));
}

}  // namespace cn::host
