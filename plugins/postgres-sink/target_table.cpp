#include "target_table.hpp"

#include <change_events/type_oids.hpp>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace cn::pgsink {

namespace {

using events::oid::kFirstNormalObjectId;

QualifiedName name_of(const Relation &r) { return QualifiedName{r.namespace_, r.name}; }

bool table_exists(pqxx::transaction_base &tx, const QualifiedName &name) {
  return tx.exec_params1("SELECT to_regclass($1) IS NOT NULL", quoted(name))[0].as<bool>();
}

bool has_primary_key(const Relation &r) {
  return r.replica_identity != ReplicaIdentity::full &&
         std::any_of(r.columns.begin(), r.columns.end(), [](const Column &c) { return c.is_key(); });
}

std::vector<std::string> key_names(const Relation &r) {
  std::vector<std::string> names;
  if (has_primary_key(r))
    for (const Column &c : r.columns)
      if (c.is_key()) names.push_back(c.name);
  return names;
}

// The SQL type to give each column: built-in types as format_type() spells
// them with their modifiers (varchar(20), numeric(5,2), integer[]); a user
// type (enum, domain) by its name if the target has a type of that name,
// else text, with a warning.
std::vector<std::string> sql_types(pqxx::transaction_base &tx, const Relation &relation, const TypeMap &types,
                                   const cn::Host &host) {
  std::string oids = "{", modifiers = "{";
  for (const Column &c : relation.columns) {
    bool builtin = c.type_id < kFirstNormalObjectId;
    oids += (oids.size() > 1 ? "," : "") + std::to_string(builtin ? c.type_id : 25u);
    modifiers += (modifiers.size() > 1 ? "," : "") + std::to_string(builtin ? c.type_modifier : -1);
  }
  pqxx::result formatted = tx.exec_params(
      "SELECT format_type(t, m) FROM unnest($1::oid[], $2::int[]) WITH ORDINALITY AS u(t, m, n) ORDER BY n",
      oids + "}", modifiers + "}");

  std::vector<std::string> out;
  for (std::size_t i = 0; i < relation.columns.size(); ++i) {
    const Column &c = relation.columns[i];
    std::string type = formatted[static_cast<int>(i)][0].as<std::string>();
    if (c.type_id >= kFirstNormalObjectId) {
      type.clear();
      auto it = types.find(c.type_id);
      if (it != types.end()) {
        std::string candidate = quoted({it->second.namespace_, it->second.name});
        if (tx.exec_params1("SELECT to_regtype($1) IS NOT NULL", candidate)[0].as<bool>()) type = candidate;
      }
    }
    if (type.empty() || type == "???") {
      host.warn("column " + c.name + " of " + relation.namespace_ + "." + relation.name + ": type OID " +
                std::to_string(c.type_id) + " is the source's own (an enum or domain?) and the target has no type " +
                "of that name; the column is created as text");
      type = "text";
    }
    out.push_back(type);
  }
  return out;
}

void create_table(pqxx::transaction_base &tx, const Relation &relation, const TypeMap &types, const cn::Host &host) {
  std::vector<std::string> types_sql = sql_types(tx, relation, types, host);
  std::string sql = "CREATE TABLE " + quoted(name_of(relation)) + " (";
  for (std::size_t i = 0; i < relation.columns.size(); ++i)
    sql += (i ? ", " : "") + quote_ident(relation.columns[i].name) + " " + types_sql[i];
  std::vector<std::string> keys = key_names(relation);
  if (!keys.empty()) {
    sql += ", PRIMARY KEY (";
    for (std::size_t i = 0; i < keys.size(); ++i) sql += (i ? ", " : "") + quote_ident(keys[i]);
    sql += ")";
  }
  tx.exec("CREATE SCHEMA IF NOT EXISTS " + quote_ident(relation.namespace_));
  tx.exec(sql + ")");
  host.info("created table " + display(name_of(relation)));
}

const Column *find_column(const Relation &r, const std::string &name) {
  for (const Column &c : r.columns)
    if (c.name == name) return &c;
  return nullptr;
}

// Columns renamed in place: the same count, and every position whose name
// changed holds a name the other side lacks.
bool renamed_in_place(const Relation &before, const Relation &after) {
  if (before.columns.size() != after.columns.size() || before.columns.empty()) return false;
  bool any = false;
  for (std::size_t i = 0; i < before.columns.size(); ++i) {
    const std::string &old_name = before.columns[i].name, &new_name = after.columns[i].name;
    if (old_name == new_name) continue;
    if (find_column(after, old_name) || find_column(before, new_name)) return false;
    any = true;
  }
  return any;
}

void evolve_table(pqxx::transaction_base &tx, const Relation &before, const Relation &after, const TypeMap &types,
                  const cn::Host &host) {
  QualifiedName old_name = name_of(before), new_name = name_of(after);
  std::string table = quoted(old_name);
  if (!(old_name == new_name)) {
    if (old_name.schema != new_name.schema) {
      tx.exec("CREATE SCHEMA IF NOT EXISTS " + quote_ident(new_name.schema));
      tx.exec("ALTER TABLE " + table + " SET SCHEMA " + quote_ident(new_name.schema));
      table = quoted({new_name.schema, old_name.table});
    }
    if (old_name.table != new_name.table) tx.exec("ALTER TABLE " + table + " RENAME TO " + quote_ident(new_name.table));
    table = quoted(new_name);
    host.info("renamed table " + display(old_name) + " to " + display(new_name));
  }

  Relation current = before;  // the columns as the table has them now
  if (renamed_in_place(before, after)) {
    for (std::size_t i = 0; i < before.columns.size(); ++i)
      if (before.columns[i].name != after.columns[i].name) {
        tx.exec("ALTER TABLE " + table + " RENAME COLUMN " + quote_ident(before.columns[i].name) + " TO " +
                quote_ident(after.columns[i].name));
        current.columns[i].name = after.columns[i].name;
      }
  }
  for (const Column &c : current.columns)
    if (!find_column(after, c.name)) tx.exec("ALTER TABLE " + table + " DROP COLUMN " + quote_ident(c.name));

  std::vector<std::string> types_sql = sql_types(tx, after, types, host);
  for (std::size_t i = 0; i < after.columns.size(); ++i) {
    const Column &c = after.columns[i];
    const Column *old = find_column(current, c.name);
    if (!old) {
      tx.exec("ALTER TABLE " + table + " ADD COLUMN " + quote_ident(c.name) + " " + types_sql[i]);
    } else if (old->type_id != c.type_id || old->type_modifier != c.type_modifier) {
      tx.exec("ALTER TABLE " + table + " ALTER COLUMN " + quote_ident(c.name) + " TYPE " + types_sql[i] + " USING " +
              quote_ident(c.name) + "::text::" + types_sql[i]);
    }
  }

  std::vector<std::string> old_keys = key_names(before), new_keys = key_names(after);
  // The primary key follows the source's key; a source that dropped its
  // key leaves the target with none, as a table created from that relation
  // would have. A relation under Full identity says nothing of the source's
  // key (every column is flagged), so the target keeps the one it has.
  if (after.replica_identity != ReplicaIdentity::full && old_keys != new_keys) {
    pqxx::result pk = tx.exec_params("SELECT conname FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype = 'p'",
                                     table);
    if (!pk.empty()) tx.exec("ALTER TABLE " + table + " DROP CONSTRAINT " + quote_ident(pk[0][0].as<std::string>()));
    std::string cols;
    for (const std::string &k : new_keys) cols += (cols.empty() ? "" : ", ") + quote_ident(k);
    if (!cols.empty()) tx.exec("ALTER TABLE " + table + " ADD PRIMARY KEY (" + cols + ")");
  }
  host.info("table " + display(new_name) + " follows the source's new definition");
}

TargetTable describe_table(pqxx::transaction_base &tx, const Relation &relation) {
  TargetTable t;
  t.relation = relation;
  t.name = name_of(relation);
  t.quoted_name = quoted(t.name);
  // Each column's type without its modifier (varchar, not varchar(3)): the
  // statements cast values to it, and the assignment to the column then
  // applies the modifier, refusing a value that does not fit as COPY does,
  // where an explicit cast to varchar(3) would cut it silently. A modifier
  // of -1, not NULL: format_type then says bpchar and "bit", which a cast
  // does not read as char(1) and bit(1).
  pqxx::result columns = tx.exec_params(
      "SELECT a.attname, format_type(a.atttypid, -1), a.attrelid::oid::bigint FROM pg_attribute a"
      " WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
      t.quoted_name);
  if (columns.empty())
    throw std::runtime_error("table " + display(t.name) + " does not exist in the target" +
                             " (create it, or set parameters.create_tables: true)");
  std::map<std::string, std::string> type_of;
  for (const auto &row : columns) type_of[row[0].as<std::string>()] = row[1].as<std::string>();
  t.oid = columns[0][2].as<uint32_t>();
  for (std::size_t i = 0; i < relation.columns.size(); ++i) {
    const Column &c = relation.columns[i];
    auto it = type_of.find(c.name);
    if (it == type_of.end())
      throw std::runtime_error("table " + display(t.name) + " has no column \"" + c.name + "\", which the source sends");
    t.quoted_columns.push_back(quote_ident(c.name));
    t.column_types.push_back(it->second);
    if (c.is_key()) t.key_columns.push_back(i);
  }
  return t;
}

}  // namespace

