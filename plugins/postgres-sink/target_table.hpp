// Target tables: how to write into the table a relation maps to, and
// making that table fit the relation (create it, or follow a changed one).
#ifndef CN_PGSINK_TARGET_TABLE_HPP
#define CN_PGSINK_TARGET_TABLE_HPP

#include "sql.hpp"

#include <cn/plugin.hpp>
#include <pqxx/pqxx>

#include <map>
#include <string>
#include <vector>

namespace cn::pgsink {

using events::Column;
using events::Relation;
using events::ReplicaIdentity;
using events::Tuple;
using events::Type;

// How to write one relation's changes into its target table.
struct TargetTable {
  Relation relation;
  QualifiedName name;
  uint32_t oid = 0;                         // the target table's OID
  std::string quoted_name;                 // "schema"."table"
  std::vector<std::string> quoted_columns;  // per relation column
  std::vector<std::string> column_types;    // the target column's type without its modifier, per relation column
  std::vector<std::size_t> key_columns;     // relation columns of the replica identity
};

using TypeMap = std::map<uint32_t, Type>;

// Makes the target's table follow a relation event. With manage_schema,
// when previous (the last relation for the same rel_id) differs and its
// table exists, the table follows: renamed or moved, columns added,
// dropped, renamed or of a new type, a new key. Without it, nothing changes.
// Returns whether the target has a table under the relation's name now.
// A table it lacks is not made here but by open_table(), when a change
// first needs it: pgoutput describes tables that no change will touch (a
// partition published through its root precedes the root's relation, and
// its changes come under the root's rel_id). Warnings go to host.
bool follow_relation(pqxx::transaction_base &tx, const Relation &relation, const Relation *previous,
                     const TypeMap &types, bool manage_schema, const cn::Host &host);

// The table a change of the relation is written into, described. With
// manage_schema a missing one is created first (schema, columns with the
// source's types and modifiers, primary key from the key columns; a type
// the target lacks becomes text, with a warning to host). Throws
// std::runtime_error naming the table (and the column) if the table or
// one of the relation's columns is missing.
TargetTable open_table(pqxx::transaction_base &tx, const Relation &relation, const TypeMap &types,
                       bool manage_schema, const cn::Host &host);

// The source's table `replaced` was dropped and another created under its
// name (DROP TABLE is not replicated: the sink sees only a relation event
// with a new rel_id for the name). Renames the target's table of that name,
// if there is one, aside with its rows: "<name>_replaced_<old rel_id>" (cut
// to 63 bytes), and returns the old rel_id's relation under that name, to
// keep: should the old table come back renamed (it was renamed, not
// dropped), its target table follows it from there. kept tells whether
// there was a table to rename. Throws if the name aside is taken.
struct SetAside {
  Relation relation;
  bool kept = false;
};
SetAside set_aside(pqxx::transaction_base &tx, const Relation &replaced);

}  // namespace cn::pgsink

#endif
