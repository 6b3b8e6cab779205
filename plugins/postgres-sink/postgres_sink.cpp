// postgres-sink: applies PostgreSQL change events to a target PostgreSQL,
// exactly once.
//
// This file is the plugin: the ABI's callbacks, and the dispatch of each
// record to the handler of its message type, as PostgreSQL's logical
// replication worker (worker.c) has one apply_handle_* per message. The
// parts it wires together:
//   - Applier (applier.hpp): folds changes into batches and writes them;
//   - TargetSession (target_session.hpp): the connection and the target
//     transaction, committed with the offset;
//   - ReplayPolicy (replay_policy.hpp): on_error, and the careful replay that
//     finds a record the target refused;
//   - target_table.hpp: the tables that relation events describe.
//
// A target transaction ends only at a source transaction's commit event, so
// it never holds part of one; many source transactions share one target
// transaction.
#include "applier.hpp"
#include "counts.hpp"
#include "replay_policy.hpp"
#include "sink_check.hpp"
#include "sink_config.hpp"
#include "target_session.hpp"
#include "target_table.hpp"

#include <cn/plugin.hpp>
#include <postgres_connection.hpp>
#include <postgres_errors.hpp>
#include <pqxx/pqxx>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace cn::pgsink {
namespace {

using plugins::message_of;

// A batch this large (in rows, or in the bytes of its values) is written
// (inside the target transaction) while the next records are parsed: so a
// few huge values are not all held until the commit.
constexpr std::size_t kBackgroundWriteRows = 5000;
constexpr std::size_t kBackgroundWriteBytes = std::size_t{16} << 20;
// The most changes (or bytes of values) of one source transaction held
// before they are written (undoably, until its commit), so that memory
// stays bounded whatever its size.
constexpr std::size_t kMaxOpenChanges = 20000;
constexpr std::size_t kMaxOpenBytes = std::size_t{128} << 20;

std::string name_of(const Relation &relation) { return relation.namespace_ + "." + relation.name; }

class PostgresSink {
 public:
  PostgresSink(const cn::Host &host, std::string_view config_json)
      : host_(host), config_(parse_sink_config(config_json)), metrics_(host), counts_(&metrics_),
        applier_(config_.max_rows_per_statement, host, counts_.current, metrics_),
        session_(config_, host, applier_, counts_),
        replay_(config_, host, session_, applier_, counts_.current, source_) {}

  ~PostgresSink() {
    commit_before_close();
    // What the target holds: counts of what was lost or never committed
    // are not claimed.
    const Counts &c = counts_.as_committed();
    host_.info("applied " + std::to_string(c.inserted) + " inserts, " + std::to_string(c.updated) + " updates, " +
               std::to_string(c.deleted) + " deletes; " + std::to_string(c.missing) + " changes found no row; " +
               std::to_string(c.skipped) + " records skipped, " + std::to_string(c.dead_lettered) + " dead-lettered");
  }

  // connector-host --check and --drop (sink_check.hpp).
  static void check(const cn::Host &, std::string_view config_json, cn::Report &report) {
    check_sink(parse_sink_config(config_json), report);
  }
  static void teardown(const cn::Host &, std::string_view config_json, cn::Report &report) {
    teardown_sink(parse_sink_config(config_json), report);
  }

  int64_t resume_offset() {
    return guarded([&] {
      drop();
      StoredBookkeeping stored = session_.connect();
      relations_ = std::move(stored.relations);
      types_ = std::move(stored.types);
      complete_through_ = stored.offset;
      host_.info("connected; connector '" + config_.connector + "' has applied through offset " +
                 std::to_string(stored.offset) +
                 (replay_.careful(stored.offset + 1)
                      ? "; re-applying one change at a time through offset " + std::to_string(replay_.careful_through())
                      : ""));
      return stored.offset;
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
      if (source_.in_transaction && session_.open_tx_marked())
        commit_wanted_ = true;
      else
        finish(source_.in_transaction ? complete_through_ : offset);
    });
  }

 private:
  // ---- one handler per message type ------------------------------------------

  void handle_record(int64_t offset, std::string_view record) {
    events::Message message;
    try {
      message = events::parse_event(record);
    } catch (const events::EventError &e) {
      return replay_.refuse(offset, record, "", std::string("not a valid change event: ") + e.what());
    }
    std::visit([&](auto &m) { handle(offset, record, m); }, message);
  }

  void handle(int64_t offset, std::string_view record, const events::Begin &) {
    if (source_.in_transaction)
      return replay_.refuse(offset, record, "",
                            "a begin inside the transaction that began at offset " +
                                std::to_string(source_.transaction_begin) +
                                " (the topic holds an unfinished transaction)");
    source_ = {true, offset};
    // While replaying carefully every change is written at once, so the
    // transaction is undoable from its start (see ReplayPolicy::stop_at).
    if (replay_.careful(offset)) session_.mark_open_tx();
  }

