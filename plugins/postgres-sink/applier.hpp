// Applying row changes with few round trips.
//
// Changes wait in memory in two parts:
//   - the open part: the changes of the source transaction still being read,
//     in order, untouched by the database;
//   - the batch: the changes of complete source transactions, folded per
//     table and key (insert then update: one insert; anything then delete:
//     one delete; delete then insert: a replace; update then update: one
//     update).
// seal() moves the open part into the batch at a source commit; flush()
// writes the batch: per table its deletes (DELETE ... USING unnest(keys)),
// its updates (UPDATE ... FROM unnest(...), one statement per set of
// columns) and its inserts (COPY). Every value travels as data, never as SQL
// text. A change that cannot be folded (a key-changing update, a change to a
// Full-identity table, a change that contradicts the batch) is written on its
// own, in order, after the batch before it.
//
// Tables are written in an order that foreign keys of a pre-created target
// accept (deletes children first, then updates and inserts parents first),
// unless the sink's session runs with session_replication_role = replica,
// which, as for PostgreSQL's own apply worker, fires no triggers.
#ifndef CN_PGSINK_APPLIER_HPP
#define CN_PGSINK_APPLIER_HPP

#include "counts.hpp"
#include "key_index.hpp"
#include "sink_metrics.hpp"
#include "target_table.hpp"

#include <cn/plugin.hpp>
#include <pqxx/pqxx>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace cn::pgsink {

struct Change {
  enum class Kind : uint8_t { insert, update, delete_, truncate };
  Kind kind = Kind::insert;
  int64_t offset = -1;  // the topic record it came from
  std::shared_ptr<const TargetTable> table;
  Tuple values;   // insert: the row; update: the new row
  Tuple locator;  // update, delete: the key's values (Default/Index identity) or the old row (Full)
  std::string statement;  // truncate: the TRUNCATE to run; table: the first table named
  uint64_t key_hash = 0;  // the hash of its key (keyed tables), made by Applier::add
};

// A statement failed on the target for a reason of the data (a constraint,
// a type error), not of the connection. Which change caused it is unknown
// when the statement carried several: first_offset..last_offset is their
// range.
class RefusedError : public std::runtime_error {
 public:
  RefusedError(std::string what, int64_t first, int64_t last, std::string table)
      : std::runtime_error(std::move(what)), first_offset(first), last_offset(last), table(std::move(table)) {}
  int64_t first_offset, last_offset;
  std::string table;
};

// A statement ready to send, made on the folding thread, so that the
// thread writing to the target only sends statements back to back.
struct PreparedStatement {
  enum class Kind : uint8_t { copy, update, delete_ };
  Kind kind = Kind::copy;
  const TargetTable *table = nullptr;
  std::string sql;                  // update, delete (empty: nothing to set)
  std::vector<std::string> params;  // update, delete
  std::vector<std::string> pieces;  // copy: the COPY text, sent piece after piece
  std::vector<int64_t> offsets;     // per row: the offset to name if its row is missing
  int64_t first_offset = -1, last_offset = -1;
};

class Applier {
 public:
  // Counts what it writes (inserted, updated, deleted, truncated, missing) in counts,
  // which it borrows for its whole life.
  // metrics times each statement; it must outlive the Applier.
  Applier(std::size_t max_rows_per_statement, const cn::Host &host, Counts &counts, const SinkMetrics &metrics);

  // Tells how tables are ordered: with replica_role, triggers (and so
  // foreign keys) do not fire and any order does.
  void set_replica_role(bool replica_role) { replica_role_ = replica_role; }

  // Queues a change of the open source transaction. No database work.
  void add(Change change);

  // The open source transaction is complete: folds it into the batch. A
  // change that cannot be folded makes it write the batch and the change,
  // in the transaction that tx() gives (asked for only then).
  using TransactionSource = std::function<pqxx::transaction_base &()>;
  void seal(const TransactionSource &tx);

  // Writes the batch. Throws RefusedError, or pqxx errors for connection
  // trouble.
  void flush(pqxx::transaction_base &tx);

  // The batch, taken out to be written elsewhere (on another thread, while
  // this applier folds the next one): write(tx, batch) writes it. Only one
  // write or apply_now may run at a time.
  struct Batch;
  std::shared_ptr<Batch> take_batch();
  void write(pqxx::transaction_base &tx, Batch &batch);

  // Writes the batch, then the open part, in order (what must be in the
  // target before DDL of the open source transaction): the caller must be
  // able to undo it (a savepoint) until that transaction's commit arrives.
  void spill_open(pqxx::transaction_base &tx);

  // Writes one change now, on its own (careful replay).
  void apply_now(pqxx::transaction_base &tx, const Change &change);

  // Rows in the batch (complete source transactions), not yet written, and
  // the bytes of their values (what they hold in memory, roughly).
  std::size_t batch_rows() const;
  std::size_t batch_bytes() const;
  // Changes of the open source transaction, and the bytes of their values.
  std::size_t open_size() const { return open_.size(); }
  std::size_t open_bytes() const { return open_bytes_; }

  // Forgets what is pending (its transaction is gone).
  void discard();
  void discard_open();

 private:
  // One folded row: what the batch will do to one key.
  struct Entry {
    enum class Op : uint8_t { none, insert, update, delete_, replace };
    Op op = Op::none;
    Tuple values;   // insert, update, replace: the row's values
    Tuple locator;  // update, delete, replace: where the row is
    int64_t first_offset = -1, last_offset = -1;
  };
  struct TableBatch {
    std::shared_ptr<const TargetTable> table;
    KeyIndex by_key;  // key -> entries index
    std::vector<Entry> entries;
    std::size_t order = 0;  // first appearance in the batch
    std::vector<PreparedStatement> deletes, updates, inserts;  // made from entries by take_batch()
  };

  // Rows per table that seal() is about to fold (counted only for a large
  // transaction), for a table new to the batch to make room for at once.
  using RowsPerTable = std::unordered_map<const TargetTable *, std::size_t>;
  // false: cannot be folded (change is left as it was)
  bool fold(Change &change, const RowsPerTable &coming);
  void prepare(TableBatch &t) const;
  void execute(pqxx::transaction_base &tx, const PreparedStatement &statement);
  std::vector<TableBatch *> table_order(pqxx::transaction_base &tx, Batch &batch);

  std::size_t max_rows_;
  const cn::Host &host_;
  bool replica_role_ = false;
  std::vector<Change> open_;
  std::size_t open_bytes_ = 0;
  std::shared_ptr<Batch> batch_;
  Counts &counts_;
  const SinkMetrics &metrics_;
};

struct Applier::Batch {
  std::map<const TargetTable *, TableBatch> tables;
  std::size_t rows = 0;
  std::size_t bytes = 0;  // of the changes folded in (merged ones too)
};

}  // namespace cn::pgsink

#endif
