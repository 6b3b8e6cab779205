// postgres-sink: applies PostgreSQL change events to a target PostgreSQL,
// exactly once.
//
// Exactly once: the offset of the last applied record is written in the
// target, in the same transaction as the changes it covers, and that is
// where resume_offset() restarts. A target transaction ends only at a
// source transaction's commit event, so it never holds part of one; many
// source transactions share one target transaction.
//
// A change the target refuses (a constraint, a type error) is found by
// replaying: the sink asks the host to retry, the host re-delivers from the
// last committed offset, and the sink applies those records one change at a
// time, each under a savepoint, until it meets the refused one and handles
// it by the on_error policy. So the fast path carries no savepoints.
#include "applier.hpp"
#include "background_job.hpp"
#include "sink_config.hpp"
#include "target_state.hpp"
#include "target_table.hpp"

#include <cn/plugin.hpp>
#include <postgres_errors.hpp>
#include <pqxx/pqxx>

#include <map>
#include <memory>

namespace cn::pgsink {
namespace {

using plugins::message_of;

class PostgresSink {
 public:
  PostgresSink(const cn::Host &host, std::string_view config_json)
      : host_(host), config_(parse_sink_config(config_json)), state_(config_),
        applier_(config_.max_rows_per_statement, host) {}

  ~PostgresSink() {
    commit_before_close();
    const ApplyCounts &c = applier_.counts();
    host_.info("applied " + std::to_string(c.inserted) + " inserts, " + std::to_string(c.updated) + " updates, " +
               std::to_string(c.deleted) + " deletes; " + std::to_string(c.missing) + " changes found no row; " +
               std::to_string(skipped_) + " records skipped, " + std::to_string(dead_lettered_) + " dead-lettered");
  }

  int64_t resume_offset() {
    return guarded([&] {
      drop_connection();
      connect();
      state_.prepare(*connection_);
      pqxx::work tx(*connection_);
      StoredState stored = state_.load(tx);
      tx.commit();
      relations_ = std::move(stored.relations);
      types_ = std::move(stored.types);
      committed_ = complete_through_ = stored.offset;
      configure_session();
      host_.info("connected; connector '" + config_.connector + "' has applied through offset " +
                 std::to_string(committed_) + (careful_through_ >= 0 ? "; re-applying one change at a time through offset " +
                                                                          std::to_string(careful_through_)
                                                                    : ""));
      return committed_;
    });
  }

  void consume(const cn::RecordBatch &batch) {
    guarded([&] {
      for (const cn_record &record : batch) {
        handed_ = record.offset;
        handle_record(record.offset, cn::view(record.value));
      }
    });
  }

  // Commits the complete source transactions. The open one, if any, stays
  // in memory for the next target transaction; only if it has written to
  // the target already does the commit wait for its end.
  void commit(int64_t offset) {
    guarded([&] {
      if (in_source_tx_ && open_written_)
        commit_wanted_ = true;
      else
        finish(in_source_tx_ ? complete_through_ : offset);
    });
  }

 private:
  // ---- records -------------------------------------------------------------

  void handle_record(int64_t offset, std::string_view record) {
    events::Message message;
    try {
      message = events::parse_event(record);
    } catch (const events::EventError &e) {
      return refuse(offset, record, "", std::string("not a valid change event: ") + e.what());
    }
    std::visit([&](auto &m) { handle(offset, record, m); }, message);
  }

  void handle(int64_t offset, std::string_view record, const events::Begin &) {
    if (in_source_tx_)
      return refuse(offset, record, "",
                    "a begin inside the transaction that began at offset " + std::to_string(source_tx_begin_) +
                        " (the topic holds an unfinished transaction)");
    in_source_tx_ = true;
    source_tx_begin_ = offset;
    // While replaying carefully every change is written at once, so the
    // transaction is undoable from its start (see stop_at).
    if (careful(offset)) mark_open_tx_written();
  }

  void handle(int64_t offset, std::string_view, const events::Commit &) {
    applier_.seal([this]() -> pqxx::transaction_base & { return transaction(); });
    in_source_tx_ = false;
    if (open_written_) transaction().exec("RELEASE SAVEPOINT cn_open_tx");
    open_written_ = false;
    complete_through_ = offset;
    if (commit_wanted_) return finish(offset);
    if (applier_.batch_rows() >= kBackgroundWriteRows) write_batch_in_background();
  }

  void handle(int64_t, std::string_view, const events::Origin &) {}

