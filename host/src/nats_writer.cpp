// The writer of a topic on NATS JetStream: exactly once into the stream.
//
// Records are published asynchronously, a bounded number in flight. Each
// message carries Nats-Expected-Last-Sequence (its offset: the sequence of
// the record before it), so the stream stores it only right after its
// predecessor: records never reorder, and a second writer's message is
// refused rather than interleaved. The first record of an empty stream,
// where no sequence can be expected, carries Nats-Msg-Id instead.
//
// When an acknowledgement fails or does not come (a lost connection, a
// leader election), the writer does not guess: it reads the stream's last
// sequence, checks that every stored record it had not seen acknowledged is
// its own (byte for byte), and publishes again only what the stream lacks,
// until every record is acknowledged. A stored record that is not its own
// means another writer: TopicError.
#include "backoff.hpp"
#include "nats_link.hpp"
#include "stop.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace cn::host {

namespace {

constexpr int64_t kMaxInFlight = 4096;
constexpr int64_t kAckWaitMs = 10000;         // one acknowledgement
constexpr int64_t kStallWaitMs = 60000;       // a publish waiting for room in flight
constexpr int64_t kCompleteWaitMs = 30000;    // flush() waiting for the last acknowledgements
constexpr int64_t kCompleteSliceMs = 100;     // ... looking this often for a lost connection
constexpr std::size_t kHeaderRoom = 256;      // the message's headers, within max_payload
// How long the stream must stay unchanged before a writer starts: what a
// writer killed a moment ago had published may still be on its way.
constexpr std::chrono::milliseconds kQuietBeforeStart{1000};
// How long a stream that ends before what it acknowledged may take to show
// it again (a new leader catching up) before it is taken for purged.
constexpr std::chrono::seconds kLeaderCatchUp{30};

// A stored message of the stream (js_GetMsg), or nothing when none has
// that sequence.
using Message = std::unique_ptr<natsMsg, void (*)(natsMsg *)>;

Message get_message(const NatsLink &link, uint64_t seq) {
  natsMsg *msg = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus status = js_GetMsg(&msg, link.js(), link.stream().c_str(), seq, nullptr, &code);
  if (status == NATS_NOT_FOUND) return Message(nullptr, natsMsg_Destroy);
  if (status != NATS_OK) throw_nats(link.describe() + ": reading sequence " + std::to_string(seq), status, code);
  return Message(msg, natsMsg_Destroy);
}

class NatsWriter : public TopicWriter {
 public:
  NatsWriter(std::shared_ptr<NatsLink> link, std::size_t max_record)
      : link_(std::move(link)), max_record_(max_record), backoff_(link_->config().retry_initial,
                                                                    link_->config().retry_max) {
    std::optional<StreamState> state = retrying([&] { return link_->state(true); });
    if (!state) {
      retrying([&] { link_->create_stream(); return 0; });
      state = retrying([&] { return link_->state(true); });
      if (!state) throw TopicError(link_->describe() + ": the stream is gone right after its creation");
    }
    state = settled(*state);
    opened_at_ = stored_ = next_ = static_cast<int64_t>(state->last_seq);
    jsOptions options;
    jsOptions_Init(&options);
    options.Wait = 5000;
    options.PublishAsync.MaxPending = kMaxInFlight;
    options.PublishAsync.StallWait = kStallWaitMs;
    options.PublishAsync.AckHandler = &NatsWriter::on_ack;
    options.PublishAsync.AckHandlerClosure = this;
    natsStatus status = natsConnection_JetStream(&publisher_, link_->connection(), &options);
    if (status != NATS_OK) throw_nats(link_->describe() + ": JetStream", status);
  }

  ~NatsWriter() override {
    if (publisher_) {
      // Acknowledgements still coming must not reach a writer that is gone.
      natsMsgList left{};
      if (js_PublishAsyncGetPendingList(&left, publisher_) == NATS_OK) natsMsgList_Destroy(&left);
      jsCtx_Destroy(publisher_);
    }
  }

  int64_t append(const cn_record &record) override {
    const std::size_t limit =
        std::min<std::size_t>(max_record_, static_cast<std::size_t>(link_->max_payload()) - kHeaderRoom);
    if (record.value.len > limit)
      throw TopicError(link_->describe() + ": the record for offset " + std::to_string(next_) + " is " +
                       std::to_string(record.value.len) + " bytes, more than the " + std::to_string(limit) +
                       " a message may hold (raise max_payload in the NATS servers' configuration, up to 64 MB)");
    const int64_t offset = next_++;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (unconfirmed_.empty()) epoch_ = link_->disconnections();
      unconfirmed_.emplace_back(record.value.ptr, record.value.len);
      acknowledged_.push_back(false);
    }
    if (!failed_) publish(offset);
    return offset;
  }

