#include "bookkeeping.hpp"

#include <set>
#include <stdexcept>

namespace cn::pgsink {

void Bookkeeping::prepare(pqxx::connection &connection) const {
  {
    // Wait a little: the backend of an instance that was just killed holds
    // the lock until the server notices its client is gone.
    pqxx::nontransaction lock(connection);
    lock.exec("SET lock_timeout = '5s'");
    try {
      lock.exec_params("SELECT pg_advisory_lock(hashtext($1))", lock_key());
    } catch (const pqxx::sql_error &e) {
      if (e.sqlstate() != "55P03") throw;  // not lock_not_available
      throw std::runtime_error("another instance of connector '" + config_.connector +
                               "' is applying to this database (its advisory lock is taken); stop it first");
    }
    lock.exec("RESET lock_timeout");
  }
  pqxx::work tx(connection);
  // Serialise concurrent first starts of several connectors: CREATE ... IF
  // NOT EXISTS races with itself.
  tx.exec("SELECT pg_advisory_xact_lock(hashtext('connector-host sink: bookkeeping'))");
  std::set<std::string> schemas = {config_.offset_table.schema, config_.relations_table.schema,
                                   config_.dead_letter_table.schema};
  for (const std::string &schema : schemas) tx.exec("CREATE SCHEMA IF NOT EXISTS " + quote_ident(schema));
  tx.exec("CREATE TABLE IF NOT EXISTS " + quoted(config_.offset_table) +
          " (connector text PRIMARY KEY, current_offset bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())");
  tx.exec("CREATE TABLE IF NOT EXISTS " + quoted(config_.relations_table) +
          " (connector text NOT NULL, kind text NOT NULL, id bigint NOT NULL, definition jsonb NOT NULL,"
          " PRIMARY KEY (connector, kind, id))");
  tx.exec("CREATE TABLE IF NOT EXISTS " + quoted(config_.dead_letter_table) +
          " (id bigserial PRIMARY KEY, connector text NOT NULL, topic_offset bigint NOT NULL, record text NOT NULL,"
          " error text NOT NULL, failed_at timestamptz NOT NULL DEFAULT now())");
  // A table of that name made by something else (the Fluvio sink's own
  // fluvio.offset has no connector column) must be named, not misused.
  pqxx::result has = tx.exec_params(
      "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'connector' AND NOT attisdropped",
      quoted(config_.offset_table));
  if (has.empty())
    throw std::runtime_error(display(config_.offset_table) +
                             " exists but has no 'connector' column (made by another tool?); set parameters.offset_table "
                             "to another table");
  tx.commit();
}

StoredBookkeeping Bookkeeping::load(pqxx::transaction_base &tx) const {
  StoredBookkeeping stored;
  pqxx::result offset = tx.exec_params("SELECT current_offset FROM " + quoted(config_.offset_table) +
                                       " WHERE connector = $1", config_.connector);
  if (!offset.empty()) stored.offset = offset[0][0].as<int64_t>();
  pqxx::result rows = tx.exec_params("SELECT kind, definition::text FROM " + quoted(config_.relations_table) +
                                     " WHERE connector = $1 ORDER BY kind, id", config_.connector);
  for (const auto &row : rows) {
    events::Message m = events::parse_message(row[1].as<std::string>());
    if (auto *r = std::get_if<Relation>(&m)) stored.relations[r->rel_id] = std::move(*r);
    else if (auto *t = std::get_if<Type>(&m)) stored.types[t->id] = std::move(*t);
  }
  return stored;
}

bool Bookkeeping::exists(pqxx::transaction_base &tx, const QualifiedName &table) {
  return !tx.exec_params("SELECT to_regclass($1)", quoted(table))[0][0].is_null();
}

std::optional<StoredBookkeeping> Bookkeeping::load_if_present(pqxx::transaction_base &tx) const {
  if (!exists(tx, config_.offset_table) || !exists(tx, config_.relations_table)) return std::nullopt;
  return load(tx);
}

bool Bookkeeping::try_lock(pqxx::transaction_base &tx) const {
  return tx.exec_params("SELECT pg_try_advisory_xact_lock(hashtext($1))", lock_key())[0][0].as<bool>();
}

Bookkeeping::Forgotten Bookkeeping::forget(pqxx::transaction_base &tx) const {
  Forgotten f;
  auto deleted = [&](const QualifiedName &table) -> int64_t {
    if (!exists(tx, table)) return 0;
    return tx.exec_params("DELETE FROM " + quoted(table) + " WHERE connector = $1", config_.connector).affected_rows();
  };
  f.offsets = deleted(config_.offset_table);
  f.relations = deleted(config_.relations_table);
  if (exists(tx, config_.dead_letter_table))
    f.dead_letters = tx.exec_params("SELECT count(*) FROM " + quoted(config_.dead_letter_table) +
                                    " WHERE connector = $1", config_.connector)[0][0].as<int64_t>();
  return f;
}

void Bookkeeping::save_offset(pqxx::transaction_base &tx, int64_t offset) const {
  tx.exec_params("INSERT INTO " + quoted(config_.offset_table) + " AS o (connector, current_offset) VALUES ($1, $2)"
                 " ON CONFLICT (connector) DO UPDATE SET current_offset = excluded.current_offset, updated_at = now()",
                 config_.connector, offset);
}

void Bookkeeping::save_relation(pqxx::transaction_base &tx, const Relation &relation) const {
  save_definition(tx, "relation", relation.rel_id, events::message_json(relation));
}

void Bookkeeping::save_type(pqxx::transaction_base &tx, const Type &type) const {
  save_definition(tx, "type", type.id, events::message_json(type));
}

void Bookkeeping::save_definition(pqxx::transaction_base &tx, const char *kind, uint32_t id,
                                  const std::string &json) const {
  tx.exec_params("INSERT INTO " + quoted(config_.relations_table) + " (connector, kind, id, definition)"
                 " VALUES ($1, $2, $3, $4::jsonb)"
                 " ON CONFLICT (connector, kind, id) DO UPDATE SET definition = excluded.definition",
                 config_.connector, kind, static_cast<int64_t>(id), json);
}

void Bookkeeping::save_dead_letter(pqxx::transaction_base &tx, int64_t offset, std::string_view record,
                                   const std::string &error) const {
  tx.exec_params("INSERT INTO " + quoted(config_.dead_letter_table) +
                     " (connector, topic_offset, record, error) VALUES ($1, $2, $3, $4)",
                 config_.connector, offset, std::string(record), error);
}

}  // namespace cn::pgsink
