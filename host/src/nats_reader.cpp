// The reader of a topic on NATS JetStream: an ordered consumer (ephemeral,
// in the server's memory, deleted when the reader goes: the position lives
// with the sink) from the reader's position. Every message's stream
// sequence is checked against the position: one seen already is dropped,
// a gap means the records were removed (retention, purge), which stops the
// reader rather than skip them. While the servers are unavailable the
// reader waits and starts a new consumer where it stands.
#include "backoff.hpp"
#include "nats_link.hpp"
#include "stop.hpp"

#include <charconv>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cn::host {

namespace {

constexpr std::chrono::seconds kStuckAfter{10};

class NatsReader : public TopicReader {
 public:
  NatsReader(std::shared_ptr<NatsLink> link, bool follow, std::size_t max_record)
      : link_(std::move(link)), follow_(follow), max_record_(max_record),
        backoff_(link_->config().retry_initial, link_->config().retry_max) {
    std::optional<StreamState> state = link_->state(true);
    if (!state && !follow_)
      throw TopicError(link_->describe() + ": the topic does not exist (no such stream; a source's writer creates it)");
    if (!state) link_->warn()(link_->describe() + ": the topic does not exist yet; waiting for a source to create it");
  }

  ~NatsReader() override {
    release_messages();
    unsubscribe();
  }

  void seek(int64_t from) override {
    release_messages();
    unsubscribe();
    position_ = from;
    at_end_ = false;
  }

  const std::vector<cn_record> &read(std::size_t max_records, std::size_t max_bytes, int wait_ms) override {
    release_messages();
    if (at_end_) return records_;
    if (std::chrono::steady_clock::now() < retry_at_) {
      sleep_unless_stopped(std::min(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        retry_at_ - std::chrono::steady_clock::now()),
                                    std::chrono::milliseconds(wait_ms)));
      return records_;
    }
    try {
      if (!subscription_ && !subscribe()) return records_;
      if (!follow_ && position_ >= end_ && !more_since_end()) {
        at_end_ = true;
        return records_;
      }
      std::size_t bytes = 0;
      int64_t wait = wait_ms;
      while (records_.size() < max_records && bytes < max_bytes && (follow_ || position_ < end_)) {
        natsMsg *msg = nullptr;
        natsStatus status = natsSubscription_NextMsg(&msg, subscription_, wait);
        if (status == NATS_TIMEOUT) break;
        if (status != NATS_OK) throw_nats(link_->describe() + ": reading", status);
        wait = 0;  // the rest of the batch is what is there already
        take(msg, bytes);
      }
      if (!records_.empty()) last_record_at_ = std::chrono::steady_clock::now();
      if (records_.empty()) replace_if_stuck();
      backoff_.reset();
    } catch (const NatsUnavailable &e) {
      unsubscribe();
      auto delay = backoff_.next();
      link_->warn()(e.what() + std::string("; reading again in ") + std::to_string(delay.count()) + " ms");
      retry_at_ = std::chrono::steady_clock::now() + delay;
    }
    return records_;
  }

  bool at_end() const override { return at_end_; }
  int64_t position() const override { return position_; }
  std::string describe() const override { return link_->describe(); }
  int64_t end_offset() const override {
    std::optional<StreamState> state = link_->state();
    return state ? static_cast<int64_t>(state->last_seq) : 0;
  }

 private:
  // A consumer from the position's sequence; false while the stream is
  // missing (follow: a source has not created it yet). A position the
  // stream no longer holds is a TopicError: those records are gone.
  bool subscribe() {
    std::optional<StreamState> state = link_->state(true);
    if (!state) return false;
    const uint64_t wanted = static_cast<uint64_t>(position_) + 1;
    if (wanted < state->first_seq) throw removed(state->first_seq);
    end_ = static_cast<int64_t>(state->last_seq);
    jsSubOptions options;
    jsSubOptions_Init(&options);
    options.Stream = link_->stream().c_str();
    options.Ordered = true;
    options.Config.DeliverPolicy = js_DeliverByStartSequence;
    options.Config.OptStartSeq = wanted;
    options.Config.Heartbeat = int64_t{2} * 1'000'000'000;  // nanoseconds: a lost consumer is replaced in seconds
    jsErrCode code = static_cast<jsErrCode>(0);
    natsStatus status =
        js_SubscribeSync(&subscription_, link_->js(), link_->subject().c_str(), nullptr, &options, &code);
    if (status != NATS_OK) {
      subscription_ = nullptr;
      throw_nats(link_->describe() + ": starting a consumer at offset " + std::to_string(position_), status, code);
    }
    // Bounded by bytes rather than by the library's 65536 messages.
    natsSubscription_SetPendingLimits(subscription_, -1, 64 << 20);
    return true;
  }

