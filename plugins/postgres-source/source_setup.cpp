#include "source_setup.hpp"

#include "replication.hpp"

#include <postgres_errors.hpp>
#include <sql_names.hpp>

#include <change_events/type_oids.hpp>

#include <cstdio>

namespace cn::pgsource {

using plugins::quote_ident;

namespace {

// A PostgreSQL text[] literal: names travel as parameters, never in SQL.
std::string array_literal(const std::vector<std::string> &items) {
  std::string literal = "{";
  for (const std::string &item : items) {
    literal += literal.size() > 1 ? ",\"" : "\"";
    for (char c : item) {
      if (c == '"' || c == '\\') literal += '\\';
      literal += c;
    }
    literal += '"';
  }
  return literal + "}";
}

}  // namespace

std::string publication_fix(pqxx::connection &conn, PublicationDenial denial, const std::string &create) {
  const std::string beforehand = " on the source: an existing publication is used as it is";
  switch (denial) {
    case PublicationDenial::needs_superuser:  // FOR ALL TABLES, FOR TABLES IN SCHEMA
      return "fix: name the tables in parameters.tables (that needs their ownership, not a superuser), or have a"
             " superuser run " +
             create + beforehand;
    case PublicationDenial::needs_database_create:
      return "fix: GRANT CREATE ON DATABASE " + quote_ident(conn.dbname()) + " TO " + quote_ident(conn.username()) +
             ", or have the tables' owner run " + create + beforehand;
    case PublicationDenial::needs_ownership:  // a member of the owner's role counts as the owner
      break;
  }
  return "fix: GRANT <the tables' owner> TO " + quote_ident(conn.username()) + ", or have the tables' owner run " +
         create + beforehand;
}

std::string wal_level(pqxx::connection &conn) {
  pqxx::nontransaction tx(conn);
  return tx.exec("SHOW wal_level")[0][0].c_str();
}

std::string wal_level_fix(const std::string &level) {
  return "the source server has wal_level = " + level +
         "; logical replication needs logical (fix: run ALTER SYSTEM SET wal_level = logical; then restart the"
         " server)";
}

void check_wal_level(pqxx::connection &conn) {
  const std::string level = wal_level(conn);
  if (level != "logical") throw SourceError(wal_level_fix(level), false);
}

RoleRights role_rights(pqxx::connection &conn) {
  pqxx::nontransaction tx(conn);
  const pqxx::row r = tx.exec(
      "SELECT rolname, rolsuper, rolreplication, has_database_privilege(current_database(), 'CREATE')"
      "  FROM pg_roles WHERE rolname = current_user")[0];
  return RoleRights{r[0].c_str(), r[1].as<bool>(), r[2].as<bool>(), r[3].as<bool>()};
}

std::string replication_fix(const std::string &role) {
  return "fix: run ALTER ROLE " + (role.empty() ? std::string("<user>") : quote_ident(role)) +
         " REPLICATION as a superuser";
}

std::string publication_scope(const SourceConfig &config) {
  std::string what;
  for (const plugins::QualifiedName &t : config.tables) what += (what.empty() ? "FOR TABLE " : ", ") + plugins::quoted(t);
  if (!config.schemas.empty()) {
    what += what.empty() ? "FOR TABLES IN SCHEMA " : ", TABLES IN SCHEMA ";
    for (std::size_t i = 0; i < config.schemas.size(); ++i) what += (i ? ", " : "") + quote_ident(config.schemas[i]);
  }
  return what.empty() ? "FOR ALL TABLES" : what;
}

std::string create_publication_sql(const SourceConfig &config) {
  return "CREATE PUBLICATION " + quote_ident(config.publication) + " " + publication_scope(config);
}

std::optional<PublicationDenial> publication_denial(pqxx::connection &conn, const SourceConfig &config) {
  const RoleRights rights = role_rights(conn);
  if (rights.superuser) return std::nullopt;
  if (config.tables.empty() || !config.schemas.empty()) return PublicationDenial::needs_superuser;
  if (!rights.create_on_database) return PublicationDenial::needs_database_create;
  pqxx::nontransaction tx(conn);
  for (const plugins::QualifiedName &t : config.tables) {
    // A table that does not exist fails the CREATE anyway; the discovered
    // tables say so.
    const pqxx::result owned = tx.exec_params(
        "SELECT pg_has_role(c.relowner, 'USAGE') FROM pg_class c WHERE c.oid = to_regclass($1)", plugins::quoted(t));
    if (!owned.empty() && !owned[0][0].as<bool>()) return PublicationDenial::needs_ownership;
  }
  return std::nullopt;
}

bool publication_exists(pqxx::connection &conn, const std::string &publication) {
  pqxx::nontransaction tx(conn);
  return !tx.exec_params("SELECT 1 FROM pg_publication WHERE pubname = $1", publication).empty();
}

std::string missing_publication_message(const SourceConfig &config) {
  return "the publication '" + config.publication +
         "' does not exist, and skip_setup is true, so the source creates nothing (fix: run CREATE PUBLICATION " +
         quote_ident(config.publication) + " FOR ALL TABLES; on the source, or set skip_setup: false)";
}

void ensure_publication(pqxx::connection &conn, const SourceConfig &config) {
  if (publication_exists(conn, config.publication)) return;
  if (config.skip_setup) throw SourceError(missing_publication_message(config), false);
  const std::string create = create_publication_sql(config);
  try {
    pqxx::work tx(conn);
    tx.exec(create);
    tx.commit();
  } catch (const pqxx::sql_error &e) {
    const std::string message = plugins::message_of(e);
    // PostgreSQL's message says which right is missing.
    const PublicationDenial denial = message.find("must be superuser") != std::string::npos
                                         ? PublicationDenial::needs_superuser
                                     : message.find("permission denied for database") != std::string::npos
                                         ? PublicationDenial::needs_database_create
                                         : PublicationDenial::needs_ownership;
    throw SourceError("creating the publication '" + config.publication + "' " + publication_scope(config) +
                          " failed: " + message +
                          (plugins::is_insufficient_privilege(e) ? " (" + publication_fix(conn, denial, create) + ")"
                                                                 : ""),
                      plugins::is_transient(e));
  }
}

std::optional<SlotState> slot_state(pqxx::connection &conn, const std::string &slot) {
  pqxx::nontransaction tx(conn);
  const pqxx::result r = tx.exec_params(
      "SELECT active, coalesce(active_pid, 0), pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint,"
      "       coalesce(database, '')"
      "  FROM pg_replication_slots WHERE slot_name = $1",
      slot);
  if (r.empty()) return std::nullopt;
  SlotState state;
  state.active = r[0][0].as<bool>();
  state.active_pid = r[0][1].as<int64_t>();
  if (!r[0][2].is_null()) state.retained = r[0][2].as<int64_t>();
  state.database = r[0][3].c_str();
  return state;
}

std::string megabytes(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

std::vector<TableFacts> selected_tables(pqxx::connection &conn, const SourceConfig &config, bool exists) {
  // The tables are those of the existing publication, else those its
  // CREATE would take: the named tables, the schemas' tables, else every
  // ordinary or partitioned table outside the system schemas.
  std::vector<std::string> table_schemas, table_names;
  for (const plugins::QualifiedName &t : config.tables) {
    table_schemas.push_back(t.schema);
    table_names.push_back(t.table);
  }
  pqxx::nontransaction tx(conn);
  const pqxx::result rows = tx.exec_params(
      "SELECT n.nspname, c.relname, c.relreplident::text,"
      "       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary), c.reltuples::float8"
      "  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
      " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
      "   AND CASE WHEN $1 THEN EXISTS (SELECT 1 FROM pg_publication_tables p"
      "                                  WHERE p.pubname = $2 AND p.schemaname = n.nspname AND p.tablename = c.relname)"
      "            WHEN cardinality($3::text[]) > 0 OR cardinality($5::text[]) > 0"
      "              THEN (n.nspname, c.relname) IN (SELECT * FROM unnest($3::text[], $4::text[]))"
      "                   OR n.nspname = ANY ($5::text[])"
      "            ELSE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
      "       END"
      " ORDER BY 1, 2",
      exists, config.publication, array_literal(table_schemas), array_literal(table_names),
      array_literal(config.schemas));
  std::vector<TableFacts> facts;
  for (const auto &r : rows)
    facts.push_back(TableFacts{{r[0].c_str(), r[1].c_str()}, r[2].c_str()[0], r[3].as<bool>(), r[4].as<double>()});
  return facts;
}

bool slot_exists(pqxx::connection &conn, const std::string &slot) { return slot_state(conn, slot).has_value(); }

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
  // part of the replica identity (every column under FULL). Their types as
  // its type messages name them (logicalrep_write_typ).
  pqxx::result rows = tx.exec_params(
      "SELECT c.oid::bigint, n.nspname, c.relname, c.relreplident::text, a.attname, a.atttypid::bigint,"
      "       a.atttypmod, (c.relreplident = 'f' OR a.attnum = ANY(coalesce(i.indkey::int2[], '{}')))::int,"
      "       tn.nspname, t.typname, c.relkind = 'p'"
      "  FROM pg_publication_tables p"
      "  JOIN pg_namespace n ON n.nspname = p.schemaname"
      "  JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename"
      "  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''"
      // The type named as pgoutput names it: a domain by its base type
      // (through domains over domains), under the domain's OID.
      "  JOIN LATERAL (WITH RECURSIVE chain(oid, base) AS ("
      "                  SELECT d.oid, d.typbasetype FROM pg_type d WHERE d.oid = a.atttypid"
      "                  UNION ALL SELECT d.oid, d.typbasetype FROM pg_type d JOIN chain ON d.oid = chain.base)"
      "                SELECT oid FROM chain WHERE base = 0) base_type ON true"
      "  JOIN pg_type t ON t.oid = base_type.oid JOIN pg_namespace tn ON tn.oid = t.typnamespace"
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
