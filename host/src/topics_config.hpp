// Where the topics live and how to reach them: `--topics` and
// `--topic-replicas` on the command line, or `topics:` in connect.yml (the
// command line wins).
//
//   topics: ./topics                       # a directory: the file log
//   topics: nats://n1:4222,nats://n2:4222  # NATS JetStream, one stream per topic
//   topics:                                # or a map, for NATS' credentials and TLS
//     url: nats://n1:4222,nats://n2:4222
//     user: connector
//     password: ${{ secrets.NATS_PASSWORD }}
//     token: ...             # instead of user/password
//     credentials: app.creds # a .creds file (JWT and seed)
//     tls_ca: ca.pem         # the CA that signed the servers' certificates
//     tls_cert: client.pem   # a client certificate and its key
//     tls_key: client.key
//     replicas: 3            # for streams a writer creates
//     max_age_seconds: 0     # retention of streams a writer creates; 0: none
//     max_bytes: -1          # -1: no limit
#ifndef CN_HOST_TOPICS_CONFIG_HPP
#define CN_HOST_TOPICS_CONFIG_HPP

#include <chrono>
#include <cstdint>
#include <string>

namespace cn::host {

struct NatsSettings {
  std::string user, password, token, credentials_file;
  std::string tls_ca, tls_cert, tls_key;
  int replicas = 1;             // of a stream a writer creates (1..5)
  int64_t max_age_seconds = 0;  // of a stream a writer creates; 0: kept for ever
  int64_t max_bytes = -1;       // of a stream a writer creates; -1: no limit
};

struct TopicsConfig {
  std::string location = "topics";  // a directory, or nats://HOST:PORT[,nats://...] (tls:// too)
  NatsSettings nats;
  // How long the NATS backend waits between attempts while the servers are
  // unreachable (the host's --retry-initial-ms / --retry-max-ms).
  std::chrono::milliseconds retry_initial{100}, retry_max{30000};
};

// The topics of the file log in directory.
inline TopicsConfig topics_in(const std::string &directory) {
  TopicsConfig config;
  config.location = directory;
  return config;
}

// Whether location names NATS servers rather than a directory.
inline bool is_nats_location(const std::string &location) {
  return location.rfind("nats://", 0) == 0 || location.rfind("tls://", 0) == 0;
}

}  // namespace cn::host

#endif