  // The message's stream sequence, from its reply subject:
  // $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>,
  // or with <domain>.<account hash> after $JS.ACK and a token at the end;
  // the library's parser (which allocates) for any other form.
  uint64_t stream_sequence(natsMsg *msg) {
    const char *reply = natsMsg_GetReply(msg);
    std::string_view subject = reply ? reply : "";
    std::size_t dots[16], count = 0;
    for (std::size_t i = 0; i < subject.size() && count < 16; ++i)
      if (subject[i] == '.') dots[count++] = i;
    const std::size_t tokens = count + 1, index = tokens == 9 ? 5 : tokens >= 12 ? 7 : 0;
    if (index > 0 && subject.compare(0, 8, "$JS.ACK.") == 0) {
      std::string_view token = subject.substr(dots[index - 1] + 1, dots[index] - dots[index - 1] - 1);
      uint64_t seq = 0;
      auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), seq);
      if (ec == std::errc() && end == token.data() + token.size()) return seq;
    }
    jsMsgMetaData *meta = nullptr;
    natsStatus status = natsMsg_GetMetaData(&meta, msg);
    if (status != NATS_OK) {
      natsMsg_Destroy(msg);
      throw_nats(link_->describe() + ": a message without its stream sequence", status);
    }
    const uint64_t seq = meta->Sequence.Stream;
    jsMsgMetaData_Destroy(meta);
    return seq;
  }

  // The error for a position the stream, which starts at first_seq, no
  // longer holds.
  TopicError removed(uint64_t first_seq) const {
    return TopicError(link_->describe() + ": the record at offset " + std::to_string(position_) +
                      " is no longer in the stream, which starts at offset " + std::to_string(first_seq - 1) +
                      " (removed by its retention limits or a purge); the records between are lost to this reader");
  }

  // Takes msg into the batch, or drops it (seen already). Throws on a gap.
  void take(natsMsg *msg, std::size_t &bytes) {
    const uint64_t seq = stream_sequence(msg);
    const uint64_t wanted = static_cast<uint64_t>(position_) + 1;
    if (seq < wanted) {  // delivered again by a new consumer
      natsMsg_Destroy(msg);
      return;
    }
    if (seq > wanted) {
      natsMsg_Destroy(msg);
      std::optional<StreamState> state = link_->state();
      if (state && wanted < state->first_seq) throw removed(state->first_seq);
      throw TopicError(link_->describe() + ": offsets " + std::to_string(position_) + " to " + std::to_string(seq - 2) +
                       " are missing from the stream (deleted messages); the reader does not skip records");
    }
    const std::size_t size = static_cast<std::size_t>(natsMsg_GetDataLength(msg));
    if (size > max_record_) {
      natsMsg_Destroy(msg);
      throw record_too_long(link_->describe(), position_, "", size, max_record_);
    }
    messages_.push_back(msg);
    cn_record record{};
    record.offset = position_++;
    record.value = {natsMsg_GetData(msg), size};
    records_.push_back(record);
    bytes += size;
  }

  // A consumer that delivers nothing while the stream holds records past
  // the position (one lost with its server, and not replaced by the
  // library) is replaced.
  void replace_if_stuck() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_record_at_ < kStuckAfter || now - last_check_at_ < kStuckAfter) return;
    last_check_at_ = now;
    std::optional<StreamState> state = link_->state();
    if (state && state->last_seq > static_cast<uint64_t>(position_)) {
      link_->warn()(link_->describe() + ": no record for " + std::to_string(kStuckAfter.count()) +
                    " s while the stream holds more; starting a new consumer at offset " + std::to_string(position_));
      unsubscribe();
    }
  }

  // Without following, the reader stops where the stream ends: whether it
  // has grown since end_ was taken (end_ moves to its end now).
  bool more_since_end() {
    std::optional<StreamState> state = link_->state();
    end_ = state ? static_cast<int64_t>(state->last_seq) : 0;
    return position_ < end_;
  }

  void release_messages() {
    for (natsMsg *msg : messages_) natsMsg_Destroy(msg);
    messages_.clear();
    records_.clear();
  }

  void unsubscribe() {
    if (!subscription_) return;
    natsSubscription_Unsubscribe(subscription_);  // deletes the consumer on the server
    natsSubscription_Destroy(subscription_);
    subscription_ = nullptr;
  }

  std::shared_ptr<NatsLink> link_;
  bool follow_;
  std::size_t max_record_;
  Backoff backoff_;
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::steady_clock::time_point last_record_at_ = std::chrono::steady_clock::now(), last_check_at_{};
  natsSubscription *subscription_ = nullptr;
  int64_t position_ = 0;
  int64_t end_ = 0;  // without following: the offset after the stream's last record, when last asked
  bool at_end_ = false;
  std::vector<natsMsg *> messages_;  // what records_ point into, until the next read()
  std::vector<cn_record> records_;
};

}  // namespace

std::unique_ptr<TopicReader> open_nats_reader(std::shared_ptr<NatsLink> link, bool follow, std::size_t max_record) {
  return std::make_unique<NatsReader>(std::move(link), follow, max_record);
}

}  // namespace cn::host
