// What the sink does with a record it cannot apply: the on_error policy,
// and the careful replay that finds the record when the target refuses a
// statement.
//
// The fast path writes many records per statement and carries no
// savepoints, so a refused statement (RefusedError) does not say which
// record is at fault. The sink then asks the host to retry and calls
// replay_through(the last offset handed over): the host re-delivers from the
// last commit, and every record up to there is applied one change at a
// time, each under a savepoint, until the refused one is met. A record that
// cannot be applied at all (not an event, an unknown rel_id, the wrong
// number of values) is known at once. Either way, refuse() applies on_error:
//   stop: commits what came before the record's source transaction and
//         stops the connector, naming offset, table and reason; outside
//         careful replay it first starts one (RefusedError), so that what
//         came before is committed and a restart resumes right at it;
//   skip: logs and counts the record;
//   dead_letter: writes it to the dead-letter table, in its source
//         transaction, and logs and counts it.
//
// Owns: how far careful replay goes. Borrows (for its whole life): the
// configuration, the host, the session, the applier, the counts, and the
// sink's SourcePosition. Called on the sink's thread only.
//
// Errors: refuse() throws RefusedError (stop, outside careful replay: the
// sink retries) or std::runtime_error (stop: the connector's final error);
// libpqxx's errors from the target pass through.
#ifndef CN_PGSINK_REPLAY_POLICY_HPP
#define CN_PGSINK_REPLAY_POLICY_HPP

#include "applier.hpp"
#include "counts.hpp"
#include "savepoint.hpp"
#include "sink_config.hpp"
#include "target_session.hpp"

#include <cn/plugin.hpp>
#include <postgres_errors.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

namespace cn::pgsink {

// Where the sink stands in the source's transactions (the sink's dispatch
// keeps it).
struct SourcePosition {
  bool in_transaction = false;     // between a begin and its commit
  int64_t transaction_begin = -1;  // that begin's offset
};

class ReplayPolicy {
 public:
  ReplayPolicy(const SinkConfig &config, const cn::Host &host, TargetSession &session, Applier &applier,
               Counts &counts, const SourcePosition &source)
      : config_(config), host_(host), session_(session), applier_(applier), counts_(counts), source_(source) {}

  // Whether the record at offset is applied one change at a time. A commit
  // through the refused record ends careful replay: later offsets are past
  // it.
  bool careful(int64_t offset) const { return offset <= careful_through_; }
  void replay_through(int64_t offset) { careful_through_ = std::max(careful_through_, offset); }
  int64_t careful_through() const { return careful_through_; }

  // The record at offset cannot be applied, for reason: handles it by
  // on_error. table: "schema.table", or empty when unknown.
  void refuse(int64_t offset, std::string_view record, const std::string &table, const std::string &reason);

  // Careful replay: writes one change now, under a savepoint; a refusal is
  // undone alone and handed to refuse().
  void apply_carefully(int64_t offset, std::string_view record, const Change &change);

  // Runs step (DDL, reading a table: work that fails for reasons of the
  // data as well as of the connection) under a savepoint in tx. A permanent
  // failure is undone alone and handed to refuse(), and the result is then
  // a value-initialised one (a null pointer); a transient one passes on.
  template <class Step>
  auto try_step(pqxx::transaction_base &tx, const char *savepoint, int64_t offset, std::string_view record,
                const std::string &table, Step &&step) -> decltype(step()) {
    Savepoint sp(tx, savepoint);
    try {
      auto result = step();
      sp.release();
      return result;
    } catch (const pqxx::failure &e) {
      if (plugins::is_transient(e)) throw;
      sp.rollback();
      refuse(offset, record, table, plugins::message_of(e));
    } catch (const std::runtime_error &e) {
      sp.rollback();
      refuse(offset, record, table, e.what());
    }
    return {};
  }

 private:
  [[noreturn]] void stop_at(int64_t offset, const std::string &message);

  const SinkConfig &config_;
  const cn::Host &host_;
  TargetSession &session_;
  Applier &applier_;
  Counts &counts_;
  const SourcePosition &source_;
  int64_t careful_through_ = -1;  // apply one change at a time up to here
};

}  // namespace cn::pgsink

#endif
