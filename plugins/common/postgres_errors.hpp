// The one rule for PostgreSQL failures in every plugin here: which are
// transient (worth a retry after a backoff: the host re-delivers or polls
// again) and which are permanent (the connector stops with the message).
//
// Decided by SQLSTATE wherever PostgreSQL gives one, as its own apply
// worker does: class 08 (connection exception), 40 (transaction rollback:
// serialization failure, deadlock), 53 (insufficient resources: out of
// memory, too many connections, disk full), 57 (operator intervention:
// shutdown, restart, crash of another backend, a cancelled query) and 55006
// (object in use: a replication slot still held by a walsender that is
// going away). Everything else (a constraint, a type error, a missing
// object, a permission) is permanent: retrying cannot mend it.
//
// A failed connection attempt has no SQLSTATE in libpq; for it alone the
// message text decides (connect_failure_is_permanent).
#ifndef CN_PLUGINS_POSTGRES_ERRORS_HPP
#define CN_PLUGINS_POSTGRES_ERRORS_HPP

#include <pqxx/except>

#include <exception>
#include <string>
#include <string_view>

namespace cn::plugins {

// Whether a failure with this SQLSTATE is worth retrying (see above). An
// empty SQLSTATE (none was sent) is not: the caller decides by the
// connection's status.
bool is_transient_sqlstate(std::string_view sqlstate);

// The rule above for libpqxx's exceptions, which in libpqxx 6.4 carry no
// SQLSTATE for some classes: a broken connection, a commit in doubt and a
// transaction_rollback (class 40: serialization failure, deadlock,
// statement completion unknown) are transient; an sql_error by its
// SQLSTATE; any other failure (a conversion, a misuse) is permanent.
bool is_transient(const pqxx::failure &error);

// "permission denied", "must be owner", "must be superuser" (SQLSTATE
// 42501, which libpqxx 6.4 raises as insufficient_privilege without it).
bool is_insufficient_privilege(const pqxx::sql_error &error);

// Whether libpq's message on a failed connection attempt says that trying
// again cannot help: a bad URL or sslmode, a server without TLS where TLS
// is required, a certificate that does not verify, failed authentication,
// no such database or role. (Not "SSL" alone: "SSL SYSCALL error: EOF
// detected" is a server going away.)
bool connect_failure_is_permanent(std::string_view message);

// A PostgreSQL or libpq message as one log line: without the newline it
// ends with, its further lines (DETAIL:, HINT:, libpq's "Is the server
// running...?") joined to the first, so that nothing ends up on a line of
// its own without the log's prefix.
std::string trimmed_message(std::string_view message);
// An exception's what(), trimmed.
std::string message_of(const std::exception &error);

}  // namespace cn::plugins

#endif
