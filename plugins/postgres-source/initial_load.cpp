#include "initial_load.hpp"

#include "replication.hpp"

#include <sql_names.hpp>

namespace cn::pgsource {

namespace {

events::Envelope envelope_at(uint64_t lsn) { return events::Envelope{lsn, lsn, postgres_now()}; }

}  // namespace

InitialLoad::InitialLoad(std::unique_ptr<pqxx::connection> conn, const std::string &snapshot,
                         const std::string &publication, uint64_t consistent_point, bool truncate_first)
    : conn_(std::move(conn)), consistent_point_(consistent_point),
      truncate_first_(truncate_first) {
  conn_->set_client_encoding("UTF8");  // as the replication connection's: events are UTF-8
  tx_ = std::make_unique<pqxx::nontransaction>(*conn_);
  tx_->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  tx_->exec("SET TRANSACTION SNAPSHOT " + tx_->quote(snapshot));
  tables_ = published_tables(*tx_, publication);
}

bool InitialLoad::emit_some(const Emit &emit, std::size_t max_rows) {
  if (!begun_) {
    begun_ = true;
    event_.clear();
    events::append_begin(event_, envelope_at(consistent_point_), events::Begin{consistent_point_, postgres_now(), 0});
    emit(event_);
    if (truncate_first_ && !tables_.empty()) {
      events::Truncate truncate;
      for (const PublishedTable &t : tables_) {
        describe(t, emit);
        truncate.rel_ids.push_back(t.relation.rel_id);
      }
      event_.clear();
      events::append_truncate(event_, envelope_at(consistent_point_), truncate);
      emit(event_);
    }
  }
  if (table_ == tables_.size()) {
    tx_->exec("COMMIT");
    event_.clear();
    events::append_commit(event_, envelope_at(consistent_point_),
                          events::Commit{0, consistent_point_, consistent_point_, postgres_now()});
    emit(event_);
    return false;
  }
  if (!cursor_open_) start_table(emit);
  const PublishedTable &t = tables_[table_];
  pqxx::result chunk = tx_->exec("FETCH " + std::to_string(max_rows) + " FROM cn_load");
  events::TupleView row(t.relation.columns.size());
  const events::Envelope envelope = envelope_at(consistent_point_);
  for (const auto &r : chunk) {
    for (std::size_t i = 0; i < row.size(); ++i)
      row[i] = r[static_cast<int>(i)].is_null()
                   ? events::ValueView{events::ValueKind::null, {}}
                   : events::ValueView{events::ValueKind::text, std::string_view(r[static_cast<int>(i)].c_str(), r[static_cast<int>(i)].size())};
    event_.clear();
    events::append_insert(event_, envelope, t.relation, row);
    emit(event_);
  }
  rows_ += chunk.size();
  progress_.rows += chunk.size();
  if (chunk.size() < max_rows) {
    tx_->exec("CLOSE cn_load");
    cursor_open_ = false;
    ++table_;
  }
  return true;
}

// As pgoutput describes a table (with envelope positions 0, as it sends
// them): the user types it uses, then the relation.
void InitialLoad::describe(const PublishedTable &t, const Emit &emit) {
  for (const events::Type &type : t.types) {
    event_.clear();
    events::append_type(event_, envelope_at(0), type);
    emit(event_);
  }
  event_.clear();
  events::append_relation(event_, envelope_at(0), t.relation);
  emit(event_);
}

void InitialLoad::start_table(const Emit &emit) {
  const PublishedTable &t = tables_[table_];
  if (!truncate_first_) describe(t, emit);  // (else described already, before the truncate)
  std::string columns;
  for (const events::Column &c : t.relation.columns) columns += (columns.empty() ? "" : ", ") + plugins::quote_ident(c.name);
  // ONLY: a child of an inheritance parent is published (and loaded) on
  // its own; but a partitioned root published via publish_via_partition_root
  // holds its rows in its partitions.
  tx_->exec("DECLARE cn_load NO SCROLL CURSOR FOR SELECT " + columns + " FROM " + (t.partitioned ? "" : "ONLY ") +
            t.quoted_name);
  cursor_open_ = true;
  // reltuples: -1 for a table never analyzed or vacuumed (PostgreSQL 14 and later), 0 or -1 for a partitioned root.
  const pqxx::row estimate =
      tx_->exec1("SELECT reltuples::float8 FROM pg_class WHERE oid = " + tx_->quote(t.quoted_name) + "::regclass");
  const double estimated = estimate[0].as<double>();
  progress_ = {t.relation.namespace_ + "." + t.relation.name, 0, estimated >= 0 && !t.partitioned ? estimated : -1};
}

}  // namespace cn::pgsource
