// postgres-source: streams a PostgreSQL database's committed changes into
// the topic, as change events (docs/change-events.md), with an optional
// initial load.
//
// Nothing is lost: the position confirmed to PostgreSQL (the slot's flush
// LSN) is the end of the last transaction whose commit event the host has
// acknowledged as durable in the topic. Nothing is repeated: PostgreSQL
// re-sends every transaction after that position, so the source compares
// them with what the topic holds (read back at the start, then kept up to
// date as it emits) and skips what is there, also the part of a transaction
// that a stopped writer left unfinished.
#include "durable_position.hpp"
#include "initial_load.hpp"
#include "pgoutput.hpp"
#include "replication.hpp"
#include "source_check.hpp"
#include "source_config.hpp"
#include "source_metrics.hpp"
#include "source_setup.hpp"
#include "start_plan.hpp"
#include "topic_tail.hpp"

#include <cn/plugin.hpp>
#include <database_endpoint.hpp>
#include <postgres_connection.hpp>
#include <postgres_errors.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <memory>
#include <optional>

namespace cn::pgsource {
namespace {

using Clock = std::chrono::steady_clock;

class PostgresSource {
 public:
  PostgresSource(const cn::Host &host, std::string_view config_json)
      : host_(host), config_(parse_source_config(config_json)), source_(config_.database, "source", plugins::log_to(host)),
        metrics_(host) {}

  ~PostgresSource() {
    if (streaming_) {
      try {
        stream_->send_status(durable_.confirmed(), durable_.confirmed(), false);
      } catch (const std::exception &) {
        // The slot keeps its last confirmed position; the next start re-reads from there.
      }
    }
    load_.reset();
    stream_.reset();  // lets go of the slot before it is looked at
    if (slot_used_) warn_slot_stays();
  }

  // connector-host --check and --drop (source_check.hpp).
  static void check(const cn::Host &, std::string_view config_json, cn::Report &report) {
    check_source(parse_source_config(config_json), report);
  }
  static void teardown(const cn::Host &, std::string_view config_json, cn::Report &report) {
    teardown_source(parse_source_config(config_json), report);
  }

  bool resume(int64_t offset, std::string_view record) {
    resumed_ = true;
    return offset >= 0 && tail_.add(offset, record);  // -1: the topic holds nothing
  }

  void poll(cn::Emitter &emit, uint32_t timeout_ms) {
    guarded([&] {
      if (!stream_ && !load_) start(emit);
      if (load_) return load_some(emit);
      stream_some(emit, timeout_ms);
    });
  }

  void ack(int64_t offset) {
    guarded([&] {
      durable_.acked(offset);
      if (streaming_) send_status(false);
    });
  }

 private:
  // ---- starting -------------------------------------------------------------

  void start(cn::Emitter &emit) {
    if (!resumed_)
      throw SourceError("this connector-host did not hand the topic's tail to the plugin (the resume callback), so"
                        " the source cannot tell what the topic holds; use a connector-host of the same version",
                        false);
    if (!position_known_) {
      position_ = tail_.position();
      position_known_ = true;
    }
    std::unique_ptr<pqxx::connection> connection = source_.connect();
    pqxx::connection &conn = *connection;
    check_wal_level(conn);
    ensure_publication(conn, config_);
    StartFacts facts;
    facts.position = position_;
    facts.topic_empty = tail_.empty() && durable_.last_emitted() < 0;
    facts.slot_exists = slot_exists(conn, config_.slot);
    facts.own_slot_unused = own_slot_unused_;
    facts.slot = config_.slot;
    facts.initial_load = config_.initial_load;
    facts.skip_setup = config_.skip_setup;
    const StartPlan plan = plan_start(facts);
    if (plan.drop_slot) drop_slot(conn, config_.slot);
    slot_used_ = plan.action != StartPlan::Action::refuse;
    switch (plan.action) {
      case StartPlan::Action::refuse: throw SourceError(plan.refusal, false);
      case StartPlan::Action::restart_load: return restart_load(emit);
      case StartPlan::Action::load: return begin_load(false);
      case StartPlan::Action::create_slot_and_stream:
      case StartPlan::Action::stream:
        stream_ = std::make_unique<ReplicationConnection>(source_);
        if (plan.action == StartPlan::Action::create_slot_and_stream) {
          stream_->create_slot(config_.slot);
          host_.info("created replication slot '" + config_.slot + "'");
        }
        return start_streaming(0);  // from the slot's confirmed position
    }
  }

  void begin_load(bool truncate_first) {
    stream_ = std::make_unique<ReplicationConnection>(source_);
    ReplicationConnection::CreatedSlot slot = stream_->create_slot(config_.slot);
    own_slot_unused_ = true;
    load_ = std::make_unique<InitialLoad>(source_.connect(), slot.snapshot, config_.publication, slot.consistent_point,
                                          truncate_first);
    load_point_ = slot.consistent_point;
    load_emitted_ = false;
    host_.info("created replication slot '" + config_.slot + "' at " + lsn_text(slot.consistent_point) +
               "; loading " + std::to_string(load_->tables()) + " tables from its snapshot");
  }

