#include "metrics_endpoint.hpp"

#include <CivetServer.h>
#include <civetweb.h>
#include <prometheus/exposer.h>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

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

// Connects to the endpoint and hangs up at once.
void knock(const std::string &address, int port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo *found = nullptr;
  const std::string host = address.empty() || address == "0.0.0.0" ? "127.0.0.1" : address;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return;
  const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol);
  if (fd >= 0) {
    (void)::connect(fd, found->ai_addr, found->ai_addrlen);
    ::close(fd);
  }
  freeaddrinfo(found);
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
  // civetweb's listening thread sees that it must stop only when its poll
  // returns: on a connection, or after a second. Knocking until it has
  // stopped saves a connector that ends that second.
  const std::vector<int> ports = exposer_->GetListeningPorts();
  std::atomic<bool> stopped{false};
  std::thread knocker([&] {
    while (!ports.empty() && !stopped) {
      knock(address_, ports.front());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  exposer_.reset();  // stops the server's threads before the health they read goes
  stopped = true;
  knocker.join();
  g_health = nullptr;
}

std::string MetricsEndpoint::url() const {
  const std::vector<int> ports = exposer_->GetListeningPorts();
  return "http://" + address_ + ":" + (ports.empty() ? std::string("?") : std::to_string(ports.front()));
}

}  // namespace cn::host
