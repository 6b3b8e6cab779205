#include "target_session.hpp"

#include <postgres_connection.hpp>
#include <postgres_errors.hpp>

namespace cn::pgsink {

namespace {

using plugins::message_of;

// Batches that may wait for the writing thread: enough to even out records
// slow to parse and records slow to write; each holds at most a few times
// the sink's largest batch, so memory stays bounded.
constexpr std::size_t kQueuedBatches = 3;

}  // namespace

TargetSession::TargetSession(const SinkConfig &config, const cn::Host &host, Applier &applier, CountsLedger &counts)
    : host_(host), applier_(applier), counts_(counts), bookkeeping_(config),
      target_(config.database, "target", plugins::log_to(host)), background_(kQueuedBatches) {}

StoredBookkeeping TargetSession::connect() {
  connection_ = target_.connect();
  bookkeeping_.prepare(*connection_);
  pqxx::work tx(*connection_);
  StoredBookkeeping stored = bookkeeping_.load(tx);
  tx.commit();
  committed_ = stored.offset;
  configure();
  return stored;
}

// Settings of the sink's own session:
// - random_page_cost = 1.1 (PostgreSQL's advice for cached or SSD data):
//   its UPDATE/DELETE statements find a few thousand rows by key in the
//   working set, and with the default of 4 the planner prefers to scan the
//   whole table and hash-join it (measured: 1000 keys in a 100k-row table,
//   50 ms by hash join against 11 ms by index);
// - as PostgreSQL's own apply worker does, no triggers (and so no
//   foreign-key checks) where the role may; otherwise the applier orders
//   tables by their foreign keys. Said once per instance, not at every
//   reconnection: it is how the target is set up, not an event.
void TargetSession::configure() {
  // Events are UTF-8: the server converts them into the database's
  // encoding, or refuses a character it cannot hold. (Left to the default,
  // the database's own or PGCLIENTENCODING's, a LATIN1 database stored
  // UTF-8 bytes as if they were LATIN1 characters.)
  connection_->set_client_encoding("UTF8");
  pqxx::nontransaction(*connection_).exec("SET random_page_cost = 1.1");
  try {
    pqxx::nontransaction(*connection_).exec("SET session_replication_role = replica");
    applier_.set_replica_role(true);
  } catch (const pqxx::sql_error &e) {
    if (plugins::is_transient(e)) throw;
    applier_.set_replica_role(false);
    if (told_replica_role_) return;
    told_replica_role_ = true;
    host_.info("the target role may not set session_replication_role (" +
               (plugins::is_insufficient_privilege(e) ? std::string("not a superuser") : message_of(e)) +
               "): triggers and foreign keys fire, so tables are written in foreign-key order");
  }
}

void TargetSession::drop() {
  background_.wait_quietly();
  applier_.discard();
  counts_.rolled_back();
  open_tx_.reset();
  tx_.reset();  // rolls back
  connection_.reset();
}

pqxx::work &TargetSession::begin_if_needed() {
  if (!tx_) tx_ = std::make_unique<pqxx::work>(*connection_);
  return *tx_;
}

pqxx::work &TargetSession::transaction() {
  background_.wait();
  return begin_if_needed();
}

void TargetSession::write_batch_in_background() {
  // Batches queued before this one write inside the same transaction, so
  // there is no need to wait for them: with no transaction there is none.
  pqxx::work &tx = begin_if_needed();
  std::shared_ptr<Applier::Batch> batch = applier_.take_batch();
  background_.start([&applier = applier_, &tx, batch] { applier.write(tx, *batch); });
}

void TargetSession::commit(int64_t offset) {
  background_.wait();
  if (!tx_ && offset == committed_) return;
  pqxx::work &tx = begin_if_needed();
  applier_.flush(tx);
  bookkeeping_.save_offset(tx, offset);
  tx.commit();
  open_tx_.reset();
  tx_.reset();
  committed_ = offset;
  counts_.committed();
}

void TargetSession::mark_open_tx() {
  if (open_tx_) return;
  pqxx::work &tx = transaction();
  applier_.flush(tx);
  open_tx_.emplace(tx, "cn_open_tx");
  before_open_tx_ = counts_.current;  // what undoing it takes the counts back to
}

void TargetSession::end_open_tx(bool keep) {
  if (!open_tx_) return;
  background_.wait();
  if (keep) {
    open_tx_->release();
  } else {
    open_tx_->rollback();
    counts_.current = before_open_tx_;  // what it wrote is not in the target: nor in the counts
  }
  open_tx_.reset();
}

}  // namespace cn::pgsink
