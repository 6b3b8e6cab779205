// Throwaway NATS servers with JetStream for integration tests: one node, or
// a cluster of several on loopback, each on free ports with its own store
// directory in a temporary directory, killed and deleted when the object
// goes away.
#ifndef CN_TEST_NATS_SERVER_HPP
#define CN_TEST_NATS_SERVER_HPP

#include "paths.hpp"

#include <memory>
#include <string>
#include <vector>

namespace cn::test {

class NatsServers {
 public:
  struct Options {
    int nodes = 1;              // more than one: a JetStream cluster
    std::string user, password;  // required of clients when set
    bool tls = false;            // clients must speak TLS (see ca_certificate())
    bool client_certificates = false;  // with tls: clients must show a certificate the CA signed
  };

  NatsServers();  // default Options
  explicit NatsServers(const Options &options);
  ~NatsServers();  // kills every node, removes the directory
  NatsServers(const NatsServers &) = delete;
  NatsServers &operator=(const NatsServers &) = delete;

  // nats://127.0.0.1:PORT of every node, comma-separated (what --topics takes).
  std::string urls() const;
  std::string url(int node) const;
  int nodes() const;
  // The CA that signed the servers' certificate (with Options::tls).
  std::string ca_certificate() const { return dir_ / "ca.crt"; }
  // A client certificate and key the CA signed (with Options::tls), made
  // on the first call.
  std::pair<std::string, std::string> client_certificate() const;

  // The node's server name ("n0", "n1", ...), as JetStream names a leader.
  std::string name(int node) const;

  void kill9(int node);  // SIGKILL, as a crash
  void start(int node);  // again, on the same ports and store

  // The node that leads the stream now (asked of the servers); -1 if none.
  int stream_leader(const std::string &stream) const;
  // The stream's first and last sequence (asked of the servers).
  std::pair<uint64_t, uint64_t> stream_sequences(const std::string &stream) const;
  // Purges every message of the stream whose sequence is below keep_from.
  void purge_below(const std::string &stream, uint64_t keep_from) const;

 private:
  struct Node;
  Options options_;
  TempDir dir_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

}  // namespace cn::test

#endif
