// Statements sent through libpq directly, on the connection of a libpqxx
// transaction, where libpqxx 6.4 would hold whole extra copies of the data:
// its tablewriter copies each COPY line to add the newline, and its
// exec_params copies each parameter twice. With a 64 MiB value those
// copies, not the data, decided the sink's memory.
#ifndef CN_PGSINK_DIRECT_STATEMENTS_HPP
#define CN_PGSINK_DIRECT_STATEMENTS_HPP

#include <pqxx/transaction_base>

#include <string>
#include <string_view>
#include <vector>

namespace cn::pgsink {

// Both throw what libpqxx would: pqxx::sql_error with the server's message
// and SQLSTATE for a statement (or rows) the server refuses,
// pqxx::broken_connection when the connection is lost. tx must be a
// dbtransaction (pqxx::work is), with no other statement running.

// COPY table (quoted) (columns, quoted) FROM STDIN in the text format:
// the pieces, one after another, are the data (lines, each ending in a
// newline). Each piece goes to the server in chunks of at most 1 MiB, so a
// row costs no memory beyond its pieces.
void copy_into(pqxx::transaction_base &tx, const std::string &table, const std::vector<std::string> &columns,
               const std::vector<std::string> &pieces);

// A parameter of exec_first_column, never NULL: its bytes, sent from where
// they are (they must live until the call returns). In the text format
// they must be followed by a NUL (a std::string's are): libpq reads a text
// parameter up to it. In the binary format they are any bytes: for a text
// or bytea parameter, the value's bytes themselves.
struct Param {
  std::string_view bytes;
  bool binary = false;
};

// Runs sql with parameters $1.. and returns the first column (in the text
// format) of each row it returns.
std::vector<std::string> exec_first_column(pqxx::transaction_base &tx, const std::string &sql,
                                           const std::vector<Param> &params);

}  // namespace cn::pgsink

#endif
