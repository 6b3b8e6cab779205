// The NATS JetStream backend's connection and its streams: what the store,
// the reader and the writer share (nats_store.cpp, nats_reader.cpp,
// nats_writer.cpp). Internal to the host.
//
// A topic is a stream (named as the topic: letters, digits, '_' and '-')
// holding one subject, cn.<topic>; a record is one message, and its offset is
// the message's stream sequence - 1, so offsets are 0-based and contiguous
// as in the file log.
#ifndef CN_HOST_NATS_LINK_HPP
#define CN_HOST_NATS_LINK_HPP

#include "topic.hpp"
#include "topics_config.hpp"

#include <nats/nats.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace cn::host {

// A failure that may pass (no server reachable, a leader being elected, an
// acknowledgement that did not come): the backend waits and tries again.
class NatsUnavailable : public TopicError {
 public:
  using TopicError::TopicError;
};

// "STATUS_TEXT: the library's last error", for messages.
std::string nats_error_text(natsStatus status);

// Whether a failed call is worth another try (the connection, a timeout, no
// responders while a stream leader is elected).
bool is_transient(natsStatus status);

// Throws NatsUnavailable (transient) or TopicError: "WHAT: why".
[[noreturn]] void throw_nats(const std::string &what, natsStatus status, jsErrCode code = static_cast<jsErrCode>(0));

// The stream's state, as the reader and writer need it.
struct StreamState {
  uint64_t first_seq = 0, last_seq = 0;  // an empty stream: first = last + 1
};

// One connection to the servers and its JetStream context. Reconnects by
// itself (without end); disconnections and reconnections go to warn.
class NatsLink {
 public:
  // Connects to config.location. Throws TopicError naming the servers when
  // they cannot be reached or refuse the credentials.
  NatsLink(const TopicsConfig &config, const std::string &topic, TopicWarning warn);
  ~NatsLink();
  NatsLink(const NatsLink &) = delete;
  NatsLink &operator=(const NatsLink &) = delete;

  natsConnection *connection() const { return connection_; }
  jsCtx *js() const { return js_; }
  const std::string &servers() const { return servers_; }
  const std::string &stream() const { return stream_; }
  const std::string &subject() const { return subject_; }
  // "topic 'T' (stream T on nats://...)"
  const std::string &describe() const { return describe_; }
  const TopicsConfig &config() const { return config_; }
  const TopicWarning &warn() const { return warn_; }

  // The stream's state; nothing when the stream does not exist. Throws
  // NatsUnavailable / TopicError. With check_config, a stream this backend
  // cannot work with is refused (TopicError, with the reason): memory
  // storage (a restart loses it), WorkQueue or Interest retention (they
  // delete what a sink has not applied), no duplicate window, or subjects
  // without the topic's.
  std::optional<StreamState> state(bool check_config = false) const;

  // Creates the stream (file storage, limits retention, config's replicas,
  // max age and bytes, direct get allowed) unless it exists.
  void create_stream() const;

  // How many times the connection was lost so far: acknowledgements due
  // from before a loss will not come.
  uint64_t disconnections() const { return watch_->disconnections; }

  // The largest message the servers take, in bytes.
  int64_t max_payload() const { return natsConnection_GetMaxPayload(connection_); }

 private:
  void release();  // the library's objects, once

  TopicsConfig config_;
  TopicWarning warn_;
  std::string servers_, stream_, subject_, describe_;
  natsOptions *options_ = nullptr;
  natsConnection *connection_ = nullptr;
  jsCtx *js_ = nullptr;

  // What the connection's callbacks use, on the library's thread; it lives
  // until the last of them (the closed callback), which may come after the
  // link is gone.
  struct ConnectionWatch {
    TopicWarning warn;
    std::string servers;
    std::atomic<bool> closing{false};  // a disconnection now is ours
    std::atomic<uint64_t> disconnections{0};
  };
  ConnectionWatch *watch_;
};

// The stream and subject of a topic. Throws TopicNameError for a name a
// stream cannot have.
std::string stream_of(const std::string &topic);
std::string subject_of(const std::string &topic);

// The store of topics on the NATS servers of config.location (topic.hpp's
// open_topics() chooses it).
std::unique_ptr<TopicStore> open_nats_topics(const TopicsConfig &config, TopicWarning warn,
                                             std::size_t max_record_bytes);

// The reader and the writer of a topic on link (nats_reader.cpp,
// nats_writer.cpp).
std::unique_ptr<TopicReader> open_nats_reader(std::shared_ptr<NatsLink> link, bool follow, std::size_t max_record);
std::unique_ptr<TopicWriter> open_nats_writer(std::shared_ptr<NatsLink> link, std::size_t max_record);

}  // namespace cn::host

#endif