  void flush() override {
    retrying([&] {
      while (failed_ || !complete()) {
        failed_ = true;
        reconcile();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      unconfirmed_.clear();
      acknowledged_.clear();
      stored_ = next_;
      return 0;
    });
  }


  void read_back(const RecordVisitor &visit) override {
    std::optional<StreamState> state = retrying([&] { return link_->state(); });
    if (!state) return;
    for (uint64_t seq = state->last_seq; seq >= state->first_seq && seq > 0; --seq) {
      Message msg = retrying([&] { return get_message(*link_, seq); });
      if (!msg) continue;  // deleted
      const std::size_t size = static_cast<std::size_t>(natsMsg_GetDataLength(msg.get()));
      if (size > max_record_)
        throw record_too_long(link_->describe(), static_cast<int64_t>(seq - 1), "", size, max_record_);
      cn_record record{};
      record.offset = static_cast<int64_t>(seq - 1);
      record.value = {natsMsg_GetData(msg.get()), size};
      if (!visit(record)) return;
    }
  }

  std::string describe() const override { return link_->describe(); }

 private:
  // Runs step, waiting and trying again while NATS is unavailable.
  template <class Step>
  auto retrying(Step &&step) -> decltype(step()) {
    for (;;) {
      try {
        auto result = step();
        backoff_.reset();
        return result;
      } catch (const NatsUnavailable &e) {
        if (stop_requested()) throw TopicError(e.what() + std::string("; stopping"));
        auto delay = backoff_.next();
        link_->warn()(e.what() + std::string("; trying again in ") + std::to_string(delay.count()) + " ms");
        sleep_unless_stopped(delay);
      }
    }
  }

  // Waits for every acknowledgement; false as soon as one failed or will
  // not come (the connection was lost since the records were published).
  bool complete() {
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MaxWait = kCompleteSliceMs;
    // The library sends what it buffered a millisecond later, hoping for
    // more; a flush() has nothing more to add, so the buffer goes out now.
    natsStatus sent = natsConnection_FlushTimeout(link_->connection(), kAckWaitMs);
    if (sent != NATS_OK && !is_transient(sent)) throw_nats(link_->describe() + ": flushing", sent);
    for (int64_t waited = 0; waited < kCompleteWaitMs && !failed_; waited += kCompleteSliceMs) {
      natsStatus status = js_PublishAsyncComplete(publisher_, &options);
      if (status == NATS_OK) return !failed_;
      if (!is_transient(status)) throw_nats(link_->describe() + ": flushing", status);
      if (link_->disconnections() != epoch_) return false;
    }
    return false;
  }

  // The stream's state once its end has stopped moving for kQuietBeforeStart.
  StreamState settled(StreamState state) {
    for (;;) {
      sleep_unless_stopped(kQuietBeforeStart);
      std::optional<StreamState> now = retrying([&] { return link_->state(); });
      if (!now) throw TopicError(link_->describe() + ": the stream was deleted while the writer started");
      if (now->last_seq == state.last_seq || stop_requested()) return *now;
      state = *now;
    }
  }

  void publish(int64_t offset) {
    const std::string *data;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      data = &unconfirmed_[static_cast<std::size_t>(offset - stored_)];
    }
    natsMsg *msg = nullptr;
    natsStatus status =
        natsMsg_Create(&msg, link_->subject().c_str(), nullptr, data->data(), static_cast<int>(data->size()));
    const std::string id = std::to_string(offset);
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MaxWait = kAckWaitMs;
    // The first record of an empty stream has no sequence to expect; its id
    // covers it (within the duplicate window).
    if (offset == 0) options.MsgId = id.c_str();
    options.ExpectLastSeq = static_cast<uint64_t>(offset);
    if (status == NATS_OK) status = js_PublishMsgAsync(publisher_, &msg, &options);
    natsMsg_Destroy(msg);  // kept by the library once published (msg is then null)
    if (status == NATS_OK) return;
    if (!is_transient(status)) throw_nats(link_->describe() + ": publishing offset " + id, status);
    failed_ = true;  // flush() finds out what the stream holds
  }

  // On the library's thread, once per message: a stored record is marked
  // acknowledged; anything else (an error, a duplicate) makes flush()
  // reconcile.
  static void on_ack(jsCtx *, natsMsg *msg, jsPubAck *ack, jsPubAckErr *, void *closure) {
    auto *self = static_cast<NatsWriter *>(closure);
    // A record is stored only right after the one before it (its expected
    // last sequence), so the sequence it got tells its offset.
    bool ok = ack && !ack->Duplicate && ack->Sequence > 0;
    if (ok) {
      const int64_t offset = static_cast<int64_t>(ack->Sequence) - 1;
      std::lock_guard<std::mutex> lock(self->mutex_);
      ok = offset >= self->stored_ && offset - self->stored_ < static_cast<int64_t>(self->acknowledged_.size());
      if (ok) self->acknowledged_[static_cast<std::size_t>(offset - self->stored_)] = true;
    }
    if (!ok) self->failed_ = true;
    natsMsg_Destroy(msg);
  }

