// Writing change events (docs/change-events.md): the envelope and the
// message objects, around the values of write_values.cpp.
#include "write_values.hpp"

namespace cn::events {
namespace {

using detail::append_decimal;
using detail::append_name;
using detail::append_optional_tuple;
using detail::append_tuple;

// --- the envelope and the message object -------------------------------------

// Writes the envelope (unless there is none: a message alone) and the
// message's type; close() ends the objects. A message that throws before
// close() is taken back out of `out`, so that a caller never finds half an
// event in its buffer.
class MessageWriter {
 public:
  MessageWriter(std::string &out, const Envelope *e, const char *type)
      : out_(out), start_(out.size()), in_envelope_(e != nullptr) {
    if (e) {
      out_ += "{\"wal_start\":";
      append_decimal(out_, e->wal_start);
      out_ += ",\"wal_end\":";
      append_decimal(out_, e->wal_end);
      out_ += ",\"timestamp\":";
      append_decimal(out_, e->timestamp);
      out_ += ",\"message\":";
    }
    out_ += "{\"type\":\"";
    out_ += type;
    out_.push_back('"');
  }
  MessageWriter(const MessageWriter &) = delete;
  MessageWriter &operator=(const MessageWriter &) = delete;
  ~MessageWriter() {
    if (!closed_) out_.resize(start_);
  }

  // ,"key": - the next field's value follows.
  std::string &field(const char *key) {
    out_ += ",\"";
    out_ += key;
    out_ += "\":";
    return out_;
  }
  template <typename Int>
  void number(const char *key, Int n) {
    append_decimal(field(key), n);
  }
  void close() {
    out_ += in_envelope_ ? "}}" : "}";
    closed_ = true;
  }

 private:
  std::string &out_;
  const std::size_t start_;
  const bool in_envelope_;
  bool closed_ = false;
};

void append_column(std::string &out, const Column &column) {
  out += "{\"flags\":";
  append_decimal(out, column.flags);
  out += ",\"name\":";
  append_name(out, column.name, "a column name");
  out += ",\"type_id\":";
  // The format (after Fluvio) has type_id as an i32: an OID above 2^31 - 1
  // comes out negative, as it does there.
  append_decimal(out, static_cast<int32_t>(column.type_id));
  out += ",\"type_modifier\":";
  append_decimal(out, column.type_modifier);
  out.push_back('}');
}

void write_relation(std::string &out, const Envelope *e, const Relation &relation) {
  MessageWriter w(out, e, "relation");
  w.number("rel_id", relation.rel_id);
  append_name(w.field("namespace"), relation.namespace_, "the namespace");
  append_name(w.field("name"), relation.name, "the relation name");
  w.field("replica_identity") += '"';
  out += to_string(relation.replica_identity);
  out += '"';
  w.field("columns") += '[';
  for (std::size_t i = 0; i < relation.columns.size(); ++i) {
    if (i) out.push_back(',');
    append_column(out, relation.columns[i]);
  }
  out.push_back(']');
  w.close();
}

void write_type(std::string &out, const Envelope *e, const Type &type) {
  MessageWriter w(out, e, "type");
  w.number("id", type.id);
  append_name(w.field("namespace"), type.namespace_, "the type's namespace");
  append_name(w.field("name"), type.name, "the type name");
  w.close();
}

}  // namespace

const char *to_string(ReplicaIdentity identity) {
  switch (identity) {
    case ReplicaIdentity::default_: return "Default";
    case ReplicaIdentity::nothing: return "Nothing";
    case ReplicaIdentity::full: return "Full";
    case ReplicaIdentity::index: return "Index";
  }
  return "?";
}

ReplicaIdentity replica_identity_from_letter(char letter) {
  switch (letter) {
    case 'd': return ReplicaIdentity::default_;
    case 'n': return ReplicaIdentity::nothing;
    case 'f': return ReplicaIdentity::full;
    case 'i': return ReplicaIdentity::index;
  }
  throw EventError(std::string("replica identity '") + letter + "' is none of d, n, f, i");
}

void append_begin(std::string &out, const Envelope &e, const Begin &begin) {
  MessageWriter w(out, &e, "begin");
  w.number("final_lsn", begin.final_lsn);
  w.number("timestamp", begin.timestamp);
  w.number("xid", begin.xid);
  w.close();
}

void append_commit(std::string &out, const Envelope &e, const Commit &commit) {
  MessageWriter w(out, &e, "commit");
  w.number("flags", commit.flags);
  w.number("commit_lsn", commit.commit_lsn);
  w.number("end_lsn", commit.end_lsn);
  w.number("timestamp", commit.timestamp);
  w.close();
}

void append_origin(std::string &out, const Envelope &e, const Origin &origin) {
  MessageWriter w(out, &e, "origin");
  w.number("commit_lsn", origin.commit_lsn);
  append_name(w.field("name"), origin.name, "the origin name");
  w.close();
}

void append_relation(std::string &out, const Envelope &e, const Relation &relation) {
  write_relation(out, &e, relation);
}

void append_type(std::string &out, const Envelope &e, const Type &type) { write_type(out, &e, type); }

void append_insert(std::string &out, const Envelope &e, const Relation &relation, const TupleView &tuple) {
  MessageWriter w(out, &e, "insert");
  w.number("rel_id", relation.rel_id);
  append_tuple(w.field("tuple"), relation, tuple);
  w.close();
}

void append_update(std::string &out, const Envelope &e, const Relation &relation, const TupleView *old_tuple,
                   const TupleView *key_tuple, const TupleView &new_tuple) {
  MessageWriter w(out, &e, "update");
  w.number("rel_id", relation.rel_id);
  append_optional_tuple(w.field("old_tuple"), relation, old_tuple);
  append_optional_tuple(w.field("key_tuple"), relation, key_tuple);
  append_tuple(w.field("new_tuple"), relation, new_tuple);
  w.close();
}

void append_delete(std::string &out, const Envelope &e, const Relation &relation, const TupleView *old_tuple,
                   const TupleView *key_tuple) {
  MessageWriter w(out, &e, "delete");
  w.number("rel_id", relation.rel_id);
  append_optional_tuple(w.field("old_tuple"), relation, old_tuple);
  append_optional_tuple(w.field("key_tuple"), relation, key_tuple);
  w.close();
}

void append_truncate(std::string &out, const Envelope &e, const Truncate &truncate) {
  MessageWriter w(out, &e, "truncate");
  w.number("options", truncate.options);
  w.field("rel_ids") += '[';
  for (std::size_t i = 0; i < truncate.rel_ids.size(); ++i) {
    if (i) out.push_back(',');
    append_decimal(out, truncate.rel_ids[i]);
  }
  out.push_back(']');
  w.close();
}

std::string message_json(const Relation &relation) {
  std::string out;
  write_relation(out, nullptr, relation);
  return out;
}

std::string message_json(const Type &type) {
  std::string out;
  write_type(out, nullptr, type);
  return out;
}

}  // namespace cn::events