  // The new load first empties the tables, so the target ends equal to the
  // source. What can fail (the slot, the snapshot) comes first; then the cut
  // load is closed, its rows committed as they are, with a commit whose
  // end_lsn is 0: until the new load's commit, the topic says that a load is
  // due.
  void restart_load(cn::Emitter &emit) {
    host_.warn("the topic holds an initial load that was cut short; loading again from a new snapshot");
    begin_load(true);
    if (position_.open) {
      std::string event;
      events::append_commit(event, events::Envelope{position_.open_final_lsn, position_.open_final_lsn, postgres_now()},
                            events::Commit{0, position_.open_final_lsn, 0, postgres_now()});
      put(emit, event);
      position_.open = false;
    }
    position_.load_due = true;
  }

  void load_some(cn::Emitter &emit) {
    constexpr std::size_t kRowsPerPoll = 5000;
    bool more = load_->emit_some(
        [&](const std::string &event) {
          put(emit, event);
          load_emitted_ = true;
          own_slot_unused_ = false;
        },
        kRowsPerPoll);
    metrics_.publish();
    const InitialLoad::TableProgress &progress = load_->progress();
    if (!progress.table.empty()) metrics_.loading(host_, progress.table, progress.rows, progress.estimated);
    if (more) return;
    host_.info("initial load done: " + std::to_string(load_->rows()) + " rows of " + std::to_string(load_->tables()) +
               " tables");
    load_.reset();
    durable_.commit_emitted(load_point_);
    position_.last_end_lsn = load_point_;
    position_.load_due = false;
    start_streaming(load_point_);
  }

  void start_streaming(uint64_t from) {
    stream_->start(config_.slot, from, config_.publication);
    streaming_ = true;
    metrics_.connected(true);
    last_status_ = Clock::now();
    host_.info("streaming from slot '" + config_.slot + "', publication '" + config_.publication + "'");
  }

  // A slot outlives the connector and holds WAL back on the source until
  // it runs again (a --once run above all), which nothing else tells the
  // user. Said once, at close; how much it holds is best effort.
  void warn_slot_stays() noexcept {
    std::string holds;
    try {
      constexpr int kCloseConnectTimeoutSeconds = 5;  // a warning is not worth a hung close
      auto conn = std::make_unique<pqxx::connection>(
          plugins::with_connect_timeout(source_.conninfo(), kCloseConnectTimeoutSeconds));
      const std::optional<SlotState> state = slot_state(*conn, config_.slot);
      if (!state) return;  // dropped meanwhile: nothing stays
      if (state->retained) holds = " and retains " + megabytes(*state->retained) + " of WAL";
    } catch (const std::exception &) {
      // Only the slot's name, then.
    }
    host_.warn("replication slot '" + config_.slot + "' stays on the source" + holds +
               " until the connector runs again; `connector-host --config <its connect.yml> --drop` removes it");
  }

  // ---- streaming ------------------------------------------------------------

  void stream_some(cn::Emitter &emit, uint32_t timeout_ms) {
    constexpr std::size_t kMaxEventsPerPoll = 20000;
    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (std::size_t emitted = 0; emitted < kMaxEventsPerPoll;) {
      int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
      const StreamMessage message = stream_->next(emitted ? 0 : std::max(left, 0));
      if (const auto *data = std::get_if<XLogData>(&message)) {
        if (handle(emit, *data)) ++emitted;
        server_wal_end_ = data->envelope.wal_end;
      } else if (const auto *keepalive = std::get_if<Keepalive>(&message)) {
        server_wal_end_ = keepalive->wal_end;
        // Between transactions, the WAL up to the server's end holds nothing
        // for this publication.
        if (!in_transaction_) durable_.nothing_until(keepalive->wal_end);
        if (keepalive->reply_requested) send_status(true);
      } else {
        break;  // nothing came in time
      }
    }
    if (Clock::now() - last_status_ >= std::chrono::seconds(10)) send_status(false);
    metrics_.positions(server_wal_end_, durable_.confirmed());
  }

