// What the source needs on the source database, checked (and made, unless
// skip_setup) over an ordinary connection: wal_level, the publication, the
// slot; and the published tables' definitions for the initial load.
#ifndef CN_PGSOURCE_SOURCE_SETUP_HPP
#define CN_PGSOURCE_SOURCE_SETUP_HPP

#include <change_events/change_events.hpp>
#include "source_config.hpp"

#include <pqxx/pqxx>

#include <string>
#include <vector>

namespace cn::pgsource {

// Throws SourceError saying what to run when wal_level is not logical.
void check_wal_level(pqxx::connection &conn);

// The publication must exist; unless skip_setup, it is created (FOR the
// configured tables, FOR TABLES IN SCHEMA the schemas, else FOR ALL
// TABLES). An existing publication is used as it is. Throws SourceError
// saying what to run when it is missing, and, when the role may not create
// it, what to grant (or to create it beforehand as the tables' owner).
void ensure_publication(pqxx::connection &conn, const SourceConfig &config);

bool slot_exists(pqxx::connection &conn, const std::string &slot);
void drop_slot(pqxx::connection &conn, const std::string &slot);

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