  void handle(int64_t, std::string_view, const Type &type) {
    types_[type.id] = type;
    state_.save_type(transaction(), type);
  }

  void handle(int64_t offset, std::string_view record, const Relation &relation) {
    auto previous = relations_.find(relation.rel_id);
    const Relation *before = previous == relations_.end() ? nullptr : &previous->second;
    // The same definition again (a new replication session sends it once
    // more): nothing to change.
    if (before && *before == relation) return;
    // DDL is written at once, so what the open transaction did before it is
    // written first, and the batch before that.
    pqxx::work &tx = transaction();
    mark_open_tx_written();
    applier_.spill_open(tx);
    std::string table = relation.namespace_ + "." + relation.name;
    // DDL can fail for reasons of the data (a type change the rows do not
    // fit); the savepoint keeps the transaction usable for skip/dead_letter.
    tx.exec("SAVEPOINT cn_relation");
    try {
      auto prepared = std::make_shared<const TargetTable>(
          prepare_table(tx, relation, before, types_, config_.create_tables, host_));
      state_.save_relation(tx, relation);
      tx.exec("RELEASE SAVEPOINT cn_relation");
      relations_[relation.rel_id] = relation;
      tables_[relation.rel_id] = std::move(prepared);
    } catch (const pqxx::sql_error &e) {
      if (plugins::is_transient(e)) throw;
      tx.exec("ROLLBACK TO SAVEPOINT cn_relation");
      refuse(offset, record, table, message_of(e));
    } catch (const std::runtime_error &e) {
      tx.exec("ROLLBACK TO SAVEPOINT cn_relation");
      refuse(offset, record, table, e.what());
    }
  }

  void handle(int64_t offset, std::string_view record, const events::Insert &insert) {
    auto table = table_for(offset, record, insert.rel_id);
    if (!table || !arity_ok(offset, record, *table, insert.tuple, "tuple")) return;
    apply(offset, record, Change{Change::Kind::insert, offset, table, insert.tuple, {}, {}});
  }

  void handle(int64_t offset, std::string_view record, const events::Update &update) {
    auto table = table_for(offset, record, update.rel_id);
    if (!table || !arity_ok(offset, record, *table, update.new_tuple, "new_tuple")) return;
    const Tuple *locator = locator_of(offset, record, *table, update.old_tuple, update.key_tuple, &update.new_tuple, "update");
    if (!locator) return;
    apply(offset, record, Change{Change::Kind::update, offset, table, update.new_tuple, *locator, {}});
  }

  void handle(int64_t offset, std::string_view record, const events::Delete &del) {
    auto table = table_for(offset, record, del.rel_id);
    if (!table) return;
    const Tuple *locator = locator_of(offset, record, *table, del.old_tuple, del.key_tuple, nullptr, "delete");
    if (!locator) return;
    apply(offset, record, Change{Change::Kind::delete_, offset, table, {}, *locator, {}});
  }

  void handle(int64_t offset, std::string_view record, const events::Truncate &truncate) {
    std::string tables;
    std::shared_ptr<const TargetTable> first;
    for (uint32_t rel_id : truncate.rel_ids) {
      auto table = table_for(offset, record, rel_id);
      if (!table) return;
      if (!first) first = table;
      tables += (tables.empty() ? "" : ", ") + table->quoted_name;
    }
    if (!first) return;
    Change change{Change::Kind::truncate, offset, first, {}, {}, {}};
    change.statement = "TRUNCATE " + tables + (truncate.restart_identity() ? " RESTART IDENTITY" : "") +
                       (truncate.cascade() ? " CASCADE" : "");
    apply(offset, record, std::move(change));
  }

  // ---- applying -------------------------------------------------------------

  void apply(int64_t offset, std::string_view record, Change change) {
    if (careful(offset)) {
      pqxx::work &tx = transaction();
      return guard_refusal(offset, record, display(change.table->name), [&] { applier_.apply_now(tx, change); });
    }
    applier_.add(std::move(change));
    if (in_source_tx_ && applier_.open_size() >= kMaxOpenChanges) {
      // A source transaction too large to hold: what it has so far is
      // written (undoably: the target transaction then waits for its
      // commit), in the background while the rest is read. Memory stays
      // bounded whatever its size.
      mark_open_tx_written();
      applier_.seal([this]() -> pqxx::transaction_base & { return transaction(); });
      write_batch_in_background();
    }
  }

