#include "replay_policy.hpp"

#include <stdexcept>

namespace cn::pgsink {

void ReplayPolicy::refuse(int64_t offset, std::string_view record, const std::string &table,
                          const std::string &reason) {
  const std::string where = "offset " + std::to_string(offset) + (table.empty() ? "" : ", table " + table);
  switch (config_.on_error) {
    case OnError::stop:
      if (!careful(offset)) throw RefusedError(reason, offset, offset, table);
      stop_at(offset, where + ": " + reason);
    case OnError::skip:
      ++counts_.skipped;
      host_.warn(where + ": skipped (on_error: skip): " + reason);
      return;
    case OnError::dead_letter:
      // The row belongs to this record's source transaction: undone with it,
      // and so is its count (marked first, so the count comes after).
      if (source_.in_transaction) session_.mark_open_tx();
      ++counts_.dead_lettered;
      session_.bookkeeping().save_dead_letter(session_.transaction(), offset, record, reason);
      host_.warn(where + ": sent to " + display(config_.dead_letter_table) + ": " + reason);
      return;
  }
}

void ReplayPolicy::apply_carefully(int64_t offset, std::string_view record, const Change &change) {
  pqxx::work &tx = session_.transaction();
  Savepoint sp(tx, "cn_change");
  try {
    applier_.apply_now(tx, change);
    sp.release();
  } catch (const RefusedError &e) {
    applier_.discard();
    sp.rollback();
    refuse(offset, record, display(change.table->name), e.what());
  }
}

// Keeps what came before the refused record's source transaction (careful
// replay has written it, and only it, outside that transaction's savepoint),
// and leaves the rest uncommitted: the connector stops, and its close gives
// the transaction up.
void ReplayPolicy::stop_at(int64_t offset, const std::string &message) {
  const int64_t keep_through = source_.in_transaction ? source_.transaction_begin - 1 : offset - 1;
  if (source_.in_transaction) session_.undo_open_tx();
  applier_.discard();
  if (keep_through > session_.committed()) session_.commit(keep_through);
  throw std::runtime_error(message);
}

}  // namespace cn::pgsink
