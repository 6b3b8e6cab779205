// The change events of the topic (../shared/events/FORMAT.md), parsed.
//
// parse_event() reads one record: one JSON object from PostgreSQL's pgoutput
// plugin, as Fluvio's Postgres source writes it. Values come out in
// PostgreSQL's text form, ready to be sent as parameters: every value kind
// of the format maps to the text that the column type's input function
// accepts.
#ifndef CN_PGSINK_EVENT_HPP
#define CN_PGSINK_EVENT_HPP

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pgsink {

// A record that is not a valid change event. what() says which field and
// why (the caller adds the offset).
class EventError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One column value of a tuple.
struct Value {
  enum class Kind : uint8_t {
    null,             // "Null": SQL NULL
    unchanged_toast,  // "UnchangedToast": keep the target's value
    text,             // any other kind, as PostgreSQL text
  };
  Kind kind = Kind::null;
  std::string text;  // PostgreSQL's text form when kind == text

  static Value null() { return {}; }
  static Value unchanged() { return {Kind::unchanged_toast, {}}; }
  static Value of(std::string t) { return {Kind::text, std::move(t)}; }
  bool operator==(const Value &o) const { return kind == o.kind && text == o.text; }
};

using Tuple = std::vector<Value>;

struct Column {
  std::string name;
  uint32_t type_id = 0;     // type OID in the source
  int32_t type_modifier = -1;
  bool is_key = false;      // flags bit 1: part of the replica identity
  bool operator==(const Column &o) const {
    return name == o.name && type_id == o.type_id && type_modifier == o.type_modifier && is_key == o.is_key;
  }
};

enum class ReplicaIdentity { default_, nothing, full, index };

struct Begin {
  uint64_t final_lsn = 0;
  int64_t timestamp = 0;
  uint32_t xid = 0;
};
struct Commit {
  uint64_t commit_lsn = 0, end_lsn = 0;
  int64_t timestamp = 0;
};
struct Origin {
  uint64_t commit_lsn = 0;
  std::string name;
};
struct Relation {
  uint32_t rel_id = 0;
  std::string namespace_, name;
  ReplicaIdentity replica_identity = ReplicaIdentity::default_;
  std::vector<Column> columns;
  bool operator==(const Relation &o) const {
    return rel_id == o.rel_id && namespace_ == o.namespace_ && name == o.name &&
           replica_identity == o.replica_identity && columns == o.columns;
  }
};
struct Type {
  uint32_t id = 0;
  std::string namespace_, name;
};
struct Insert {
  uint32_t rel_id = 0;
  Tuple tuple;
};
struct Update {
  uint32_t rel_id = 0;
  std::optional<Tuple> old_tuple;  // Full identity
  std::optional<Tuple> key_tuple;  // Default/Index identity, when the key changed
  Tuple new_tuple;
};
struct Delete {
  uint32_t rel_id = 0;
  std::optional<Tuple> old_tuple;
  std::optional<Tuple> key_tuple;
};
struct Truncate {
  bool cascade = false;           // options bit 1
  bool restart_identity = false;  // options bit 2
  std::vector<uint32_t> rel_ids;
};

using Message = std::variant<Begin, Commit, Origin, Relation, Type, Insert, Update, Delete, Truncate>;

// Parses one record. Throws EventError for anything that is not a valid
// event of the format: not JSON, no message, an unknown type, a missing or
// mistyped field, an unknown value kind.
Message parse_event(std::string_view json);

// The Relation's JSON form of the format (the "message" object), used to
// keep relations in the target; parse_event() of {"message": ...} reads it
// back.
std::string to_json(const Relation &relation);

const char *to_string(ReplicaIdentity identity);

}  // namespace pgsink

#endif