  // In careful mode, runs f under a savepoint and hands a RunRefused to the
  // on_error policy; otherwise lets it through (to start careful mode).
  template <class F>
  void guard_refusal(int64_t offset, std::string_view record, const std::string &table, F &&f) {
    if (!careful(offset)) return f();
    pqxx::work &tx = transaction();
    tx.exec("SAVEPOINT cn_change");
    try {
      f();
      tx.exec("RELEASE SAVEPOINT cn_change");
    } catch (const RunRefused &e) {
      applier_.discard();
      tx.exec("ROLLBACK TO SAVEPOINT cn_change");
      refuse(offset, record, table, e.what());
    }
  }

  std::shared_ptr<const TargetTable> table_for(int64_t offset, std::string_view record, uint32_t rel_id) {
    if (auto it = tables_.find(rel_id); it != tables_.end()) return it->second;
    auto relation = relations_.find(rel_id);
    if (relation == relations_.end()) {
      refuse(offset, record, "", "unknown rel_id " + std::to_string(rel_id) +
                                     ": no relation event for it came before, and none is stored in " +
                                     display(config_.relations_table));
      return nullptr;
    }
    // A relation restored from the target after a restart: its table is
    // there already, only its columns need reading.
    pqxx::work &tx = transaction();
    tx.exec("SAVEPOINT cn_describe");
    try {
      auto table = std::make_shared<const TargetTable>(describe_table(tx, relation->second));
      tx.exec("RELEASE SAVEPOINT cn_describe");
      return tables_[rel_id] = table;
    } catch (const std::runtime_error &e) {
      tx.exec("ROLLBACK TO SAVEPOINT cn_describe");
      refuse(offset, record, relation->second.namespace_ + "." + relation->second.name, e.what());
      return nullptr;
    }
  }

  bool arity_ok(int64_t offset, std::string_view record, const TargetTable &t, const Tuple &tuple, const char *field) {
    if (tuple.size() == t.relation.columns.size()) return true;
    refuse(offset, record, display(t.name),
           std::string(field) + " has " + std::to_string(tuple.size()) + " values but the relation has " +
               std::to_string(t.relation.columns.size()) + " columns");
    return false;
  }

  // Where the row an update or delete changes is found: the old row under
  // Full identity; else the key tuple if the key changed, else the key
  // columns of the new row (an update) or the old row (a delete).
  const Tuple *locator_of(int64_t offset, std::string_view record, const TargetTable &t,
                          const std::optional<Tuple> &old_tuple, const std::optional<Tuple> &key_tuple,
                          const Tuple *new_tuple, const char *what) {
    const std::string table = display(t.name);
    const Tuple *locator = nullptr;
    if (t.relation.replica_identity == ReplicaIdentity::full) {
      if (old_tuple) locator = &*old_tuple;
      else refuse(offset, record, table, std::string("an ") + what + " under Full identity without old_tuple");
    } else if (t.key_columns.empty()) {
      refuse(offset, record, table,
             std::string("the table has no replica identity key (identity ") + to_string(t.relation.replica_identity) +
                 "), so an " + what + " cannot find its row; give the source table a primary key or REPLICA IDENTITY");
    } else {
      locator = key_tuple ? &*key_tuple : old_tuple ? &*old_tuple : new_tuple;
      if (!locator) refuse(offset, record, table, std::string("a ") + what + " without key_tuple");
    }
    if (locator && !arity_ok(offset, record, t, *locator, key_tuple ? "key_tuple" : "old_tuple")) return nullptr;
    return locator;
  }

  // A record that cannot be applied, handled by the on_error policy.
  void refuse(int64_t offset, std::string_view record, const std::string &table, const std::string &reason) {
    std::string where = "offset " + std::to_string(offset) + (table.empty() ? "" : ", table " + table);
    switch (config_.on_error) {
      case OnError::stop:
        // Replay carefully first, so that the transactions before this one
        // are committed and a restart resumes right at it.
        if (!careful(offset)) throw RunRefused(reason, offset, offset, table);
        stop_at(offset, where + ": " + reason);
      case OnError::skip:
        ++skipped_;
        host_.warn(where + ": skipped (on_error: skip): " + reason);
        return;
      case OnError::dead_letter:
        ++dead_lettered_;
        mark_open_tx_written();  // the row belongs to this record's source transaction
        state_.save_dead_letter(transaction(), offset, record, reason);
        host_.warn(where + ": sent to " + display(config_.dead_letter_table) + ": " + reason);
        return;
    }
  }

  // ---- transactions and connection ----------------------------------------

