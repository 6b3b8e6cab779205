// A decoder of PostgreSQL's pgoutput logical replication messages, protocol
// version 1 with values in text form (no "binary", "streaming", "messages"
// or "two_phase" option), into change events (change_events.hpp).
//
// The input is one message: the payload of an XLogData message, as
// ReplicationConnection::next() hands it over with its Envelope. Example:
//
//   pgsource::PgoutputDecoder decoder;   // one per replication session
//   std::string batch;
//   Decoded d = decoder.decode(data.envelope, data.payload.data(), data.payload.size(), batch);
//   batch += '\n';
//   if (d.kind == Decoded::Kind::commit) { ... d.end_lsn ... }
//
// A PgoutputDecoder is not thread-safe: one thread uses it at a time.
#ifndef CN_PGSOURCE_PGOUTPUT_HPP
#define CN_PGSOURCE_PGOUTPUT_HPP

#include <change_events/change_events.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace cn::pgsource {

using events::Envelope;
using events::Relation;

// A message that is not pgoutput protocol 1 as we asked for it: cut short,
// bytes left over, an unknown message type or tuple letter, a binary value,
// a change to a relation never described. The stream cannot be trusted past
// it. what() reads like
//   pgoutput 'B' message, byte 17: cut short: xid needs 4 bytes, 0 left
// offset() counts from the payload's first byte (the type letter, offset 0).
class DecodeError : public std::runtime_error {
 public:
  DecodeError(char message_type, std::size_t offset, const std::string &reason);
  char message_type() const noexcept { return message_type_; }  // '\0' for an empty payload
  std::size_t offset() const noexcept { return offset_; }

 private:
  char message_type_;
  std::size_t offset_;
};

// What one message was, with the positions a replication loop needs.
struct Decoded {
  enum class Kind { begin, commit, origin, relation, type, change /* insert, update, delete, truncate */ };
  Kind kind = Kind::change;
  uint64_t final_lsn = 0;                // begin: the commit record's LSN (= the commit's commit_lsn)
  uint32_t xid = 0;                      // begin
  uint64_t commit_lsn = 0, end_lsn = 0;  // commit: end_lsn is the position to confirm once the event is durable
  int64_t commit_time = 0;               // commit: its time (microseconds since 2000-01-01, PostgreSQL's epoch)
};

class PgoutputDecoder {
 public:
  // Appends the event of the message data[0, size) to out (no newline) and
  // says what it was. data is only read during the call.
  //
  // Remembers each relation message (the latest one per rel_id) to read the
  // values of later changes by column type.
  //
  // Throws DecodeError for a malformed, truncated or unknown message, or an
  // insert/update/delete of a rel_id without a relation message first;
  // events::EventError for a value that does not read as
  // its column's type, a row whose width is not its relation's, or a name
  // that is not UTF-8. After a throw, out is as it was before the call and
  // the relations are unchanged.
  Decoded decode(const Envelope &envelope, const char *data, std::size_t size, std::string &out);

  // The relation last described for rel_id, or nullptr. Owned by the
  // decoder; valid until the next decode().
  const Relation *relation(uint32_t rel_id) const;

 private:
  std::unordered_map<uint32_t, Relation> relations_;
  // Kept between messages so that their capacity is: no allocation per row.
  events::TupleView first_row_, new_row_;
  events::Truncate truncate_;
};

}  // namespace cn::pgsource

#endif
