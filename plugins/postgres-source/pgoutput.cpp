// pgoutput protocol 1 (PostgreSQL's "Logical Replication Message Formats"):
// every read is checked against the end of the message, the whole message
// is read before its event is written, so that a bad message leaves nothing
// behind.
#include "pgoutput.hpp"

#include "wire.hpp"

#include <cstring>

namespace cn::pgsource {
namespace {

using events::Column;
using events::TupleView;
using events::ValueKind;
using events::ValueView;

// The type letter as people read it: 'B', or 0x05 when it is not printable.
std::string message_label(char type) {
  const auto c = static_cast<unsigned char>(type);
  if (c >= 0x21 && c < 0x7F) return std::string("'") + type + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("0x") + kHex[c >> 4] + kHex[c & 15];
}

struct DecodeFailure {
  [[noreturn]] static void raise(std::string_view message, std::size_t at, const std::string &reason) {
    throw DecodeError(message[0], at, reason);
  }
};
using Reader = wire::Reader<DecodeFailure>;

// --- transaction and catalog messages ----------------------------------------

Decoded decode_begin(const Envelope &envelope, Reader &in, std::string &out) {
  Decoded d;
  d.kind = Decoded::Kind::begin;
  events::Begin begin;
  begin.final_lsn = d.final_lsn = in.u64("final_lsn");
  begin.timestamp = in.i64("the commit timestamp");
  begin.xid = d.xid = in.u32("xid");
  in.expect_end();
  events::append_begin(out, envelope, begin);
  return d;
}

Decoded decode_commit(const Envelope &envelope, Reader &in, std::string &out) {
  Decoded d;
  d.kind = Decoded::Kind::commit;
  events::Commit commit;
  commit.flags = in.i8("flags");
  commit.commit_lsn = d.commit_lsn = in.u64("commit_lsn");
  commit.end_lsn = d.end_lsn = in.u64("end_lsn");
  commit.timestamp = d.commit_time = in.i64("the commit timestamp");
  in.expect_end();
  events::append_commit(out, envelope, commit);
  return d;
}

Decoded decode_origin(const Envelope &envelope, Reader &in, std::string &out) {
  events::Origin origin;
  origin.commit_lsn = in.u64("commit_lsn");
  origin.name = in.string("the origin name");
  in.expect_end();
  events::append_origin(out, envelope, origin);
  return {Decoded::Kind::origin};
}

Decoded decode_type(const Envelope &envelope, Reader &in, std::string &out) {
  events::Type type;
  type.id = in.u32("the type OID");
  type.namespace_ = events::schema_of_namespace(in.string("the namespace"));
  type.name = in.string("the type name");
  in.expect_end();
  events::append_type(out, envelope, type);
  return {Decoded::Kind::type};
}

Column read_column(Reader &in) {
  Column c;
  c.flags = in.i8("a column's flags");
  c.name = in.string("a column name");
  c.type_id = in.u32("a column's type OID");
  c.type_modifier = in.i32("a column's type modifier");
  return c;
}

Relation read_relation(Reader &in) {
  Relation r;
  r.rel_id = in.u32("rel_id");
  r.namespace_ = events::schema_of_namespace(in.string("the namespace"));
  r.name = in.string("the relation name");
  const std::size_t identity_at = in.offset();
  const char identity = static_cast<char>(in.u8("the replica identity"));
  if (identity == '\0' || std::strchr("dnfi", identity) == nullptr)
    in.fail(identity_at, "replica identity " + message_label(identity) + " is none of d, n, f, i");
  r.replica_identity = events::replica_identity_from_letter(identity);
  const std::size_t count_at = in.offset();
  const int16_t count = in.i16("the column count");
  // A column takes at least 10 bytes: a wrong count fails here, before it
  // asks for memory.
  constexpr std::size_t kMinColumnSize = 10;
  if (count < 0 || static_cast<std::size_t>(count) > in.left() / kMinColumnSize) {
    in.fail(count_at, "a column count of " + std::to_string(count) + " with " + std::to_string(in.left()) +
                          " bytes left");
  }
  r.columns.reserve(static_cast<std::size_t>(count));
  for (int16_t i = 0; i < count; ++i) r.columns.push_back(read_column(in));
  return r;
}

// --- changes -----------------------------------------------------------------

// TupleData into row (its values borrow from the message).
void read_tuple(Reader &in, TupleView &row) {
  const std::size_t count_at = in.offset();
  const int16_t count = in.i16("the tuple's column count");
  // Each column takes at least its kind byte.
  if (count < 0 || static_cast<std::size_t>(count) > in.left()) {
    in.fail(count_at,
            "a tuple of " + std::to_string(count) + " columns with " + std::to_string(in.left()) + " bytes left");
  }
  row.resize(static_cast<std::size_t>(count));
  for (ValueView &datum : row) {
    const std::size_t kind_at = in.offset();
    const char kind = static_cast<char>(in.u8("a column's kind"));
    datum.text = {};
    switch (kind) {
      case 'n': datum.kind = ValueKind::null; break;
      case 'u': datum.kind = ValueKind::unchanged_toast; break;
      case 't': {
        const std::size_t length_at = in.offset();
        const int32_t length = in.i32("a value's length");
        if (length < 0) in.fail(length_at, "a value of negative length " + std::to_string(length));
        datum.kind = ValueKind::text;
        datum.text = in.bytes(static_cast<std::size_t>(length), "a value");
        break;
      }
      case 'b':
        in.fail(kind_at, "a binary value: the decoder reads text values only (replication must not ask binary 'true')");
      default: in.fail(kind_at, "column kind " + message_label(kind) + " is none of n, u, t");
    }
  }
}

// The letter that says which tuple follows ('N', 'K', 'O').
char read_tuple_letter(Reader &in, const char *allowed) {
  const std::size_t at = in.offset();
  const char letter = static_cast<char>(in.u8("a tuple letter"));
  if (letter == '\0' || std::strchr(allowed, letter) == nullptr) {
    std::string expected;
    for (const char *a = allowed; *a; ++a) expected += (expected.empty() ? "" : " or ") + message_label(*a);
    in.fail(at, "tuple letter " + message_label(letter) + " where " + expected + " belongs");
  }
  return letter;
}

using Relations = std::unordered_map<uint32_t, Relation>;

const Relation &read_known_relation(Reader &in, const Relations &relations) {
  const std::size_t at = in.offset();
  const uint32_t rel_id = in.u32("rel_id");
  const auto it = relations.find(rel_id);
  if (it == relations.end()) in.fail(at, "relation " + std::to_string(rel_id) + " has had no relation message");
  return it->second;
}

Decoded decode_insert(const Envelope &envelope, Reader &in, const Relations &relations, TupleView &row,
                      std::string &out) {
  const Relation &relation = read_known_relation(in, relations);
  read_tuple_letter(in, "N");
  read_tuple(in, row);
  in.expect_end();
  events::append_insert(out, envelope, relation, row);
  return {};
}

// 'K' (key columns changed, identity Default or Index) or 'O' (identity
// Full) brings the old row before the new one; neither is sent otherwise.
Decoded decode_update(const Envelope &envelope, Reader &in, const Relations &relations, TupleView &first_row,
                      TupleView &new_row, std::string &out) {
  const Relation &relation = read_known_relation(in, relations);
  const TupleView *old_row = nullptr;
  const TupleView *key_row = nullptr;
  const char letter = read_tuple_letter(in, "KON");
  if (letter != 'N') {
    read_tuple(in, first_row);
    (letter == 'K' ? key_row : old_row) = &first_row;
    read_tuple_letter(in, "N");
  }
  read_tuple(in, new_row);
  in.expect_end();
  events::append_update(out, envelope, relation, old_row, key_row, new_row);
  return {};
}

Decoded decode_delete(const Envelope &envelope, Reader &in, const Relations &relations, TupleView &row,
                      std::string &out) {
  const Relation &relation = read_known_relation(in, relations);
  const char letter = read_tuple_letter(in, "KO");
  read_tuple(in, row);
  in.expect_end();
  events::append_delete(out, envelope, relation, letter == 'O' ? &row : nullptr, letter == 'K' ? &row : nullptr);
  return {};
}

Decoded decode_truncate(const Envelope &envelope, Reader &in, events::Truncate &truncate, std::string &out) {
  const std::size_t count_at = in.offset();
  const int32_t count = in.i32("the relation count");
  const int8_t options = in.i8("options");
  if (count < 0 || static_cast<std::size_t>(count) > in.left() / 4) {
    in.fail(count_at, "a truncate of " + std::to_string(count) + " relations with " + std::to_string(in.left()) +
                          " bytes left");
  }
  truncate.options = options;
  truncate.rel_ids.resize(static_cast<std::size_t>(count));
  for (uint32_t &rel_id : truncate.rel_ids) rel_id = in.u32("rel_id");
  in.expect_end();
  events::append_truncate(out, envelope, truncate);
  return {};
}

}  // namespace

DecodeError::DecodeError(char message_type, std::size_t offset, const std::string &reason)
    : std::runtime_error("pgoutput " + message_label(message_type) + " message, byte " + std::to_string(offset) +
                         ": " + reason),
      message_type_(message_type),
      offset_(offset) {}

Decoded PgoutputDecoder::decode(const Envelope &envelope, const char *data, std::size_t size, std::string &out) {
  if (size == 0) throw DecodeError('\0', 0, "an empty message");
  Reader in(std::string_view(data, size));
  switch (in.type()) {
    case 'B': return decode_begin(envelope, in, out);
    case 'C': return decode_commit(envelope, in, out);
    case 'O': return decode_origin(envelope, in, out);
    case 'Y': return decode_type(envelope, in, out);
    case 'R': {
      Relation relation = read_relation(in);
      in.expect_end();
      events::append_relation(out, envelope, relation);  // first: a name that cannot be written keeps the old relation
      const uint32_t rel_id = relation.rel_id;
      relations_.insert_or_assign(rel_id, std::move(relation));
      return {Decoded::Kind::relation};
    }
    case 'I': return decode_insert(envelope, in, relations_, new_row_, out);
    case 'U': return decode_update(envelope, in, relations_, first_row_, new_row_, out);
    case 'D': return decode_delete(envelope, in, relations_, first_row_, out);
    case 'T': return decode_truncate(envelope, in, truncate_, out);
    default:
      in.fail(0, "unknown message type (is this pgoutput protocol 1 with only the publication_names option?)");
  }
}

const Relation *PgoutputDecoder::relation(uint32_t rel_id) const {
  const auto it = relations_.find(rel_id);
  return it == relations_.end() ? nullptr : &it->second;
}

}  // namespace cn::pgsource
