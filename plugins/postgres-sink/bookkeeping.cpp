#include "bookkeeping.hpp"
#include "direct_statements.hpp"

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
          " error text NOT NULL, failed_at timestamptz NOT NULL DEFAULT now(), record_bytes bytea)");
  // A dead-letter table made before record_bytes existed keeps working.
  tx.exec("ALTER TABLE " + quoted(config_.dead_letter_table) + " ADD COLUMN IF NOT EXISTS record_bytes bytea");
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
  // record_bytes: the record exactly; record: the record as text when it
  // can be, else readable_text() of it. Both go from where they are, in the
  // binary format (a text's or a bytea's bytes): a record may be huge.
  const bool text = is_text(record);
  const std::string readable = text ? std::string() : readable_text(record);
  const std::string note =
      text ? std::string()
           : "; the record is not valid UTF-8 (or holds a NUL byte): 'record' shows such bytes as \\xNN, "
             "'record_bytes' holds the record exactly";
  const std::string connector = config_.connector, topic_offset = std::to_string(offset),
                    why = readable_text(error) + note;
  exec_first_column(tx,
                    "INSERT INTO " + quoted(config_.dead_letter_table) +
                        " (connector, topic_offset, record, error, record_bytes) VALUES ($1, $2::bigint, $3::text, $4,"
                        " $5::bytea)",
                    {{connector}, {topic_offset}, {text ? record : std::string_view(readable), true}, {why},
                     {record, true}});
}

namespace {

// The length of the UTF-8 sequence at s[i] (well-formed, as RFC 3629 has
// it: no overlong forms, no surrogates, nothing above U+10FFFF), 0 if there
// is none there. NUL is not text to PostgreSQL either: 0.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = at(i);
  if (c == 0) return 0;
  if (c < 0x80) return 1;
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xbf;  // the second byte's range
  if (c >= 0xc2 && c <= 0xdf) n = 2;
  else if (c == 0xe0) n = 3, lo = 0xa0;
  else if (c >= 0xe1 && c <= 0xec) n = 3;
  else if (c == 0xed) n = 3, hi = 0x9f;
  else if (c >= 0xee && c <= 0xef) n = 3;
  else if (c == 0xf0) n = 4, lo = 0x90;
  else if (c >= 0xf1 && c <= 0xf3) n = 4;
  else if (c == 0xf4) n = 4, hi = 0x8f;
  else return 0;
  if (i + n > s.size()) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (at(i + k) < 0x80 || at(i + k) > 0xbf) return 0;
  return n;
}

}  // namespace

bool is_text(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string readable_text(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_length(s, i);
    if (n > 0) {
      out.append(s.data() + i, n);
      i += n;
    } else {
      const auto c = static_cast<unsigned char>(s[i++]);
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace cn::pgsink