  // The target transaction, for use on this thread: waits until the
  // background write (if any) is done with the connection, and rethrows its
  // failure.
  pqxx::work &transaction() {
    background_.wait();
    if (!tx_) tx_ = std::make_unique<pqxx::work>(*connection_);
    return *tx_;
  }

  // Writes the batch in the background, inside the open target
  // transaction, while the records that follow are parsed and folded.
  void write_batch_in_background() {
    // Batches queued before this one write inside the same transaction, so
    // there is no need to wait for them: with no transaction there is none.
    if (!tx_) tx_ = std::make_unique<pqxx::work>(*connection_);
    pqxx::work &tx = *tx_;
    std::shared_ptr<Applier::Batch> batch = applier_.take_batch();
    background_.start([this, &tx, batch] { applier_.write(tx, *batch); });
  }

  bool careful(int64_t offset) const { return offset <= careful_through_; }

  // Stops the connector at a refused record (careful mode): keeps what came
  // before its source transaction, drops the rest, and throws.
  [[noreturn]] void stop_at(int64_t offset, const std::string &message) {
    int64_t keep_through = in_source_tx_ ? source_tx_begin_ - 1 : offset - 1;
    pqxx::work &tx = transaction();
    if (in_source_tx_) tx.exec("ROLLBACK TO SAVEPOINT cn_open_tx");
    applier_.discard();
    if (keep_through > committed_) {
      state_.save_offset(tx, keep_through);
      tx.commit();
      remember_commit(keep_through);
    }
    tx_.reset();
    throw std::runtime_error(message);
  }

  // Commits the target transaction with offset as the position, after
  // writing the rest of the batch of complete source transactions.
  void finish(int64_t offset) {
    commit_wanted_ = false;
    background_.wait();
    if (!tx_ && offset == committed_) return;
    pqxx::work &tx = transaction();
    applier_.flush(tx);
    state_.save_offset(tx, offset);
    tx.commit();
    tx_.reset();
    remember_commit(offset);
  }

  // The target transaction committed through offset: that is now where a
  // lost transaction falls back to, and careful replay ends there.
  void remember_commit(int64_t offset) {
    committed_ = offset;
    committed_counts_ = applier_.counts();
    committed_skipped_ = skipped_, committed_dead_lettered_ = dead_lettered_;
    if (committed_ >= careful_through_) careful_through_ = -1;
  }

  // Connects to the target. A failure that waiting cannot mend (a wrong
  // database, role or password, a certificate that does not verify) stops
  // the connector; others (refused, starting up) are retried.
  void connect() {
    try {
      connection_ = std::make_unique<pqxx::connection>(config_.url);
    } catch (const pqxx::broken_connection &e) {
      const std::string message = message_of(e);
      if (plugins::connect_failure_is_permanent(message))
        throw std::runtime_error("cannot connect to the target (not retried; check parameters.url): " + message);
      throw;
    }
  }

  void drop_connection() {
    background_.wait_quietly();
    applier_.discard();
    applier_.reset_counts(committed_counts_);
    skipped_ = committed_skipped_, dead_lettered_ = committed_dead_lettered_;
    tx_.reset();  // rolls back
    connection_.reset();
    tables_.clear();
    in_source_tx_ = commit_wanted_ = open_written_ = false;
  }

  // The open source transaction is about to write to the target: the batch
  // before it is written, then a savepoint marks where it starts, so that it
  // can be undone alone (a stop, or a close before its commit arrives).
  void mark_open_tx_written() {
    if (!in_source_tx_ || open_written_) return;
    pqxx::work &tx = transaction();
    applier_.flush(tx);
    tx.exec("SAVEPOINT cn_open_tx");
    open_written_ = true;
  }

  // Settings of the sink's own session:
  // - random_page_cost = 1.1 (PostgreSQL's advice for cached or SSD data):
  //   its UPDATE/DELETE statements find a few thousand rows by key in the
  //   working set, and with the default of 4 the planner prefers to scan the
  //   whole table and hash-join it (measured: 1000 keys in a 100k-row table,
  //   50 ms by hash join against 11 ms by index);
  // - as PostgreSQL's own apply worker does, no triggers (and so no
  //   foreign-key checks) where the role may; otherwise the applier orders
  //   tables by their foreign keys.
  void configure_session() {
    pqxx::nontransaction(*connection_).exec("SET random_page_cost = 1.1");
    try {
      pqxx::nontransaction(*connection_).exec("SET session_replication_role = replica");
      applier_.set_replica_role(true);
    } catch (const pqxx::sql_error &e) {
      if (plugins::is_transient(e)) throw;
      applier_.set_replica_role(false);
      host_.info("the target role may not set session_replication_role (" + message_of(e) +
                 "); tables are written in foreign-key order");
    }
  }

