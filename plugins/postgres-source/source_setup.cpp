#include "source_setup.hpp"

#include "replication.hpp"

namespace pgsource {

namespace {

// pgoutput sends a type message for every column type at or above the first
// OID that initdb assigns (below it: built-in types).
constexpr uint32_t kFirstGenbkiObjectId = 10000;

std::string split_table(pqxx::connection &conn, const std::string &schema_table) {
  std::size_t dot = schema_table.find('.');
  return conn.quote_name(schema_table.substr(0, dot)) + "." + conn.quote_name(schema_table.substr(dot + 1));
}

}  // namespace

void check_wal_level(pqxx::connection &conn) {
  pqxx::nontransaction tx(conn);
  std::string level = tx.exec("SHOW wal_level")[0][0].c_str();
  if (level != "logical")
    throw SourceError("the source server has wal_level = " + level +
                          "; logical replication needs logical (fix: run ALTER SYSTEM SET wal_level = logical;"
                          " then restart the server)",
                      false);
}

void ensure_publication(pqxx::connection &conn, const SourceConfig &config) {
  pqxx::work tx(conn);
  bool exists = !tx.exec_params("SELECT 1 FROM pg_publication WHERE pubname = $1", config.publication).empty();
  if (exists) return;
  if (config.skip_setup)
    throw SourceError("the publication '" + config.publication +
                          "' does not exist, and skip_setup is true, so the source creates nothing (fix: run"
                          " CREATE PUBLICATION " + conn.quote_name(config.publication) +
                          " FOR ALL TABLES; on the source, or set skip_setup: false)",
                      false);
  std::string what;
  if (!config.tables.empty()) {
    for (const std::string &t : config.tables) what += (what.empty() ? "FOR TABLE " : ", ") + split_table(conn, t);
  }
  if (!config.schemas.empty()) {
    what += what.empty() ? "FOR TABLES IN SCHEMA " : ", TABLES IN SCHEMA ";
    for (std::size_t i = 0; i < config.schemas.size(); ++i)
      what += (i ? ", " : "") + conn.quote_name(config.schemas[i]);
  }
  if (what.empty()) what = "FOR ALL TABLES";
  try {
    tx.exec("CREATE PUBLICATION " + conn.quote_name(config.publication) + " " + what);
    tx.commit();
  } catch (const pqxx::sql_error &e) {
    throw SourceError("creating the publication '" + config.publication + "' " + what + " failed: " + e.what(), false);
  }
}

bool slot_exists(pqxx::connection &conn, const std::string &slot) {
  pqxx::nontransaction tx(conn);
  return !tx.exec_params("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", slot).empty();
}

void drop_slot(pqxx::connection &conn, const std::string &slot) {
  pqxx::nontransaction tx(conn);
  try {
    tx.exec_params("SELECT pg_drop_replication_slot($1)", slot);
  } catch (const pqxx::sql_error &e) {
    // Still held by the walsender of a connection that is going away (a
    // source killed a moment ago): worth another try.
    const bool active = std::string(e.what()).find("is active for PID") != std::string::npos;
    throw SourceError("dropping the replication slot '" + slot + "' failed: " + e.what(), active);
  }
}

std::vector<PublishedTable> published_tables(pqxx::transaction_base &tx, const std::string &publication) {
  // Columns as pgoutput sends them: not dropped, not generated; flagged when
  // part of the replica identity (every column under FULL).
  pqxx::result rows = tx.exec_params(
      "SELECT c.oid::bigint, n.nspname, c.relname, c.relreplident::text, a.attname, a.atttypid::bigint,"
      "       a.atttypmod, (c.relreplident = 'f' OR a.attnum = ANY(coalesce(i.indkey::int2[], '{}')))::int,"
      "       tn.nspname, t.typname, c.relkind = 'p'"
      "  FROM pg_publication_tables p"
      "  JOIN pg_namespace n ON n.nspname = p.schemaname"
      "  JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename"
      "  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''"
      "  JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace"
      "  LEFT JOIN pg_index i ON i.indrelid = c.oid AND ((c.relreplident = 'd' AND i.indisprimary)"
      "                                              OR (c.relreplident = 'i' AND i.indisreplident))"
      " WHERE p.pubname = $1"
      " ORDER BY n.nspname, c.relname, a.attnum",
      publication);
  std::vector<PublishedTable> tables;
  for (const auto &row : rows) {
    uint32_t rel_id = row[0].as<uint32_t>();
    if (tables.empty() || tables.back().relation.rel_id != rel_id) {
      PublishedTable t;
      t.relation.rel_id = rel_id;
      t.relation.namespace_ = row[1].c_str();
      t.relation.name = row[2].c_str();
      t.relation.replica_identity = row[3].c_str()[0];
      t.quoted_name = tx.quote_name(t.relation.namespace_) + "." + tx.quote_name(t.relation.name);
      t.partitioned = row[10].as<bool>();
      tables.push_back(std::move(t));
    }
    PublishedTable &t = tables.back();
    Column column;
    column.name = row[4].c_str();
    column.type_id = row[5].as<uint32_t>();
    column.type_modifier = row[6].as<int32_t>();
    column.flags = static_cast<int8_t>(row[7].as<int>());
    if (column.type_id >= kFirstGenbkiObjectId) {
      bool known = false;
      for (const auto &type : t.types) known = known || type.id == column.type_id;
      if (!known) t.types.push_back({column.type_id, row[8].c_str(), row[9].c_str()});
    }
    t.relation.columns.push_back(std::move(column));
  }
  return tables;
}

}  // namespace pgsource
