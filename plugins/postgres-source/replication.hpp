// A logical replication connection to PostgreSQL (libpq, replication=database):
// slot creation with an exported snapshot, START_REPLICATION with pgoutput,
// the CopyBoth stream's messages (XLogData, keepalives) and its standby
// status updates. libpqxx 6.4 does not speak the replication protocol, so
// this is plain libpq.
#ifndef CN_PGSOURCE_REPLICATION_HPP
#define CN_PGSOURCE_REPLICATION_HPP

#include <change_events/change_events.hpp>
#include <database_endpoint.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

struct pg_conn;

namespace cn::pgsource {

// A failure of the source. transient: the connection was lost or the server
// is busy or shutting down, and trying again later may work; otherwise the
// message says what to change.
class SourceError : public std::runtime_error {
 public:
  SourceError(const std::string &what, bool transient) : std::runtime_error(what), transient(transient) {}
  bool transient;
};

// "0/16B3748" <-> 64-bit LSN.
std::string lsn_text(uint64_t lsn);
uint64_t parse_lsn(const std::string &text);

// Microseconds since 2000-01-01 UTC, PostgreSQL's epoch.
int64_t postgres_now();

// The messages of the replication stream (CopyData in the CopyBoth stream).
struct XLogData {  // 'w'
  events::Envelope envelope;  // the message's WAL start and end, and its send time
  std::string_view payload;   // one pgoutput message; valid until the next call to next()
};
struct Keepalive {  // 'k'
  uint64_t wal_end = 0;
  bool reply_requested = false;  // the server wants a status update at once, or it may end the stream
};
using StreamMessage = std::variant<std::monostate /* none within the timeout */, XLogData, Keepalive>;

// Parses one non-empty CopyData message of the stream. Throws SourceError
// (not transient) for a kind this source does not know or one cut short:
// the stream cannot be trusted past it.
StreamMessage parse_stream_message(std::string_view message);

class ReplicationConnection {
 public:
  // Connects with replication=database. Throws SourceError for a role
  // without REPLICATION or a pg_hba.conf without replication (not
  // transient; the message says how to grant it), plugins::ConnectError for
  // any other failed attempt (naming the hop that failed, with a tunnel).
  explicit ReplicationConnection(plugins::DatabaseEndpoint &source);
  ~ReplicationConnection();
  ReplicationConnection(const ReplicationConnection &) = delete;
  ReplicationConnection &operator=(const ReplicationConnection &) = delete;

  struct CreatedSlot {
    uint64_t consistent_point = 0;
    std::string snapshot;  // exported snapshot, valid until the next command on this connection
  };
  // CREATE_REPLICATION_SLOT slot LOGICAL pgoutput, exporting its snapshot.
  CreatedSlot create_slot(const std::string &slot);

  // START_REPLICATION SLOT slot LOGICAL from (proto_version 1, the
  // publication). A slot used by another process is a transient error
  // that names it.
  void start(const std::string &slot, uint64_t from, const std::string &publication);

  // The next message of the stream, or std::monostate when none came
  // within timeout_ms. Throws SourceError when the stream ends or breaks,
  // or as parse_stream_message() does.
  StreamMessage next(int timeout_ms);

  // Standby status update ('r' message): the written and flushed (and
  // applied: the same as flushed) positions.
  void send_status(uint64_t written, uint64_t flushed, bool reply_requested);

 private:
  // Throws SourceError for a command that failed with sqlstate ("" when
  // none): transient by the common rule or when the connection is gone.
  [[noreturn]] void fail(const std::string &doing, const std::string &sqlstate = "");
  // One CopyData message, or an empty view when none came in time.
  std::string_view next_copy_data(int timeout_ms);
  pg_conn *conn_ = nullptr;
  char *buffer_ = nullptr;  // the last message, freed at the next call
};

}  // namespace cn::pgsource

#endif