  // Decodes one pgoutput message and emits its event unless the topic has
  // it. True if an event was emitted.
  bool handle(cn::Emitter &emit, const XLogData &data) {
    event_.clear();
    const Decoded d = decoder_.decode(data.envelope, data.payload.data(), data.payload.size(), event_);
    switch (d.kind) {
      case Decoded::Kind::begin:
        in_transaction_ = true;
        skip_changes_ = 0;
        if (d.final_lsn < position_.last_end_lsn) {
          skipping_ = true;  // in the topic already, whole
          return false;
        }
        skipping_ = false;
        if (position_.open && d.final_lsn == position_.open_final_lsn) {
          continuing_ = true;  // in the topic in part: its begin and first changes are there
          skip_changes_ = position_.open_changes;
          return false;
        }
        if (position_.open)  // a begin now would leave it unfinished for good
          throw SourceError("the topic ends inside a transaction (final_lsn " + lsn_text(position_.open_final_lsn) +
                                ") that the source server does not send again (was the slot replaced?); the"
                                " source stops rather than write a begin inside it (fix: start over with a new"
                                " topic)",
                            false);
        continuing_ = false;
        position_.open = true;
        position_.open_final_lsn = d.final_lsn;
        position_.open_xid = d.xid;
        position_.open_changes = 0;
        break;
      case Decoded::Kind::change:
        if (skipping_) return false;
        if (skip_changes_) {
          --skip_changes_;
          return false;
        }
        ++position_.open_changes;
        metrics_.change(data.payload.empty() ? '\0' : data.payload[0]);
        break;
      case Decoded::Kind::origin:
        if (skipping_ || continuing_) return false;
        break;
      case Decoded::Kind::relation:
      case Decoded::Kind::type:
        if (skipping_) return false;
        break;
      case Decoded::Kind::commit:
        in_transaction_ = false;
        if (skipping_) {
          skipping_ = false;
          durable_.commit_skipped(d.end_lsn);
          return false;
        }
        continuing_ = false;
        put(emit, event_);
        metrics_.transaction(d.commit_time, postgres_now());
        position_.open = false;
        position_.last_end_lsn = d.end_lsn;
        durable_.commit_emitted(d.end_lsn);
        return true;
    }
    put(emit, event_);
    return true;
  }

  // Every record goes through here: what may be confirmed depends on the
  // offset of the last one.
  void put(cn::Emitter &emit, const std::string &event) {
    durable_.emitted(emit.emit(event));
    metrics_.event(event.size());
  }

  // Reports the confirmed position as written too: a walsender that sees its
  // client's written position behind what it has sent sends a keepalive when
  // it runs out of WAL, and that keepalive is what lets an idle source
  // confirm the WAL past its last transaction.
  void send_status(bool reply_requested) {
    stream_->send_status(durable_.confirmed(), durable_.confirmed(), reply_requested);
    last_status_ = Clock::now();
  }

  // Transient troubles become cn::RetryError: the connections are dropped,
  // and the next poll starts again from the slot, skipping what this
  // instance emitted (position_ keeps it). Every message is one line.
  template <class F>
  void guarded(F &&f) {
    try {
      f();
    } catch (const SourceError &e) {
      if (!e.transient) throw std::runtime_error(e.what());
      reset();
      throw cn::RetryError(e.what());
    } catch (const plugins::ConnectError &e) {
      if (e.permanent()) throw;
      reset();
      throw cn::RetryError(e.what());
    } catch (const pqxx::broken_connection &e) {
      reset();
      throw cn::RetryError("lost the connection to the source: " + plugins::message_of(e));
    } catch (const pqxx::failure &e) {
      if (!plugins::is_transient(e)) throw std::runtime_error("source: " + plugins::message_of(e));
      reset();
      throw cn::RetryError("the source is unavailable: " + plugins::message_of(e));
    }
  }

  void reset() {
    if (load_ && load_emitted_) {
      // A load in progress is cut: the next start sees it as the topic does.
      position_.open = true;
      position_.open_xid = 0;
      position_.open_final_lsn = load_point_;
    }
    load_.reset();
    stream_.reset();
    streaming_ = false;
    metrics_.connected(false);
    in_transaction_ = skipping_ = continuing_ = false;
    decoder_ = PgoutputDecoder();
  }

  const cn::Host &host_;
  SourceConfig config_;
  plugins::DatabaseEndpoint source_;  // the way to the source, through its SSH tunnel if any
  SourceMetrics metrics_;
  TopicTail tail_;
  bool resumed_ = false;  // the host handed the topic's tail (or said it has none)
  TopicPosition position_;
  bool position_known_ = false;

  std::unique_ptr<ReplicationConnection> stream_;
  bool streaming_ = false;  // START_REPLICATION done: status updates may be sent
  std::unique_ptr<InitialLoad> load_;
  uint64_t load_point_ = 0;
  bool load_emitted_ = false;  // the load's begin is in the topic
  bool own_slot_unused_ = false;  // this instance made the slot; its load has emitted nothing yet
  bool slot_used_ = false;  // this instance made or streamed from the slot: warn at close that it stays
  PgoutputDecoder decoder_;
  std::string event_;

  bool in_transaction_ = false;  // between a begin and its commit on the stream
  bool skipping_ = false;        // the current transaction is in the topic
  bool continuing_ = false;      // the current transaction is in the topic in part
  uint64_t skip_changes_ = 0;    // its changes still to skip

  DurablePosition durable_;  // the slot's position as this source reports it
  uint64_t server_wal_end_ = 0;  // the server's WAL end, as the stream last said
  Clock::time_point last_status_ = Clock::now();
};

}  // namespace
}  // namespace cn::pgsource

CN_DEFINE_SOURCE_PLUGIN_WITH_PARAMETERS(
    cn::pgsource::PostgresSource, "postgres-source", "0.1.0",
    "streams a PostgreSQL database's changes (logical replication, pgoutput) into the topic",
    cn::pgsource::kSourceParameters)
