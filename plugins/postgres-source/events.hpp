// Change events in the topic's format (../../../shared/events/FORMAT.md, kept
// in the repository's docs as the contract): one JSON object per record,
// written from PostgreSQL's own values. Used both for what logical
// replication sends (pgoutput.hpp) and for the rows of the initial load.
#ifndef CN_PGSOURCE_EVENTS_HPP
#define CN_PGSOURCE_EVENTS_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgsource {

// The header every event carries: the XLogData message's positions and
// send time (microseconds since 2000-01-01 UTC).
struct Envelope {
  uint64_t wal_start = 0, wal_end = 0;
  int64_t timestamp = 0;
};

struct Column {
  int8_t flags = 0;  // bit 1: part of the replica identity
  std::string name;
  uint32_t type_id = 0;
  int32_t type_modifier = -1;
};

struct Relation {
  uint32_t rel_id = 0;
  std::string namespace_, name;
  char replica_identity = 'd';  // pgoutput's letter: d(efault), n(othing), f(ull), i(ndex)
  std::vector<Column> columns;
};

// One column's value as pgoutput sends it: NULL, an unchanged TOASTed value
// (not sent), or PostgreSQL's text form.
struct Datum {
  enum class Kind : uint8_t { null, unchanged_toast, text };
  Kind kind = Kind::null;
  std::string_view text;  // borrowed; valid while the caller's buffer is
};
using Row = std::vector<Datum>;

// Each function appends one complete event (no newline) to out; one that
// throws appends nothing. A name (schema, table, column, type, origin) or a
// String value that is not UTF-8 throws std::invalid_argument.
void append_begin(std::string &out, const Envelope &e, uint64_t final_lsn, int64_t commit_time, uint32_t xid);
void append_commit(std::string &out, const Envelope &e, int8_t flags, uint64_t commit_lsn, uint64_t end_lsn,
                   int64_t commit_time);
void append_origin(std::string &out, const Envelope &e, uint64_t commit_lsn, std::string_view name);
void append_relation(std::string &out, const Envelope &e, const Relation &relation);
void append_type(std::string &out, const Envelope &e, uint32_t type_id, std::string_view namespace_,
                 std::string_view name);
// Values are written by the column's type: Bool from 't'/'f', Char, Int2,
// Int4, Int8, Oid, Float4, Float8 (NaN and infinities as null), String for
// the text types, RawText (the bytes) for every other type. Throws
// std::invalid_argument naming the column when a value does not read as
// its type (a Bool that is neither 't' nor 'f', an Int4 that is not a
// number) or when the row's width is not the relation's.
void append_insert(std::string &out, const Envelope &e, const Relation &relation, const Row &row);
void append_update(std::string &out, const Envelope &e, const Relation &relation, const Row *old_row,
                   const Row *key_row, const Row &new_row);
void append_delete(std::string &out, const Envelope &e, const Relation &relation, const Row *old_row,
                   const Row *key_row);
void append_truncate(std::string &out, const Envelope &e, int8_t options, const std::vector<uint32_t> &rel_ids);

}  // namespace pgsource

#endif
