// The change events of a topic: one JSON object per record, one message of
// PostgreSQL's pgoutput plugin (protocol 1) each, as Fluvio's Postgres
// source writes them. docs/change-events.md is the format's reference.
//
// This header owns the format, both ways, the way PostgreSQL's
// logicalproto.h owns its wire format: one model of the messages, the
// reader (parse_event) and the writer (append_*) side by side. Every plugin,
// the source's topic tail and the tests read and write events through it.
//
// Values: in the model, a column value is SQL NULL, an unchanged TOASTed
// value that was not sent, or PostgreSQL's text form of the value. The
// writer turns the text form into the JSON value kind of the column's type
// (Int4, String, RawText...); the reader turns every kind back into the
// text that the type's input function accepts.
//
// Thread safety: every function may be called from several threads at once.
#ifndef CN_CHANGE_EVENTS_HPP
#define CN_CHANGE_EVENTS_HPP

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cn::events {

// A record that is not a valid change event (reading), or a value or name
// that no event can carry (writing). what() names the field or the table
// and column, and why; the caller adds the offset.
class EventError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// ---- the model -------------------------------------------------------------

// The header of every event: the XLogData message's positions and its send
// time, microseconds since 2000-01-01 UTC (PostgreSQL's epoch).
struct Envelope {
  uint64_t wal_start = 0, wal_end = 0;
  int64_t timestamp = 0;
};

enum class ValueKind : uint8_t {
  null,             // "Null": SQL NULL
  unchanged_toast,  // "UnchangedToast": keep the target's value
  text,             // any other kind, as PostgreSQL's text form
};

// A value read from an event; it owns its text.
struct Value {
  using Kind = ValueKind;
  Kind kind = Kind::null;
  std::string text;  // when kind == text

  static Value null() { return {}; }
  static Value unchanged() { return {Kind::unchanged_toast, {}}; }
  static Value of(std::string t) { return {Kind::text, std::move(t)}; }
  bool operator==(const Value &o) const { return kind == o.kind && text == o.text; }
  bool operator!=(const Value &o) const { return !(*this == o); }
};
using Tuple = std::vector<Value>;

// A value to write; it borrows its text from the caller.
struct ValueView {
  ValueKind kind = ValueKind::null;
  std::string_view text;
};
using TupleView = std::vector<ValueView>;

enum class ReplicaIdentity { default_, nothing, full, index };
// "Default", "Nothing", "Full", "Index": the format's names.
const char *to_string(ReplicaIdentity identity);
// pgoutput's (and pg_class.relreplident's) letter: d, n, f or i. Throws
// EventError for any other.
ReplicaIdentity replica_identity_from_letter(char letter);

struct Column {
  int8_t flags = 0;  // bit 1: part of the replica identity (the key)
  std::string name;
  uint32_t type_id = 0;  // the type's OID in the source
  int32_t type_modifier = -1;  // atttypmod; -1 when none (varchar(20) is 24)

  bool is_key() const { return (flags & 1) != 0; }
  bool operator==(const Column &o) const {
    return flags == o.flags && name == o.name && type_id == o.type_id && type_modifier == o.type_modifier;
  }
};

// ---- the messages ----------------------------------------------------------

struct Begin {
  uint64_t final_lsn = 0;  // the commit record's LSN (the commit's commit_lsn)
  int64_t timestamp = 0;   // commit time
  uint32_t xid = 0;
};
struct Commit {
  int8_t flags = 0;
  uint64_t commit_lsn = 0, end_lsn = 0;  // end_lsn: where the transaction's WAL ends
  int64_t timestamp = 0;
};
struct Origin {
  uint64_t commit_lsn = 0;
  std::string name;
};
// The schema a relation's or type's namespace names. pgoutput sends
// pg_catalog as an empty namespace (to save bytes), and Fluvio's source
// writes it as sent: an empty namespace is "pg_catalog". The reader and the
// pgoutput decoder give every Relation and Type its schema this way.
std::string schema_of_namespace(std::string_view sent);

struct Relation {
  uint32_t rel_id = 0;
  std::string namespace_, name;
  ReplicaIdentity replica_identity = ReplicaIdentity::default_;
  std::vector<Column> columns;

  bool operator==(const Relation &o) const {
    return rel_id == o.rel_id && namespace_ == o.namespace_ && name == o.name &&
           replica_identity == o.replica_identity && columns == o.columns;
  }
  bool operator!=(const Relation &o) const { return !(*this == o); }
};
struct Type {
  uint32_t id = 0;  // the type's OID in the source
  std::string namespace_, name;
};
struct Insert {
  uint32_t rel_id = 0;
  Tuple tuple;
};
struct Update {
  uint32_t rel_id = 0;
  std::optional<Tuple> old_tuple;  // Full identity: the whole old row
  std::optional<Tuple> key_tuple;  // Default/Index identity, when the key changed
  Tuple new_tuple;
};
struct Delete {
  uint32_t rel_id = 0;
  std::optional<Tuple> old_tuple;
  std::optional<Tuple> key_tuple;
};
struct Truncate {
  int8_t options = 0;
  std::vector<uint32_t> rel_ids;

  bool cascade() const { return (options & 1) != 0; }
  bool restart_identity() const { return (options & 2) != 0; }
};

using Message = std::variant<Begin, Commit, Origin, Relation, Type, Insert, Update, Delete, Truncate>;

// ---- reading ---------------------------------------------------------------

// Parses one record (a whole event; the envelope's fields are not needed).
// Values come out in PostgreSQL's text form. Throws EventError for anything
// that is not a valid event: not JSON, no message, an unknown type, a
// missing or mistyped field, an unknown value kind.
Message parse_event(std::string_view json);
// The same, and the envelope's fields into envelope (0 where absent).
Message parse_event(std::string_view json, Envelope &envelope);

// Parses a message object alone, as message_json() writes it.
Message parse_message(std::string_view json);

// Hands a tuple read earlier, and no longer needed, back to the reader of
// the calling thread, which reads later values into its room instead of
// allocating anew (on a bulk load, most of what a sink would allocate).
// Optional: a tuple simply destroyed costs nothing more than its memory.
// A thread keeps a few MiB of such room at most; a tuple holding a large
// value is freed instead.
void recycle(Tuple tuple);

// A tuple of `size` NULL values for the caller to fill, made in the room of
// a tuple handed back on this thread where one is kept (its values' texts
// keep their room: assigning into them allocates nothing).
Tuple spare_tuple(std::size_t size);

// ---- writing ---------------------------------------------------------------
//
// Each append_* appends one complete event (no newline) to out, the way the
// samples have it: "type" first, then the fields in the format's order. One
// that throws leaves out as it was. The hot path (an insert per row of a
// bulk load) allocates nothing but out's growth.
//
// A value is written by its column's type: Bool from 't'/'f', Char, Int2,
// Int4, Int8, Oid, Float4, Float8 (NaN and infinities as null), String for
// the text types, RawText (the bytes) for every other type. Throws
// EventError naming the table and column when a value does not read as its
// type (a Bool that is neither 't' nor 'f', an Int4 that is not a number),
// or when a tuple's width is not the relation's; and EventError when a name
// or String value is not UTF-8, which JSON cannot carry.

void append_begin(std::string &out, const Envelope &envelope, const Begin &begin);
void append_commit(std::string &out, const Envelope &envelope, const Commit &commit);
void append_origin(std::string &out, const Envelope &envelope, const Origin &origin);
void append_relation(std::string &out, const Envelope &envelope, const Relation &relation);
void append_type(std::string &out, const Envelope &envelope, const Type &type);
void append_insert(std::string &out, const Envelope &envelope, const Relation &relation, const TupleView &tuple);
// old_tuple, key_tuple: nullptr when absent (written as null).
void append_update(std::string &out, const Envelope &envelope, const Relation &relation, const TupleView *old_tuple,
                   const TupleView *key_tuple, const TupleView &new_tuple);
void append_delete(std::string &out, const Envelope &envelope, const Relation &relation, const TupleView *old_tuple,
                   const TupleView *key_tuple);
void append_truncate(std::string &out, const Envelope &envelope, const Truncate &truncate);

// Writes any message, as parse_event() read it (values in text form):
// the way back from the model. A change (insert, update, delete) needs its
// relation for the value kinds: relation_of(rel_id) gives it, or nullptr,
// which throws EventError. Slower than the append_* above (it makes views of
// the tuples): for tools and tests, not for a hot path.
using RelationLookup = std::function<const Relation *(uint32_t rel_id)>;
void append_event(std::string &out, const Envelope &envelope, const Message &message,
                  const RelationLookup &relation_of);

// The message object alone ({"type":"relation",...}), without the envelope:
// how a sink keeps relation and type messages beside its data.
std::string message_json(const Relation &relation);
std::string message_json(const Type &type);

}  // namespace cn::events

#endif