  // After a failure: what the stream holds decides what is published again.
  void reconcile() {
    natsMsgList left{};
    if (js_PublishAsyncGetPendingList(&left, publisher_) == NATS_OK) natsMsgList_Destroy(&left);
    std::optional<StreamState> state = link_->state();
    if (!state) throw TopicError(link_->describe() + ": the stream was deleted while the writer wrote to it");
    const int64_t last = static_cast<int64_t>(state->last_seq);
    if (last < stored_) {
      const std::string shorter = link_->describe() + ": the stream ends at offset " + std::to_string(last - 1) +
                                  ", before the records through offset " + std::to_string(stored_ - 1) +
                                  " it had acknowledged";
      // A leader elected a moment ago tells the sequence it has applied,
      // short of what its predecessor's quorum stored and acknowledged,
      // until it commits those in its own term (seen in a 3-node cluster
      // whose leader was killed): asked again, for a while, before the
      // stream is taken for purged or recreated.
      const auto now = std::chrono::steady_clock::now();
      if (!short_since_) short_since_ = now;
      if (now - *short_since_ < kLeaderCatchUp) throw NatsUnavailable(shorter + "; waiting for its leader to catch up");
      throw TopicError(shorter + " (purged or recreated meanwhile)");
    }
    short_since_.reset();
    if (last > next_)
      throw TopicError(link_->describe() + ": another writer is appending to the topic (the stream holds offset " +
                       std::to_string(last - 1) + ", beyond this writer's " + std::to_string(next_ - 1) +
                       "); one source per topic");
    // Stored records this writer did not see acknowledged must be its own.
    for (int64_t offset = stored_; offset < last; ++offset) {
      const std::size_t i = static_cast<std::size_t>(offset - stored_);
      bool acknowledged;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        acknowledged = acknowledged_[i];
      }
      if (acknowledged) continue;
      Message msg = get_message(*link_, static_cast<uint64_t>(offset) + 1);
      const std::string &mine = unconfirmed_[i];
      if (!msg || static_cast<std::size_t>(natsMsg_GetDataLength(msg.get())) != mine.size() ||
          mine.compare(0, mine.size(), natsMsg_GetData(msg.get()), mine.size()) != 0) {
        // At the writer's first offset it may also be the last records of a
        // writer killed a moment ago, still on their way when this one
        // started: stopping is right either way.
        throw TopicError(link_->describe() + ": another writer is appending to the topic (offset " +
                         std::to_string(offset) + " holds a record this writer did not write" +
                         (offset == opened_at_ ? ": a second source, or the last records of one that stopped a moment "
                                                 "ago; start again, and the source goes on from what the topic holds"
                                               : "") +
                         "); one source per topic");
      }
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      unconfirmed_.erase(unconfirmed_.begin(), unconfirmed_.begin() + (last - stored_));
      acknowledged_.erase(acknowledged_.begin(), acknowledged_.begin() + (last - stored_));
      std::fill(acknowledged_.begin(), acknowledged_.end(), false);
      stored_ = last;
    }
    failed_ = false;
    epoch_ = link_->disconnections();
    for (int64_t offset = last; offset < next_ && !failed_; ++offset) publish(offset);
  }

  std::shared_ptr<NatsLink> link_;
  std::size_t max_record_;
  Backoff backoff_;
  jsCtx *publisher_ = nullptr;

  int64_t opened_at_ = 0;          // where the stream ended when this writer started
  int64_t next_ = 0;               // the offset the next append() gets
  std::atomic<bool> failed_{false};  // a publish or an acknowledgement failed: flush() reconciles
  uint64_t epoch_ = 0;               // the link's disconnections when the unconfirmed records went out
  std::optional<std::chrono::steady_clock::time_point> short_since_;  // when reconcile() first saw the stream end early
  std::mutex mutex_;               // what on_ack() touches:
  int64_t stored_ = 0;             //   offsets below are stored and acknowledged
  std::deque<std::string> unconfirmed_;  //   the records from stored_ on
  std::deque<bool> acknowledged_;        //   whether each was seen acknowledged at its sequence
};

}  // namespace

std::unique_ptr<TopicWriter> open_nats_writer(std::shared_ptr<NatsLink> link, std::size_t max_record) {
  return std::make_unique<NatsWriter>(std::move(link), max_record);
}

}  // namespace cn::host