SetAside set_aside(pqxx::transaction_base &tx, const Relation &replaced) {
  constexpr std::size_t kMaxIdentifierBytes = 63;  // NAMEDATALEN - 1
  const std::string suffix = "_replaced_" + std::to_string(replaced.rel_id);
  std::string kept = replaced.name.substr(0, kMaxIdentifierBytes - suffix.size());
  while (kept.size() < replaced.name.size() && !kept.empty() && (kept.back() & 0xC0) == 0x80)
    kept.pop_back();  // not in the middle of a UTF-8 character
  if (kept.size() < replaced.name.size() && !kept.empty() && (kept.back() & 0xC0) == 0xC0) kept.pop_back();
  Relation aside = replaced;
  aside.name = kept + suffix;
  if (table_exists(tx, name_of(aside)))
    throw std::runtime_error("cannot keep the replaced table aside: " + display(name_of(aside)) + " exists already");
  const bool exists = table_exists(tx, name_of(replaced));
  if (exists) tx.exec("ALTER TABLE " + quoted(name_of(replaced)) + " RENAME TO " + quote_ident(aside.name));
  return {aside, exists};
}

bool follow_relation(pqxx::transaction_base &tx, const Relation &relation, const Relation *previous,
                     const TypeMap &types, bool manage_schema, const cn::Host &host) {
  if (manage_schema && previous && !(*previous == relation) && table_exists(tx, name_of(*previous)))
    evolve_table(tx, *previous, relation, types, host);
  return table_exists(tx, name_of(relation));
}

TargetTable open_table(pqxx::transaction_base &tx, const Relation &relation, const TypeMap &types,
                       bool manage_schema, const cn::Host &host) {
  if (manage_schema && !table_exists(tx, name_of(relation))) create_table(tx, relation, types, host);
  return describe_table(tx, relation);
}

}  // namespace cn::pgsink
