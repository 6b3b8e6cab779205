#include "source_setup.hpp"

#include "replication.hpp"

#include <postgres_errors.hpp>
#include <sql_names.hpp>

#include <change_events/type_oids.hpp>

namespace cn::pgsource {

using plugins::quote_ident;

namespace {

// What to do when the source's role may not run create (CREATE PUBLICATION
// ...), as PostgreSQL's message (SQLSTATE 42501) says why: what to grant,
// or to have a role that may create the publication beforehand.
std::string publication_fix(pqxx::connection &conn, const std::string &message, const std::string &create) {
  const std::string beforehand = " on the source: an existing publication is used as it is";
  if (message.find("must be superuser") != std::string::npos)  // FOR ALL TABLES, FOR TABLES IN SCHEMA
    return "fix: name the tables in parameters.tables (that needs their ownership, not a superuser), or have a"
           " superuser run " +
           create + beforehand;
  if (message.find("permission denied for database") != std::string::npos)
    return "fix: GRANT CREATE ON DATABASE " + quote_ident(conn.dbname()) + " TO " + quote_ident(conn.username()) +
           ", or have the tables' owner run " + create + beforehand;
  // "must be owner of table ...": a member of the owner's role counts as the owner.
  return "fix: GRANT <the tables' owner> TO " + quote_ident(conn.username()) + ", or have the tables' owner run " +
         create + beforehand;
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
                          " CREATE PUBLICATION " + quote_ident(config.publication) +
                          " FOR ALL TABLES; on the source, or set skip_setup: false)",
                      false);
  std::string what;
  if (!config.tables.empty()) {
    for (const plugins::QualifiedName &t : config.tables) what += (what.empty() ? "FOR TABLE " : ", ") + plugins::quoted(t);
  }
  if (!config.schemas.empty()) {
    what += what.empty() ? "FOR TABLES IN SCHEMA " : ", TABLES IN SCHEMA ";
    for (std::size_t i = 0; i < config.schemas.size(); ++i)
      what += (i ? ", " : "") + quote_ident(config.schemas[i]);
  }
  if (what.empty()) what = "FOR ALL TABLES";
  const std::string create = "CREATE PUBLICATION " + quote_ident(config.publication) + " " + what;
  try {
    tx.exec(create);
    tx.commit();
  } catch (const pqxx::sql_error &e) {
    const std::string message = plugins::message_of(e);
    throw SourceError("creating the publication '" + config.publication + "' " + what + " failed: " + message +
                          (plugins::is_insufficient_privilege(e)
                               ? " (" + publication_fix(conn, message, create) + ")"
                               : ""),
                      plugins::is_transient(e));
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
    // source killed a moment ago, SQLSTATE 55006): worth another try.
    throw SourceError("dropping the replication slot '" + slot + "' failed: " + plugins::message_of(e),
                      plugins::is_transient(e));
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
      t.relation.replica_identity = events::replica_identity_from_letter(row[3].c_str()[0]);
      t.quoted_name = plugins::quoted({t.relation.namespace_, t.relation.name});
      t.partitioned = row[10].as<bool>();
      tables.push_back(std::move(t));
    }
    PublishedTable &t = tables.back();
    events::Column column;
    column.name = row[4].c_str();
    column.type_id = row[5].as<uint32_t>();
    column.type_modifier = row[6].as<int32_t>();
    column.flags = static_cast<int8_t>(row[7].as<int>());
    if (column.type_id >= events::oid::kFirstGenbkiObjectId) {
      bool known = false;
      for (const auto &type : t.types) known = known || type.id == column.type_id;
      if (!known) t.types.push_back({column.type_id, row[8].c_str(), row[9].c_str()});
    }
    t.relation.columns.push_back(std::move(column));
  }
  return tables;
}

}  // namespace cn::pgsource
