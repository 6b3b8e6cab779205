#include "direct_statements.hpp"

#include <libpq-fe.h>
#include <pqxx/dbtransaction>
#include <pqxx/except>
#include <pqxx/largeobject>
#include <pqxx/tablewriter>

#include <algorithm>
#include <memory>
#include <typeinfo>

namespace cn::pgsink {

namespace {

constexpr std::size_t kCopyChunkBytes = std::size_t{1} << 20;

// libpqxx 6.4 gives the PGconn of a transaction only to its large-object
// classes, through a protected accessor; deriving from one reaches it
// without touching libpqxx's internals.
class RawConnection : private pqxx::largeobject {
 public:
  static PGconn *of(pqxx::transaction_base &tx) {
    return raw_connection(dynamic_cast<const pqxx::dbtransaction &>(tx));
  }
};

[[noreturn]] void throw_connection_error(PGconn *conn, const std::string &doing) {
  throw pqxx::broken_connection(doing + ": " + PQerrorMessage(conn));
}

void put_copy_data(PGconn *conn, const char *data, std::size_t size) {
  while (size > 0) {
    const std::size_t n = std::min(size, kCopyChunkBytes);
    // Blocking mode (libpqxx's): 1, or -1 when the connection failed.
    if (PQputCopyData(conn, data, static_cast<int>(n)) != 1) throw_connection_error(conn, "COPY data not sent");
    data += n, size -= n;
  }
}

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

}  // namespace

void copy_into(pqxx::transaction_base &tx, const std::string &table, const std::vector<std::string> &columns,
               const std::vector<std::string> &pieces) {
  PGconn *conn = RawConnection::of(tx);
  // libpqxx 6.4 offers COPY FROM STDIN in the text format only through the
  // deprecated tablewriter (stream_to's own escaper turns bytes above 0x7E
  // into invalid octal escapes, which would corrupt UTF-8). It starts the
  // copy, ends it and reports what the server refused; the data goes past it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  pqxx::tablewriter copy(tx, table, columns.begin(), columns.end());
  for (const std::string &piece : pieces) put_copy_data(conn, piece.data(), piece.size());
  try {
    copy.complete();
  } catch (const pqxx::failure &e) {
    // libpqxx 6.4 reports a connection lost while ending the copy as a
    // plain failure, which would read as permanent.
    if (typeid(e) == typeid(pqxx::failure) && PQstatus(conn) == CONNECTION_BAD)
      throw pqxx::broken_connection(e.what());
    throw;
  }
#pragma GCC diagnostic pop
}

std::vector<std::string> exec_first_column(pqxx::transaction_base &tx, const std::string &sql,
                                           const std::vector<Param> &params) {
  PGconn *conn = RawConnection::of(tx);
  std::vector<const char *> values;
  std::vector<int> lengths, formats;
  for (const Param &p : params) {
    values.push_back(p.bytes.data() ? p.bytes.data() : "");
    lengths.push_back(static_cast<int>(p.bytes.size()));
    formats.push_back(p.binary ? 1 : 0);
  }
  Result result(PQexecParams(conn, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                             lengths.data(), formats.data(), 0),
                &PQclear);
  if (!result) throw_connection_error(conn, "statement not sent");
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    const char *sqlstate = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
    if (!sqlstate && PQstatus(conn) == CONNECTION_BAD) throw_connection_error(conn, "statement failed");
    throw pqxx::sql_error(PQresultErrorMessage(result.get()), sql, sqlstate);
  }
  std::vector<std::string> first_column;
  const int rows = PQntuples(result.get());
  for (int r = 0; r < rows; ++r)
    first_column.emplace_back(PQgetvalue(result.get(), r, 0), static_cast<std::size_t>(PQgetlength(result.get(), r, 0)));
  return first_column;
}

}  // namespace cn::pgsink