  void handle(int64_t offset, std::string_view, const events::Commit &commit) {
    seal();
    ++counts_.current.transactions;
    counts_.current.last_source_commit = commit.timestamp;
    source_.in_transaction = false;
    session_.release_open_tx();
    complete_through_ = offset;
    if (commit_wanted_) return finish(offset);
    if (applier_.batch_rows() >= kBackgroundWriteRows || applier_.batch_bytes() >= kBackgroundWriteBytes)
      session_.write_batch_in_background();
  }

  void handle(int64_t, std::string_view, const events::Origin &) {}

  void handle(int64_t, std::string_view, const Type &type) {
    types_[type.id] = type;
    session_.bookkeeping().save_type(session_.transaction(), type);
  }

  void handle(int64_t offset, std::string_view record, const Relation &relation) {
    auto previous = relations_.find(relation.rel_id);
    const Relation *before = previous == relations_.end() ? nullptr : &previous->second;
    // The same definition again (a new replication session sends it once
    // more): nothing to change.
    if (before && *before == relation) return;
    // A new rel_id under the name of another: the source's table was
    // dropped and created again (README, "A table dropped and created again").
    const Relation *replaced = before ? nullptr : holder_of_name(relation);
    if (replaced && !config_.create_tables)
      return replay_.refuse(offset, record, name_of(relation), replaced_without_create_tables(*replaced, relation));
    // DDL is written at once, so what the open transaction did before it is
    // written first, and the batch before that. DDL can fail for reasons of
    // the data (a type change the rows do not fit): under a savepoint, so
    // that the transaction stays usable for skip and dead_letter.
    pqxx::work &tx = session_.transaction();
    if (source_.in_transaction) session_.mark_open_tx();
    applier_.spill_open(tx);
    std::optional<SetAside> aside;
    // The described table; a null one when the target has none yet (it is
    // opened by the first change that needs it: table_for).
    std::optional<std::shared_ptr<const TargetTable>> table =
        replay_.try_step(tx, "cn_relation", offset, record, name_of(relation), [&] {
          if (replaced) {
            aside = set_aside(tx, *replaced);
            session_.bookkeeping().save_relation(tx, aside->relation);
          }
          std::shared_ptr<const TargetTable> described;
          if (follow_relation(tx, relation, before, types_, config_.create_tables, host_))
            described = std::make_shared<const TargetTable>(open_table(tx, relation, types_, false, host_));
          session_.bookkeeping().save_relation(tx, relation);
          return std::optional(described);
        });
    if (!table) return;
    if (aside) {
      const Relation &old = aside->relation;
      host_.warn(name_of(relation) + ": the source's table was dropped and created again (rel_id " +
                 std::to_string(relation.rel_id) + " now, " + std::to_string(old.rel_id) + " before): " +
                 (aside->kept ? "the target's table with its rows is kept as " + name_of(old) + ", and " +
                                    name_of(relation) + " is created anew; drop the kept table once it is not needed"
                              : "the target had no table for the old one, and " + name_of(relation) +
                                    " is created anew"));
      relations_[old.rel_id] = old;
      tables_.erase(old.rel_id);  // described again, under its new name, if the old table comes back
    }
    relations_[relation.rel_id] = relation;
    if (*table)
      tables_[relation.rel_id] = std::move(*table);
    else
      tables_.erase(relation.rel_id);
  }

  // The relation of another rel_id whose target table has relation's name.
  const Relation *holder_of_name(const Relation &relation) const {
    for (const auto &[rel_id, r] : relations_)
      if (rel_id != relation.rel_id && r.namespace_ == relation.namespace_ && r.name == relation.name) return &r;
    return nullptr;
  }

  std::string replaced_without_create_tables(const Relation &replaced, const Relation &relation) const {
    return "the source's table was dropped and created again (rel_id " + std::to_string(relation.rel_id) + " now, " +
           std::to_string(replaced.rel_id) + " before), and with create_tables: false the sink does not replace "
           "tables: make the target's " + name_of(relation) + " fit the new table (its old rows are still there), "
           "then forget the old one with DELETE FROM " + display(config_.relations_table) + " WHERE connector = " +
           plugins::quote_literal(config_.connector) + " AND kind = 'relation' AND id = " + std::to_string(replaced.rel_id) +
           ", and start again";
  }

