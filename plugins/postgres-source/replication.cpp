#include "replication.hpp"

#include "source_setup.hpp"
#include "wire.hpp"

#include <libpq-fe.h>
#include <postgres_connection.hpp>
#include <postgres_errors.hpp>
#include <sql_names.hpp>
#include <poll.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>

namespace cn::pgsource {

namespace {

std::string connection_message(pg_conn *conn) {
  return plugins::trimmed_message(conn ? PQerrorMessage(conn) : "out of memory");
}

std::string sqlstate_of(const PGresult *result) {
  const char *sqlstate = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  return sqlstate ? sqlstate : "";
}

bool contains(const std::string &s, const char *part) { return s.find(part) != std::string::npos; }

// SQLSTATEs that name which failure a command met.
constexpr const char *kObjectInUse = "55006";      // a slot held by another walsender
constexpr const char *kUndefinedObject = "42704";  // no such slot or publication

// A message cut short is refused as an unknown one is: the stream cannot be
// trusted past either.
struct UnknownMessage {
  [[noreturn]] static void raise(std::string_view message, std::size_t, const std::string &) {
    throw SourceError("the replication stream sent a message this source does not know ('" +
                          std::string(1, message[0]) + "', " + std::to_string(message.size()) + " bytes)",
                      false);
  }
};

using plugins::quote_ident;
using plugins::quote_literal;

}  // namespace

std::string lsn_text(uint64_t lsn) {
  char text[32];
  std::snprintf(text, sizeof text, "%X/%X", static_cast<unsigned>(lsn >> 32), static_cast<unsigned>(lsn));
  return text;
}

uint64_t parse_lsn(const std::string &text) {
  unsigned hi = 0, lo = 0;
  if (std::sscanf(text.c_str(), "%X/%X", &hi, &lo) != 2) throw SourceError("not an LSN: '" + text + "'", false);
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

int64_t postgres_now() {
  using namespace std::chrono;
  constexpr int64_t kUnixToPostgresEpoch = 946684800LL * 1000000;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count() - kUnixToPostgresEpoch;
}

ReplicationConnection::ReplicationConnection(plugins::DatabaseEndpoint &source) {
  const std::string conninfo = source.conninfo();
  // UTF8: pgoutput sends text in the client encoding, and events are UTF-8.
  const char *keys[] = {"dbname", "replication", "application_name", "client_encoding", nullptr};
  const char *values[] = {conninfo.c_str(), "database", "postgres-source", "UTF8", nullptr};
  conn_ = PQconnectdbParams(keys, values, 1);
  if (PQstatus(conn_) == CONNECTION_OK) return;
  std::string message = connection_message(conn_);
  PQfinish(conn_);
  conn_ = nullptr;
  if (contains(message, "must be superuser or replication role") ||
      contains(message, "permission denied to start WAL sender"))
    throw SourceError("the source role may not replicate: " + message +
                          " (" + replication_fix("") + ")",
                      false);
  if (contains(message, "no pg_hba.conf entry for replication"))
    throw SourceError("the source refuses replication connections: " + message +
                          " (fix: allow 'replication' for this user in pg_hba.conf, or use a database entry of"
                          " type host that covers replication)",
                      false);
  source.connect_failed(message);
}

ReplicationConnection::~ReplicationConnection() {
  if (buffer_) PQfreemem(buffer_);
  if (conn_) PQfinish(conn_);
}

void ReplicationConnection::fail(const std::string &doing, const std::string &sqlstate) {
  const bool transient = PQstatus(conn_) != CONNECTION_OK || plugins::is_transient_sqlstate(sqlstate);
  throw SourceError(doing + ": " + connection_message(conn_), transient);
}

ReplicationConnection::CreatedSlot ReplicationConnection::create_slot(const std::string &slot) {
  std::string command = "CREATE_REPLICATION_SLOT " + quote_ident(slot) + " LOGICAL pgoutput EXPORT_SNAPSHOT";
  PGresult *r = PQexec(conn_, command.c_str());
  if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
    const std::string sqlstate = sqlstate_of(r);
    PQclear(r);
    fail("creating the replication slot '" + slot + "'", sqlstate);
  }
  const std::string consistent_point = PQgetvalue(r, 0, 1), snapshot = PQgetvalue(r, 0, 2);
  PQclear(r);
  return CreatedSlot{parse_lsn(consistent_point), snapshot};
}

void ReplicationConnection::start(const std::string &slot, uint64_t from, const std::string &publication) {
  std::string command = "START_REPLICATION SLOT " + quote_ident(slot) + " LOGICAL " + lsn_text(from) +
                        " (proto_version '1', publication_names " + quote_literal(quote_ident(publication)) + ")";
  PGresult *r = PQexec(conn_, command.c_str());
  const ExecStatusType status = PQresultStatus(r);
  const std::string sqlstate = sqlstate_of(r);
  PQclear(r);
  if (status == PGRES_COPY_BOTH) return;
  const std::string message = connection_message(conn_);
  if (sqlstate == kObjectInUse)
    throw SourceError("the replication slot '" + slot + "' is in use by another process: " + message +
                          " (another connector on the same slot? stop it, or give this one its own parameters.slot)",
                      true);
  if (sqlstate == kUndefinedObject && contains(message, "publication"))
    throw SourceError("the publication '" + publication + "' does not exist: " + message +
                          " (fix: run CREATE PUBLICATION on the source, or set skip_setup: false)",
                      false);
  fail("starting replication on slot '" + slot + "'", sqlstate);
}

StreamMessage parse_stream_message(std::string_view message) {
  wire::Reader<UnknownMessage> in(message);
  switch (in.type()) {
    case 'w': {
      XLogData data;
      data.envelope.wal_start = in.u64("wal_start");
      data.envelope.wal_end = in.u64("wal_end");
      data.envelope.timestamp = in.i64("the send time");
      data.payload = in.rest();
      return data;
    }
    case 'k': {
      Keepalive keepalive;
      keepalive.wal_end = in.u64("wal_end");
      in.i64("the send time");
      keepalive.reply_requested = in.u8("reply_requested") != 0;
      return keepalive;
    }
    default: in.fail(0, "an unknown message type");
  }
}

StreamMessage ReplicationConnection::next(int timeout_ms) {
  const std::string_view message = next_copy_data(timeout_ms);
  if (message.empty()) return {};
  return parse_stream_message(message);
}

std::string_view ReplicationConnection::next_copy_data(int timeout_ms) {
  if (buffer_) PQfreemem(buffer_), buffer_ = nullptr;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool consumed_before_return = false;
  for (;;) {
    int n = PQgetCopyData(conn_, &buffer_, 1);
    if (n > 0) return std::string_view(buffer_, static_cast<std::size_t>(n));
    if (n == -2) fail("reading the replication stream");
    if (n == -1) {  // the server ended the stream
      PGresult *r = PQgetResult(conn_);
      const std::string state = sqlstate_of(r);
      std::string error = plugins::trimmed_message(r ? PQresultErrorMessage(r) : "");
      PQclear(r);
      // An end without an error is a server going away; one with an
      // error is judged by the common rule (a dropped publication or
      // removed WAL is not worth another try).
      const bool transient = state.empty() || plugins::is_transient_sqlstate(state);
      throw SourceError("the source ended the replication stream: " + (error.empty() ? "no reason given" : error) +
                            (state.empty() ? "" : " (SQLSTATE " + state + ")"),
                        transient);
    }
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) {
      // Read what the socket (or TLS) holds already before giving up.
      if (consumed_before_return) return {};
      if (!PQconsumeInput(conn_)) fail("reading the replication stream");
      consumed_before_return = true;
      continue;
    }
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    if (::poll(&fd, 1, left) < 0 && errno != EINTR) throw SourceError("waiting for the source failed", true);
    if (!PQconsumeInput(conn_)) fail("reading the replication stream");
  }
}

void ReplicationConnection::send_status(uint64_t written, uint64_t flushed, bool reply_requested) {
  char message[34];
  message[0] = 'r';
  wire::put_u64(message + 1, written);
  wire::put_u64(message + 9, flushed);
  wire::put_u64(message + 17, flushed);
  wire::put_u64(message + 25, static_cast<uint64_t>(postgres_now()));
  message[33] = reply_requested ? 1 : 0;
  if (PQputCopyData(conn_, message, sizeof message) != 1 || PQflush(conn_) != 0)
    fail("sending a status update to the source");
}

}  // namespace cn::pgsource
