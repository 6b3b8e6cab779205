// What the source needs on the source database, checked (and made, unless
// skip_setup) over an ordinary connection: wal_level, the publication, the
// slot; and the published tables' definitions for the initial load.
#ifndef CN_PGSOURCE_SOURCE_SETUP_HPP
#define CN_PGSOURCE_SOURCE_SETUP_HPP

#include <change_events/change_events.hpp>
#include "source_config.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cn::pgsource {

// The server's wal_level, and what to run when it is not logical (the one
// wording for the start's refusal and --check's FAIL).
std::string wal_level(pqxx::connection &conn);
std::string wal_level_fix(const std::string &level);
// Throws SourceError saying what to run when wal_level is not logical.
void check_wal_level(pqxx::connection &conn);

// What the role may do on the source, as the start and --check need it.
struct RoleRights {
  std::string name;
  bool superuser = false;
  bool replication = false;  // REPLICATION attribute (a superuser has it anyway)
  bool create_on_database = false;
};
RoleRights role_rights(pqxx::connection &conn);
// The fix for a role that may not replicate (the one wording); role "" when
// it is not known (a failed connection), written as <user>.
std::string replication_fix(const std::string &role);

// "FOR TABLE ..." / "FOR TABLES IN SCHEMA ..." / "FOR ALL TABLES": what a
// publication made by this connector is for, and the statement making it.
std::string publication_scope(const SourceConfig &config);
std::string create_publication_sql(const SourceConfig &config);

// Why the role may not create the publication, and what to do about it.
// The start learns the reason from PostgreSQL's refusal; --check from the
// catalogs (publication_denial), without trying.
enum class PublicationDenial { needs_superuser, needs_database_create, needs_ownership };
std::string publication_fix(pqxx::connection &conn, PublicationDenial denial, const std::string &create);
// Whether the role may create the connector's publication: nullopt if it
// may, else why not (PostgreSQL needs a superuser for FOR ALL TABLES and
// FOR TABLES IN SCHEMA; CREATE on the database and the ownership of every
// table, as a member of the owner's role, for FOR TABLE).
std::optional<PublicationDenial> publication_denial(pqxx::connection &conn, const SourceConfig &config);

// The publication must exist; unless skip_setup, it is created (FOR the
// configured tables, FOR TABLES IN SCHEMA the schemas, else FOR ALL
// TABLES). An existing publication is used as it is. Throws SourceError
// saying what to run when it is missing, and, when the role may not create
// it, what to grant (or to create it beforehand as the tables' owner).
void ensure_publication(pqxx::connection &conn, const SourceConfig &config);

// A replication slot as pg_replication_slots shows it.
struct SlotState {
  bool active = false;
  int64_t active_pid = 0;             // when active
  std::optional<int64_t> retained;    // bytes of WAL it holds back; none before its first position
  std::string database;               // the database it is for
};
std::optional<SlotState> slot_state(pqxx::connection &conn, const std::string &slot);
bool slot_exists(pqxx::connection &conn, const std::string &slot);
void drop_slot(pqxx::connection &conn, const std::string &slot);
// bytes as "12.3 MB", the unit every message about retained WAL uses.
std::string megabytes(int64_t bytes);

// A table the connector would stream, as --check lists it: those the
// existing publication publishes, else those the configured one would.
struct TableFacts {
  plugins::QualifiedName name;
  char replica_identity = 'd';  // pg_class.relreplident: d(efault), n(othing), f(ull), i(ndex)
  bool has_primary_key = false;
  double estimated_rows = -1;   // pg_class.reltuples; -1: never analyzed
};
std::vector<TableFacts> selected_tables(pqxx::connection &conn, const SourceConfig &config, bool publication_exists);
bool publication_exists(pqxx::connection &conn, const std::string &publication);
// What is wrong, and the fix, when the publication is missing and
// skip_setup forbids making it.
std::string missing_publication_message(const SourceConfig &config);

// A published table as pgoutput describes it (the relation event), with
// the user types its columns use (type events, sent before it).
struct PublishedTable {
  events::Relation relation;
  std::vector<events::Type> types;
  std::string quoted_name;  // "schema"."table"
  bool partitioned = false;  // a partitioned table (published via its root): its rows are in its partitions
};
std::vector<PublishedTable> published_tables(pqxx::transaction_base &tx, const std::string &publication);

}  // namespace cn::pgsource

#endif
