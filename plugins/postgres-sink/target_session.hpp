// The sink's session with the target database: the connection, the one
// target transaction at a time that the data and the offset go into, the
// batches written into it on a second thread, and its commit with the
// offset. Exactly once rests here: nothing commits without the offset it
// covers, and what is lost is lost with its counts.
//
// Owns: the connection (and with it the connector's advisory lock), the
// target transaction, the background writer, the bookkeeping store, and the
// savepoint where the open source transaction started writing. Borrows (for
// its whole life): the configuration, the host, the Applier whose pending
// changes it writes or forgets, the counts it commits or rolls back.
//
// Called on the sink's thread only. Between write_batch_in_background() and
// the next call that waits (transaction(), the open transaction's savepoint,
// commit(), drop()), the writing thread uses the transaction; nothing else
// may touch it then.
//
// Errors: libpqxx's, as the target raised them (the sink's guarded() tells
// transient from permanent), plugins::ConnectError from connect() (which
// says whether retrying can mend it), RefusedError from the applier, and
// std::runtime_error for what waiting cannot mend (a connector locked by
// another instance). After any of them the caller drop()s the session or
// stops.
#ifndef CN_PGSINK_TARGET_SESSION_HPP
#define CN_PGSINK_TARGET_SESSION_HPP

#include "applier.hpp"
#include "background_jobs.hpp"
#include "bookkeeping.hpp"
#include "counts.hpp"
#include "savepoint.hpp"
#include "sink_config.hpp"

#include <cn/plugin.hpp>
#include <database_endpoint.hpp>
#include <pqxx/pqxx>

#include <cstdint>
#include <memory>
#include <optional>

namespace cn::pgsink {

class TargetSession {
 public:
  TargetSession(const SinkConfig &config, const cn::Host &host, Applier &applier, CountsLedger &counts);

  // Connects (after drop(), or at the start), takes the connector's lock,
  // reads what the target has stored for it, and sets up the session.
  StoredBookkeeping connect();

  // Gives up everything uncommitted (waiting for the writer, whatever it
  // failed with): pending changes, counts, the transaction, the connection.
  void drop();

  // The target transaction, begun if need be, once the background writes
  // are done with it; rethrows their failure.
  pqxx::work &transaction();
  bool has_transaction() const { return tx_ != nullptr; }

  // Hands the applier's batch to the writing thread, to be written inside
  // the target transaction while the next records are parsed and folded.
  void write_batch_in_background();

  // Waits for the background writes and forgets their failure (closing:
  // what failed is not committed anyway).
  void wait_quietly() noexcept { background_.wait_quietly(); }

  // Writes what the applier holds, stores offset, and commits: everything
  // through offset is now applied for good. Nothing to do when there is no
  // transaction and offset is stored already.
  void commit(int64_t offset);
  int64_t committed() const { return committed_; }  // the offset stored in the target

  const Bookkeeping &bookkeeping() const { return bookkeeping_; }

  // The open source transaction is about to write to the target before its
  // commit event: writes the batch before it, then marks where it starts,
  // so that it can be undone alone (a stop, a close before its commit). No
  // effect when marked already.
  void mark_open_tx();
  bool open_tx_marked() const { return open_tx_.has_value(); }
  // At its commit event: what it wrote stays. (Either call: no effect when
  // not marked.)
  void release_open_tx() { end_open_tx(true); }
  // What it wrote is undone, and the counts with it; the rest of the
  // transaction stays.
  void undo_open_tx() { end_open_tx(false); }

 private:
  void configure();
  pqxx::work &begin_if_needed();
  void end_open_tx(bool keep);

  const cn::Host &host_;
  Applier &applier_;
  CountsLedger &counts_;
  Bookkeeping bookkeeping_;
  int64_t committed_ = -1;
  bool told_replica_role_ = false;  // that the role may not set session_replication_role

  plugins::DatabaseEndpoint target_;  // the way to the target, through its SSH tunnel if any
  std::unique_ptr<pqxx::connection> connection_;
  std::unique_ptr<pqxx::work> tx_;
  std::optional<Savepoint> open_tx_;  // in tx_
  Counts before_open_tx_;             // the counts when open_tx_ was marked
  BackgroundJobs background_;         // batches being written inside tx_; ends first
};

}  // namespace cn::pgsink

#endif
