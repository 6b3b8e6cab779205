// The initial load: the published tables' rows, read in the snapshot that
// the slot exported when it was made, so that streaming from the slot's
// consistent point continues with no gap and no overlap. Emitted as one
// transaction (begin, type and relation events, inserts, commit) whose
// begin carries xid 0, which no real transaction has. Read through a cursor,
// a chunk at a time: a large table is never held in memory.
#ifndef CN_PGSOURCE_INITIAL_LOAD_HPP
#define CN_PGSOURCE_INITIAL_LOAD_HPP

#include "source_setup.hpp"

#include <pqxx/pqxx>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cn::pgsource {

class InitialLoad {
 public:
  using Emit = std::function<void(const std::string &event)>;

  // Opens a repeatable-read transaction in the exported snapshot, on conn
  // (a connection of its own, which it keeps). With truncate_first, the
  // transaction first empties every loaded table (a load that replaces one
  // cut short).
  InitialLoad(std::unique_ptr<pqxx::connection> conn, const std::string &snapshot, const std::string &publication,
              uint64_t consistent_point, bool truncate_first);

  // Emits the next chunk of events; false once the commit has been emitted.
  bool emit_some(const Emit &emit, std::size_t max_rows);

  std::size_t tables() const { return tables_.size(); }
  uint64_t rows() const { return rows_; }

  // The table being loaded (or the last one), for metrics.
  struct TableProgress {
    std::string table;        // schema.name
    uint64_t rows = 0;        // loaded so far
    double estimated = -1;    // the planner's estimate of its rows (pg_class.reltuples); -1: none
  };
  const TableProgress &progress() const { return progress_; }

 private:
  void describe(const PublishedTable &table, const Emit &emit);
  void start_table(const Emit &emit);

  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<pqxx::nontransaction> tx_;
  std::vector<PublishedTable> tables_;
  uint64_t consistent_point_;
  bool truncate_first_;
  bool begun_ = false;
  std::size_t table_ = 0;      // the table being read
  bool cursor_open_ = false;
  uint64_t rows_ = 0;
  TableProgress progress_;
  std::string event_;
};

}  // namespace cn::pgsource

#endif