  // Closing: a commit the host asked for that waited for the open source
  // transaction is made now, without it.
  void commit_before_close() noexcept {
    background_.wait_quietly();  // a failure there spoils only what the close would commit
    if (failed_ || !tx_ || !commit_wanted_) return;
    try {
      if (open_written_) tx_->exec("ROLLBACK TO SAVEPOINT cn_open_tx");
      applier_.discard_open();
      open_written_ = in_source_tx_ = false;
      finish(complete_through_);
    } catch (const std::exception &e) {
      host_.warn(std::string("the final commit failed; the next start resumes from offset ") +
                 std::to_string(committed_) + ": " + e.what());
    }
  }

  // Turns the target's transient troubles into cn::retry_error (the host
  // backs off and re-delivers from resume_offset()), after dropping every
  // uncommitted change.
  template <class F>
  auto guarded(F &&f) -> decltype(f()) {
    try {
      return f();
    } catch (const RunRefused &e) {
      careful_through_ = std::max(careful_through_, handed_);
      drop_connection();
      throw cn::retry_error("offsets " + std::to_string(e.first_offset) + "-" + std::to_string(e.last_offset) +
                            ", table " + e.table + ": " + e.what() +
                            "; re-applying one change at a time to find the record");
    } catch (const pqxx::broken_connection &e) {
      drop_connection();
      throw cn::retry_error(std::string("lost the connection to the target: ") + message_of(e));
    } catch (const pqxx::in_doubt_error &e) {
      drop_connection();
      throw cn::retry_error(std::string("the target's commit is in doubt; resuming from its stored offset: ") + e.what());
    } catch (const pqxx::transaction_rollback &e) {
      drop_connection();
      throw cn::retry_error(std::string("the target rolled back (") + message_of(e) + ")");
    } catch (const pqxx::sql_error &e) {
      if (!plugins::is_transient(e)) {
        failed_ = true;
        throw std::runtime_error("target: " + message_of(e));
      }
      drop_connection();
      throw cn::retry_error(std::string("the target is unavailable: ") + message_of(e));
    } catch (...) {
      failed_ = true;
      throw;
    }
  }

  const cn::Host &host_;
  SinkConfig config_;
  TargetState state_;
  Applier applier_;

  std::unique_ptr<pqxx::connection> connection_;
  std::unique_ptr<pqxx::work> tx_;
  BackgroundJobs background_{kQueuedBatches};  // batches being written inside tx_
  std::map<uint32_t, Relation> relations_;
  std::map<uint32_t, Type> types_;
  std::map<uint32_t, std::shared_ptr<const TargetTable>> tables_;

  // A batch this large is written (inside the target transaction) while
  // the next records are parsed.
  static constexpr std::size_t kBackgroundWriteRows = 5000;
  // Batches that may wait for the writing thread (memory: about this many
  // times kMaxOpenChanges rows at most).
  static constexpr std::size_t kQueuedBatches = 3;
  // The most changes of one source transaction held before they are written.
  static constexpr std::size_t kMaxOpenChanges = 20000;

  int64_t committed_ = -1;        // the offset stored in the target
  int64_t complete_through_ = -1;  // the last offset outside an unfinished source transaction
  bool open_written_ = false;     // the open source transaction has written to the target
  bool failed_ = false;           // a callback failed: close() commits nothing
  int64_t handed_ = -1;           // the last offset consume() saw
  int64_t careful_through_ = -1;  // apply one change at a time up to here
  bool in_source_tx_ = false;     // between a begin and its commit
  int64_t source_tx_begin_ = -1;
  bool commit_wanted_ = false;    // commit() came inside a source transaction
  uint64_t skipped_ = 0, dead_lettered_ = 0;
  // The counts as of the last commit: what a lost transaction falls back to.
  ApplyCounts committed_counts_;
  uint64_t committed_skipped_ = 0, committed_dead_lettered_ = 0;
};

}  // namespace
}  // namespace cn::pgsink

CN_DEFINE_SINK_PLUGIN(cn::pgsink::PostgresSink, "postgres-sink", "0.1.0",
                      "applies PostgreSQL change events to a PostgreSQL database, exactly once")