  // The changes move their tuples out of the message: a value may be as
  // large as a record, and is held once.
  void handle(int64_t offset, std::string_view record, events::Insert &insert) {
    auto table = table_for(offset, record, insert.rel_id);
    if (!table || !arity_ok(offset, record, *table, insert.tuple, "tuple")) return;
    apply(offset, record, Change{Change::Kind::insert, offset, std::move(table), std::move(insert.tuple), {}, {}});
  }

  void handle(int64_t offset, std::string_view record, events::Update &update) {
    auto table = table_for(offset, record, update.rel_id);
    if (!table || !arity_ok(offset, record, *table, update.new_tuple, "new_tuple")) return;
    std::optional<Tuple> locator =
        take_locator(offset, record, *table, update.old_tuple, update.key_tuple, &update.new_tuple, "update");
    if (!locator) return;
    apply(offset, record,
          Change{Change::Kind::update, offset, std::move(table), std::move(update.new_tuple), std::move(*locator), {}});
  }

  void handle(int64_t offset, std::string_view record, events::Delete &del) {
    auto table = table_for(offset, record, del.rel_id);
    if (!table) return;
    std::optional<Tuple> locator = take_locator(offset, record, *table, del.old_tuple, del.key_tuple, nullptr, "delete");
    if (!locator) return;
    apply(offset, record, Change{Change::Kind::delete_, offset, std::move(table), {}, std::move(*locator), {}});
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

  // ---- reading a change ------------------------------------------------------

  std::shared_ptr<const TargetTable> table_for(int64_t offset, std::string_view record, uint32_t rel_id) {
    if (auto it = tables_.find(rel_id); it != tables_.end()) return it->second;
    auto relation = relations_.find(rel_id);
    if (relation == relations_.end()) {
      replay_.refuse(offset, record, "",
                     "unknown rel_id " + std::to_string(rel_id) +
                         ": no relation event for it came before, and none is stored in " +
                         display(config_.relations_table));
      return nullptr;
    }
    // The first change since the relation event, or since a restart: the
    // table is described, and created first if it is missing.
    pqxx::work &tx = session_.transaction();
    auto table = replay_.try_step(tx, "cn_open_table", offset, record, name_of(relation->second), [&] {
      return std::make_shared<const TargetTable>(
          open_table(tx, relation->second, types_, config_.create_tables, host_));
    });
    if (table) tables_[rel_id] = table;
    return table;
  }

  bool arity_ok(int64_t offset, std::string_view record, const TargetTable &t, const Tuple &tuple, const char *field) {
    if (tuple.size() == t.relation.columns.size()) return true;
    replay_.refuse(offset, record, display(t.name),
                   std::string(field) + " has " + std::to_string(tuple.size()) + " values but the relation has " +
                       std::to_string(t.relation.columns.size()) + " columns");
    return false;
  }

  // Where the row an update or delete changes is found: the old row under
  // Full identity; else the key tuple if the key changed, else the key
  // columns of the new row (an update) or the old row (a delete).
  // What finds the row an update or delete changes, moved out of the
  // message: the old row (Full identity), key_tuple, or old_tuple; for an
  // update that sends neither, the key columns of new_tuple (the rest NULL,
  // as in a key_tuple). Nothing when the change must be refused (done here).
  std::optional<Tuple> take_locator(int64_t offset, std::string_view record, const TargetTable &t,
                                    std::optional<Tuple> &old_tuple, std::optional<Tuple> &key_tuple,
                                    const Tuple *new_tuple, const char *what) {
    auto refuse = [&](const std::string &reason) -> std::optional<Tuple> {
      replay_.refuse(offset, record, display(t.name), reason);
      return std::nullopt;
    };
    std::optional<Tuple> *sent = nullptr;  // the tuple of the message that finds the row
    if (t.relation.replica_identity == ReplicaIdentity::full) {
      if (!old_tuple) return refuse(std::string("an ") + what + " under Full identity without old_tuple");
      sent = &old_tuple;
    } else if (t.key_columns.empty()) {
      return refuse(std::string("the table has no replica identity key (identity ") +
                    to_string(t.relation.replica_identity) + "), so an " + what +
                    " cannot find its row; give the source table a primary key or REPLICA IDENTITY");
    } else if (key_tuple || old_tuple) {
      sent = key_tuple ? &key_tuple : &old_tuple;
    } else if (!new_tuple) {
      return refuse(std::string("a ") + what + " without key_tuple");
    }
    if (!sent) {  // the key columns of new_tuple, whose arity is checked
      // In a spare tuple's room: a new one for every update, handed back
      // later, was 8% of the sink's instructions on pgbench's updates. (Its
      // NULLs keep room unused; spare room is bounded per thread.)
      Tuple key = events::spare_tuple(new_tuple->size());
      for (std::size_t k : t.key_columns) key[k] = (*new_tuple)[k];
      return key;
    }
    if (!arity_ok(offset, record, t, **sent, key_tuple ? "key_tuple" : "old_tuple")) return std::nullopt;
    return std::move(*sent);
  }

  // ---- applying --------------------------------------------------------------

  void apply(int64_t offset, std::string_view record, Change change) {
    if (replay_.careful(offset)) return replay_.apply_carefully(offset, record, change);
    applier_.add(std::move(change));
    if (source_.in_transaction &&
        (applier_.open_size() >= kMaxOpenChanges || applier_.open_bytes() >= kMaxOpenBytes)) {
      // A source transaction too large to hold: what it has so far is
      // written, in the background while the rest is read, and the target
      // transaction then waits for its commit.
      session_.mark_open_tx();
      seal();
      session_.write_batch_in_background();
    }
  }

  // Folds the open source transaction into the batch; a change that cannot
  // be folded is written at once.
  void seal() {
    applier_.seal([this]() -> pqxx::transaction_base & { return session_.transaction(); });
  }

  // Commits the target transaction with offset as the position.
  void finish(int64_t offset) {
    commit_wanted_ = false;
    session_.commit(offset);
  }

  // Closing: a commit the host asked for that waited for the open source
  // transaction is made now, without it.
  void commit_before_close() noexcept {
    session_.wait_quietly();  // a failure there spoils only what the close would commit
    if (failed_ || !session_.has_transaction() || !commit_wanted_) return;
    try {
      session_.undo_open_tx();
      applier_.discard_open();
      source_.in_transaction = false;
      finish(complete_through_);
    } catch (const std::exception &e) {
      host_.warn(std::string("the final commit failed; the next start resumes from offset ") +
                 std::to_string(session_.committed()) + ": " + message_of(e));
    }
  }

  // Forgets everything uncommitted. The tables are read again: the lost
  // transaction may have changed them.
  void drop() {
    session_.drop();
    tables_.clear();
    source_ = {};
    commit_wanted_ = false;
  }

  cn::RetryError retry(const std::string &why) {
    drop();
    return cn::RetryError(why);
  }

  // Turns the target's transient troubles into cn::RetryError (the host
  // backs off and re-delivers from resume_offset()), after dropping every
  // uncommitted change; a permanent one fails the connector. Transient or
  // permanent is plugins::is_transient's rule (for a connection attempt,
  // ConnectError's).
  template <class F>
  auto guarded(F &&f) -> decltype(f()) {
    try {
      return f();
    } catch (const RefusedError &e) {
      replay_.replay_through(handed_);
      // The table is unknown for a record that is not a valid event.
      const std::string where =
          e.first_offset == e.last_offset
              ? "offset " + std::to_string(e.first_offset)
              : "offsets " + std::to_string(e.first_offset) + "-" + std::to_string(e.last_offset);
      throw retry(where + (e.table.empty() ? "" : ", table " + e.table) + ": " + e.what() +
                  "; re-applying one change at a time to find the record");
    } catch (const plugins::ConnectError &e) {
      if (e.permanent()) {
        failed_ = true;
        throw;
      }
      throw retry(e.what());
    } catch (const pqxx::in_doubt_error &e) {
      throw retry("the target's commit is in doubt; resuming from its stored offset: " + message_of(e));
    } catch (const pqxx::broken_connection &e) {
      throw retry("lost the connection to the target: " + message_of(e));
    } catch (const pqxx::failure &e) {
      if (!plugins::is_transient(e)) {
        failed_ = true;
        throw std::runtime_error("target: " + message_of(e));
      }
      throw retry("the target is unavailable (retrying from its stored offset): " + message_of(e));
    } catch (...) {
      failed_ = true;
      throw;
    }
  }

  const cn::Host &host_;
  SinkConfig config_;
  SinkMetrics metrics_;
  CountsLedger counts_;
  Applier applier_;
  TargetSession session_;
  SourcePosition source_;
  ReplayPolicy replay_;

  std::map<uint32_t, Relation> relations_;
  std::map<uint32_t, Type> types_;
  std::map<uint32_t, std::shared_ptr<const TargetTable>> tables_;

  int64_t complete_through_ = -1;  // the last offset outside an unfinished source transaction
  bool commit_wanted_ = false;     // commit() came inside a source transaction that has written
  int64_t handed_ = -1;            // the last offset consume() saw
  bool failed_ = false;            // a callback failed: close() commits nothing
};

}  // namespace
}  // namespace cn::pgsink

CN_DEFINE_SINK_PLUGIN_WITH_PARAMETERS(cn::pgsink::PostgresSink, "postgres-sink", "0.1.0",
                                      "applies PostgreSQL change events to a PostgreSQL database, exactly once",
                                      cn::pgsink::kSinkParameters)
