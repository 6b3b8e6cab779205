// The sink's bookkeeping: what it keeps in the target database beside the
// data, always in the same transaction as the data it describes:
//   - the offset table: one row per connector, the last topic offset applied;
//   - the relations table: the latest relation and type messages per
//     connector, so a restart at any offset can read the changes that follow
//     without re-reading the topic from its start;
//   - the dead-letter table: records that could not be applied, when
//     on_error is dead_letter: record (text), record_bytes (bytea: the
//     record's exact bytes, whatever they are), error, topic_offset.
//
// Bookkeeping owns the SQL of those tables and nothing else. It holds no
// connection and no transaction: each call works in the transaction (or,
// prepare(), on the connection) it is given, so the caller decides what
// commits together. Errors are libpqxx's, unless said otherwise.
#ifndef CN_PGSINK_BOOKKEEPING_HPP
#define CN_PGSINK_BOOKKEEPING_HPP

#include "sink_config.hpp"
#include "target_table.hpp"

#include <pqxx/pqxx>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace cn::pgsink {

// What a connector has stored, as read at a (re)start.
struct StoredBookkeeping {
  int64_t offset = -1;                     // -1: nothing applied yet
  std::map<uint32_t, Relation> relations;  // by rel_id
  std::map<uint32_t, Type> types;          // by type OID
};

// Whether s is valid UTF-8 without a NUL byte: text a text column takes.
bool is_text(std::string_view s);
// s with each byte that is not part of valid UTF-8 (and each NUL) written
// as \xNN: text a text column takes, and a person can read.
std::string readable_text(std::string_view s);

class Bookkeeping {
 public:
  explicit Bookkeeping(const SinkConfig &config) : config_(config) {}

  // Makes sure the bookkeeping tables exist and takes the connector's
  // advisory lock for the life of the connection, so that two instances of
  // one connector never apply at once. Throws std::runtime_error if another
  // holds it.
  void prepare(pqxx::connection &connection) const;

  StoredBookkeeping load(pqxx::transaction_base &tx) const;
  // load() for --check, which makes nothing: nullopt while the offset or
  // the relations table does not exist yet (nothing was ever applied).
  std::optional<StoredBookkeeping> load_if_present(pqxx::transaction_base &tx) const;

  // For --drop: takes the connector's advisory lock for the transaction
  // (false: an instance is applying; nothing may be deleted under it).
  bool try_lock(pqxx::transaction_base &tx) const;
  // Deletes the connector's offset row and relation rows; counts its
  // dead-letter rows, which are kept (they are records nobody applied).
  struct Forgotten {
    int64_t offsets = 0, relations = 0, dead_letters = 0;
  };
  Forgotten forget(pqxx::transaction_base &tx) const;

  void save_offset(pqxx::transaction_base &tx, int64_t offset) const;
  void save_relation(pqxx::transaction_base &tx, const Relation &relation) const;
  void save_type(pqxx::transaction_base &tx, const Type &type) const;
  void save_dead_letter(pqxx::transaction_base &tx, int64_t offset, std::string_view record,
                        const std::string &error) const;

 private:
  // A relation or type message, as parse_message() reads it back.
  void save_definition(pqxx::transaction_base &tx, const char *kind, uint32_t id, const std::string &json) const;

  // The advisory lock's key: one per connector, the same in every database.
  std::string lock_key() const { return "connector-host sink: " + config_.connector; }
  // Whether table exists in the target.
  static bool exists(pqxx::transaction_base &tx, const QualifiedName &table);

  const SinkConfig &config_;
};

}  // namespace cn::pgsink

#endif
