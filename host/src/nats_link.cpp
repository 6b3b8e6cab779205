// The NATS JetStream backend: the connection, the names of streams and
// subjects, errors, and the store that opens readers and writers.
#include "nats_link.hpp"

#include <cctype>
#include <vector>

namespace cn::host {

std::string nats_error_text(natsStatus status) {
  std::string text = natsStatus_GetText(status);
  natsStatus last = NATS_OK;
  const char *detail = nats_GetLastError(&last);
  if (detail && *detail && text.find(detail) == std::string::npos) text += " (" + std::string(detail) + ")";
  return text;
}

bool is_transient(natsStatus status) {
  switch (status) {
    case NATS_IO_ERROR:
    case NATS_NO_SERVER:
    case NATS_STALE_CONNECTION:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_TIMEOUT:
    case NATS_NOT_YET_CONNECTED:
    case NATS_INSUFFICIENT_BUFFER:
    case NATS_NO_RESPONDERS:
    case NATS_SLOW_CONSUMER:
    case NATS_MISSED_HEARTBEAT:
      return true;
    default:
      return false;
  }
}

namespace {

// JetStream's answers while a cluster elects a leader or a peer is away.
bool is_transient(jsErrCode code) {
  switch (code) {
    case JSClusterIncompleteErr:
    case JSClusterNoPeersErr:
    case JSClusterNotAvailErr:
    case JSClusterNotLeaderErr:
    case JSStreamStoreFailedErr:
    case JSInsufficientResourcesErr:
      return true;
    default:
      return false;
  }
}

std::vector<std::string> split_servers(const std::string &location) {
  std::vector<std::string> servers;
  std::size_t start = 0;
  for (std::size_t comma; (comma = location.find(',', start)) != std::string::npos; start = comma + 1)
    servers.push_back(location.substr(start, comma - start));
  servers.push_back(location.substr(start));
  return servers;
}

void check(natsStatus status, const std::string &what) {
  if (status != NATS_OK) throw TopicError("NATS: " + what + ": " + nats_error_text(status));
}

}  // namespace

void throw_nats(const std::string &what, natsStatus status, jsErrCode code) {
  std::string why = nats_error_text(status);
  if (code != 0) why += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  if (is_transient(status) || (status == NATS_ERR && is_transient(code))) throw NatsUnavailable(what + ": " + why);
  throw TopicError(what + ": " + why);
}

std::string stream_of(const std::string &topic) {
  bool ok = !topic.empty() && topic.size() <= 200;
  for (char c : topic) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-');
  if (!ok)
    throw TopicNameError("topic name '" + topic +
                         "' cannot name a NATS JetStream stream: use letters, digits, '_' and '-' (at most 200)");
  return topic;
}

std::string subject_of(const std::string &topic) { return "cn." + stream_of(topic); }

NatsLink::NatsLink(const TopicsConfig &config, const std::string &topic, TopicWarning warn)
    : config_(config), warn_(std::move(warn)), servers_(config.location), stream_(stream_of(topic)),
      subject_(subject_of(topic)), watch_(new ConnectionWatch{warn_, config.location}) {
  describe_ = "topic '" + topic + "' (stream " + stream_ + " on " + servers_ + ")";
  const NatsSettings &s = config.nats;
  std::vector<std::string> servers = split_servers(config.location);
  std::vector<const char *> urls;
  for (const std::string &url : servers) urls.push_back(url.c_str());
  try {
    check(natsOptions_Create(&options_), "options");
    check(natsOptions_SetServers(options_, urls.data(), static_cast<int>(urls.size())), "servers " + servers_);
    check(natsOptions_SetName(options_, ("connector-host " + topic).c_str()), "name");
    // Never gives up reconnecting: a server restart or a lost node is a
    // wait, not the end of the connector.
    check(natsOptions_SetMaxReconnect(options_, -1), "reconnects");
    check(natsOptions_SetReconnectWait(options_, std::max<int64_t>(100, config.retry_initial.count())), "reconnects");
    check(natsOptions_SetPingInterval(options_, 2000), "pings");  // a silent server is noticed in seconds
    check(natsOptions_SetMaxPingsOut(options_, 3), "pings");
    if (!s.user.empty()) check(natsOptions_SetUserInfo(options_, s.user.c_str(), s.password.c_str()), "user");
    if (!s.token.empty()) check(natsOptions_SetToken(options_, s.token.c_str()), "token");
    if (!s.credentials_file.empty())
      check(natsOptions_SetUserCredentialsFromFiles(options_, s.credentials_file.c_str(), nullptr),
            "credentials " + s.credentials_file);
    const bool secure = !s.tls_ca.empty() || !s.tls_cert.empty() || config.location.rfind("tls://", 0) == 0;
    if (secure) {
      check(natsOptions_SetSecure(options_, true), "TLS");
      if (!s.tls_ca.empty()) check(natsOptions_LoadCATrustedCertificates(options_, s.tls_ca.c_str()), "tls_ca " + s.tls_ca);
      if (!s.tls_cert.empty())
        check(natsOptions_LoadCertificatesChain(options_, s.tls_cert.c_str(), s.tls_key.c_str()),
              "tls_cert " + s.tls_cert);
    }
    // The library calls these on a thread of its own, after the link may
    // be gone: they use watch_, which the closed callback (the last one)
    // deletes.
    check(natsOptions_SetDisconnectedCB(
              options_,
              [](natsConnection *, void *closure) {
                auto *watch = static_cast<ConnectionWatch *>(closure);
                ++watch->disconnections;
                if (!watch->closing) watch->warn("NATS: lost the connection to " + watch->servers + "; reconnecting");
              },
              watch_),
          "callbacks");
    check(natsOptions_SetReconnectedCB(
              options_,
              [](natsConnection *nc, void *closure) {
                auto *watch = static_cast<ConnectionWatch *>(closure);
                char url[256] = "";
                natsConnection_GetConnectedUrl(nc, url, sizeof url);
                if (!watch->closing) watch->warn("NATS: reconnected to " + std::string(url));
              },
              watch_),
          "callbacks");
    check(natsOptions_SetClosedCB(
              options_, [](natsConnection *, void *closure) { delete static_cast<ConnectionWatch *>(closure); }, watch_),
          "callbacks");
    natsStatus status = natsConnection_Connect(&connection_, options_);
    if (status == NATS_CONNECTION_AUTH_FAILED || status == NATS_NOT_PERMITTED)
      throw TopicError("NATS at " + servers_ + " refused the connection: " + nats_error_text(status) +
                       " (check topics: user, password, token or credentials)");
    if (status == NATS_SECURE_CONNECTION_REQUIRED)
      throw TopicError("NATS at " + servers_ + " requires TLS: give topics: tls_ca: (the CA of the servers' "
                       "certificates), or a tls:// URL");
    if (status == NATS_SSL_ERROR || status == NATS_SECURE_CONNECTION_WANTED)
      throw TopicError("TLS with NATS at " + servers_ + " failed: " + nats_error_text(status) +
                       " (check topics: tls_ca, tls_cert and tls_key)");
    // A server that wants a client certificate closes the connection
    // right after the handshake, which the library reports as a missing
    // PONG.
    if (status == NATS_PROTOCOL_ERROR && secure && s.tls_cert.empty())
      throw TopicError("NATS at " + servers_ + " closed the connection after the TLS handshake: " +
                       nats_error_text(status) + " (if the servers require a client certificate, give topics: "
                       "tls_cert and tls_key)");
    if (status != NATS_OK)
      throw TopicError("cannot reach NATS at " + servers_ + ": " + nats_error_text(status));
    jsOptions options;
    jsOptions_Init(&options);
    options.Wait = 5000;
    check(natsConnection_JetStream(&js_, connection_, &options), "JetStream");
  } catch (...) {
    release();
    throw;
  }
}

NatsLink::~NatsLink() { release(); }

void NatsLink::release() {
  watch_->closing = true;
  if (js_) jsCtx_Destroy(js_);
  if (connection_)
    natsConnection_Destroy(connection_);  // its closed callback deletes watch_
  else
    delete watch_;  // never connected: no callback comes
  if (options_) natsOptions_Destroy(options_);
  js_ = nullptr, connection_ = nullptr, options_ = nullptr;
}

std::optional<StreamState> NatsLink::state(bool check_config) const {
  jsStreamInfo *info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_GetStreamInfo(&info, js_, stream_.c_str(), nullptr, &code);
  if (status == NATS_NOT_FOUND) return std::nullopt;
  if (status != NATS_OK) throw_nats(describe_ + ": reading the stream's state", status, code);
  std::unique_ptr<jsStreamInfo, void (*)(jsStreamInfo *)> owned(info, jsStreamInfo_Destroy);
  if (check_config && info->Config) {
    const jsStreamConfig &c = *info->Config;
    std::string problem;
    if (c.Storage == js_MemoryStorage) problem = "it keeps messages in memory, which a server restart loses";
    else if (c.Retention == js_WorkQueuePolicy) problem = "its WorkQueue retention deletes what a consumer took";
    else if (c.Retention == js_InterestPolicy)
      problem = "its Interest retention deletes messages no consumer is waiting for, which a sink may still need";
    else if (c.Duplicates == 0) problem = "it has no duplicate window";
    bool has_subject = false;
    for (int i = 0; i < c.SubjectsLen; ++i) has_subject = has_subject || subject_ == c.Subjects[i];
    if (problem.empty() && !has_subject) problem = "its subjects do not include " + subject_;
    if (!problem.empty())
      throw TopicError(describe_ + ": the stream cannot hold a topic: " + problem +
                       "; use another topic name, or delete the stream (nats stream rm " + stream_ +
                       ") to have a writer create it");
  }
  return StreamState{info->State.FirstSeq, info->State.LastSeq};
}

void NatsLink::create_stream() const {
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  const char *subjects[] = {subject_.c_str()};
  config.Name = stream_.c_str();
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  config.Retention = js_LimitsPolicy;
  config.Replicas = config_.nats.replicas;
  config.MaxAge = config_.nats.max_age_seconds * 1'000'000'000;  // nanoseconds
  config.MaxBytes = config_.nats.max_bytes;
  config.AllowDirect = true;
  jsStreamInfo *info = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_AddStream(&info, js_, &config, nullptr, &code);
  if (info) jsStreamInfo_Destroy(info);
  if (status == NATS_ERR && code == JSStreamNameExistErr) return;  // another process made it meanwhile
  if (status != NATS_OK) throw_nats(describe_ + ": creating the stream", status, code);
  warn_("NATS: created stream " + stream_ + " (subject " + subject_ + ", " + std::to_string(config_.nats.replicas) +
        " replicas, file storage) for topic");
}

namespace {

class NatsStore : public TopicStore {
 public:
  NatsStore(TopicsConfig config, TopicWarning warn, std::size_t max_record)
      : config_(std::move(config)), warn_(std::move(warn)), max_record_(max_record) {}

  std::unique_ptr<TopicReader> open_reader(const std::string &topic, bool follow) override {
    return open_nats_reader(std::make_shared<NatsLink>(config_, topic, warn_), follow, max_record_);
  }
  std::unique_ptr<TopicWriter> open_writer(const std::string &topic) override {
    return open_nats_writer(std::make_shared<NatsLink>(config_, topic, warn_), max_record_);
  }

 private:
  TopicsConfig config_;
  TopicWarning warn_;
  std::size_t max_record_;
};

}  // namespace

std::unique_ptr<TopicStore> open_nats_topics(const TopicsConfig &config, TopicWarning warn,
                                             std::size_t max_record_bytes) {
  return std::make_unique<NatsStore>(config, std::move(warn), max_record_bytes);
}

}  // namespace cn::host
