#include "nats_server.hpp"

#include "certificates.hpp"
#include "poll.hpp"
#include "ports.hpp"
#include "process.hpp"

#include <nats/nats.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <thread>

namespace cn::test {

namespace {

const std::string kNatsServer = "/usr/sbin/nats-server";

// Polls condition (a server's log, a server's answer) every 20 ms until it
// holds or the safety timeout passes.
bool poll(const std::function<bool()> &condition, std::chrono::seconds safety_timeout = std::chrono::seconds(30)) {
  return poll_until(condition, safety_timeout, std::chrono::milliseconds(20));
}

// A connection and JetStream context for the harness's own questions.
struct Client {
  natsConnection *connection = nullptr;
  jsCtx *js = nullptr;
  Client(const std::string &url, const NatsServers &all, const NatsServers::Options &servers) {
    natsOptions *options = nullptr;
    natsOptions_Create(&options);
    natsOptions_SetURL(options, url.c_str());
    if (!servers.user.empty()) natsOptions_SetUserInfo(options, servers.user.c_str(), servers.password.c_str());
    if (servers.tls) {
      natsOptions_SetSecure(options, true);
      natsOptions_LoadCATrustedCertificates(options, all.ca_certificate().c_str());
      if (servers.client_certificates) {
        const auto [cert, key] = all.client_certificate();
        natsOptions_LoadCertificatesChain(options, cert.c_str(), key.c_str());
      }
    }
    natsStatus status = natsConnection_Connect(&connection, options);
    natsOptions_Destroy(options);
    if (status != NATS_OK) throw std::runtime_error("cannot connect to " + url + ": " + natsStatus_GetText(status));
    natsConnection_JetStream(&js, connection, nullptr);
  }
  ~Client() {
    if (js) jsCtx_Destroy(js);
    if (connection) natsConnection_Destroy(connection);
  }
};

}  // namespace

struct NatsServers::Node {
  std::string name, config, log;
  int port = 0, cluster_port = 0;
  std::unique_ptr<Child> process;
};

NatsServers::NatsServers() : NatsServers(Options{}) {}

NatsServers::NatsServers(const Options &options) : options_(options) {
  for (int i = 0; i < options.nodes; ++i) {
    auto node = std::make_unique<Node>();
    node->name = "n" + std::to_string(i);
    node->port = free_loopback_port();
    node->cluster_port = options.nodes > 1 ? free_loopback_port() : 0;
    node->config = dir_ / (node->name + ".conf");
    node->log = dir_ / (node->name + ".log");
    nodes_.push_back(std::move(node));
  }
  if (options.tls)
    make_test_certificates("cn_test NatsServers CA", ca_certificate(), dir_ / "server.crt", dir_ / "server.key");
  for (auto &node : nodes_) {
    std::ofstream conf(node->config);
    conf << "server_name: " << node->name << "\nlisten: 127.0.0.1:" << node->port << "\nlogfile: \"" << node->log
         << "\"\njetstream { store_dir: \"" << (dir_ / ("store-" + node->name)) << "\" }\n";
    if (options.tls)
      conf << "tls { cert_file: \"" << (dir_ / "server.crt") << "\", key_file: \"" << (dir_ / "server.key") << "\""
           << (options.client_certificates ? ", ca_file: \"" + ca_certificate() + "\", verify: true" : "") << " }\n";
    if (!options.user.empty())
      conf << "authorization { user: \"" << options.user << "\", password: \"" << options.password << "\" }\n";
    if (options.nodes > 1) {
      conf << "cluster { name: cn_test, listen: 127.0.0.1:" << node->cluster_port << ", routes: [";
      for (std::size_t j = 0; j < nodes_.size(); ++j)
        conf << (j ? ", " : "") << "nats-route://127.0.0.1:" << nodes_[j]->cluster_port;
      conf << "] }\n";
    }
  }
  for (int i = 0; i < options.nodes; ++i) start(i);
}

NatsServers::~NatsServers() = default;  // each Child kills its server

std::string NatsServers::url(int node) const {
  return "nats://127.0.0.1:" + std::to_string(nodes_.at(static_cast<std::size_t>(node))->port);
}

std::string NatsServers::urls() const {
  std::string all;
  for (int i = 0; i < nodes(); ++i) all += (i ? "," : "") + url(i);
  return all;
}

std::pair<std::string, std::string> NatsServers::client_certificate() const {
  const std::string cert = dir_ / "client.crt", key = dir_ / "client.key";
  if (!std::filesystem::exists(cert)) make_client_certificate(ca_certificate(), "cn_test client", cert, key);
  return {cert, key};
}

int NatsServers::nodes() const { return static_cast<int>(nodes_.size()); }

std::string NatsServers::name(int node) const { return nodes_.at(static_cast<std::size_t>(node))->name; }

void NatsServers::kill9(int node) {
  Node &n = *nodes_.at(static_cast<std::size_t>(node));
  if (!n.process) return;
  n.process->send_signal(SIGKILL);
  n.process->wait();
  n.process.reset();
}

void NatsServers::start(int node) {
  Node &n = *nodes_.at(static_cast<std::size_t>(node));
  const std::size_t log_before = read_file(n.log).size();
  n.process = std::make_unique<Child>(std::vector<std::string>{kNatsServer, "-c", n.config});
  if (!poll([&] { return read_file(n.log).find("Server is ready", log_before) != std::string::npos; }))
    throw std::runtime_error("nats-server " + n.name + " did not start; its log:\n" + read_file(n.log));
}

int NatsServers::stream_leader(const std::string &stream) const {
  int leader = -1;
  poll([&] {
    for (int i = 0; i < nodes() && leader < 0; ++i) {
      if (!nodes_[static_cast<std::size_t>(i)]->process) continue;
      try {
        Client client(url(i), *this, options_);
        jsStreamInfo *info = nullptr;
        if (js_GetStreamInfo(&info, client.js, stream.c_str(), nullptr, nullptr) != NATS_OK) continue;
        const std::string name = info->Cluster && info->Cluster->Leader ? info->Cluster->Leader : "";
        jsStreamInfo_Destroy(info);
        for (int j = 0; j < nodes(); ++j)
          if (this->name(j) == name) leader = j;
      } catch (const std::runtime_error &) {
        // this node is not answering; ask another
      }
    }
    return leader >= 0;
  });
  return leader;
}

std::pair<uint64_t, uint64_t> NatsServers::stream_sequences(const std::string &stream) const {
  Client client(urls(), *this, options_);
  jsStreamInfo *info = nullptr;
  natsStatus status = js_GetStreamInfo(&info, client.js, stream.c_str(), nullptr, nullptr);
  if (status != NATS_OK) throw std::runtime_error("no stream " + stream + ": " + natsStatus_GetText(status));
  std::pair<uint64_t, uint64_t> sequences{info->State.FirstSeq, info->State.LastSeq};
  jsStreamInfo_Destroy(info);
  return sequences;
}

void NatsServers::purge_below(const std::string &stream, uint64_t keep_from) const {
  Client client(urls(), *this, options_);
  jsOptions options;
  jsOptions_Init(&options);
  options.Stream.Purge.Sequence = keep_from;
  natsStatus status = js_PurgeStream(client.js, stream.c_str(), &options, nullptr);
  if (status != NATS_OK) throw std::runtime_error("cannot purge " + stream + ": " + natsStatus_GetText(status));
}

}  // namespace cn::test
