// Applying row changes with few round trips: consecutive changes to the
// same table of the same kind form a run, and a run becomes one set-based
// statement (INSERT ... SELECT FROM unnest(arrays), UPDATE ... FROM
// unnest(...), DELETE ... USING unnest(...)), with every value a parameter.
//
// Order is kept: runs are applied in the order of the changes, and a change
// that touches a key the pending run already touches starts a new run.
#ifndef CN_PGSINK_APPLIER_HPP
#define CN_PGSINK_APPLIER_HPP

#include "target_table.hpp"

#include <cn/plugin.hpp>
#include <pqxx/pqxx>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace pgsink {

struct Change {
  enum class Kind : uint8_t { insert, update, delete_ };
  Kind kind = Kind::insert;
  int64_t offset = -1;  // the topic record it came from
  std::shared_ptr<const TargetTable> table;
  Tuple values;   // insert: the row; update: the new row
  Tuple locator;  // update, delete: the key's values (Default/Index identity) or the old row (Full)
};

// A statement failed on the target for a reason of the data (a constraint,
// a type error), not of the connection. Which change of the run caused it
// is unknown: first_offset..last_offset is the run.
class RunRefused : public std::runtime_error {
 public:
  RunRefused(std::string what, int64_t first, int64_t last, std::string table)
      : std::runtime_error(std::move(what)), first_offset(first), last_offset(last), table(std::move(table)) {}
  int64_t first_offset, last_offset;
  std::string table;
};

// True for errors of the connection or of the server's state rather than
// of the data, which are worth retrying: SQLSTATE class 08 (connection), 40
// (transaction rollback), 53 (insufficient resources), 57 (operator
// intervention, such as a shutdown).
bool transient(const pqxx::sql_error &e);

// An exception's message without the trailing newline PostgreSQL adds.
std::string message_of(const std::exception &e);

struct ApplyCounts {
  uint64_t inserted = 0, updated = 0, deleted = 0, missing = 0;
};

class Applier {
 public:
  Applier(std::size_t max_rows_per_statement, const cn::Host &host)
      : max_rows_(max_rows_per_statement), host_(host) {}

  // Queues a change; applies the pending run first if the change cannot
  // join it. Throws RunRefused, or pqxx errors for connection trouble.
  void add(pqxx::transaction_base &tx, Change change);

  // Applies everything pending.
  void flush(pqxx::transaction_base &tx);

  // Forgets what is pending (its transaction is gone).
  void discard();

  bool empty() const { return run_.empty(); }
  const ApplyCounts &counts() const { return counts_; }
  // Sets the counts back to what was committed, when a transaction is lost.
  void reset_counts(const ApplyCounts &counts) { counts_ = counts; }

 private:
  bool joins_run(const Change &change) const;
  void remember_keys(const Change &change);
  bool touches_pending_key(const Change &change) const;
  void apply_run(pqxx::transaction_base &tx);

  std::size_t max_rows_;
  const cn::Host &host_;
  std::vector<Change> run_;
  std::unordered_set<std::string> run_keys_;  // keys the pending run reads or writes
  ApplyCounts counts_;
};

}  // namespace pgsink

#endif
