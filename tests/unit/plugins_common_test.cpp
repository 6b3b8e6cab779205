// What the plugins share (plugins/common): the one rule for PostgreSQL
// failures, quoting, and schema.table names as users write them.
#include <postgres_errors.hpp>
#include <sql_names.hpp>

#include <doctest/doctest.h>

using namespace cn::plugins;

TEST_CASE("transient failures by SQLSTATE: connection, rollback, resources, operator intervention, object in use") {
  for (const char *sqlstate : {"08006", "08P01", "40001", "40P01", "53100", "53200", "53300", "57P01", "57P03", "57014",
                               "55006"})
    CHECK_MESSAGE(is_transient_sqlstate(sqlstate), sqlstate);
  for (const char *sqlstate : {"", "23505", "22P02", "42P01", "42501", "42704", "55000", "58P01", "XX000"})
    CHECK_FALSE_MESSAGE(is_transient_sqlstate(sqlstate), sqlstate);
}

TEST_CASE("transient failures by libpqxx's exception types, which carry no SQLSTATE for some classes") {
  CHECK(is_transient(pqxx::broken_connection("server closed the connection unexpectedly")));
  CHECK(is_transient(pqxx::in_doubt_error("commit in doubt")));
  CHECK(is_transient(pqxx::serialization_failure("could not serialize access")));
  CHECK(is_transient(pqxx::deadlock_detected("deadlock detected")));
  CHECK(is_transient(pqxx::sql_error("out of memory", "SELECT 1", "53200")));
  CHECK_FALSE(is_transient(pqxx::unique_violation("duplicate key", "INSERT", "23505")));
  CHECK_FALSE(is_transient(pqxx::sql_error("permission denied", "SELECT 1", "42501")));
}

TEST_CASE("a failed connection attempt is permanent when its message says retrying cannot help") {
  CHECK(connect_failure_is_permanent("FATAL:  password authentication failed for user \"app\""));
  CHECK(connect_failure_is_permanent("FATAL:  database \"shop\" does not exist"));
  CHECK(connect_failure_is_permanent("server does not support SSL, but SSL was required"));
  CHECK_FALSE(connect_failure_is_permanent("connection to server at \"127.0.0.1\", port 5432 failed: Connection refused"));
  CHECK_FALSE(connect_failure_is_permanent("SSL SYSCALL error: EOF detected"));
  CHECK_FALSE(connect_failure_is_permanent("FATAL:  the database system is starting up"));
}

TEST_CASE("messages lose PostgreSQL's trailing newline") {
  CHECK(trimmed_message("ERROR:  boom\n") == "ERROR:  boom");
  CHECK(message_of(std::runtime_error("lost \n \n")) == "lost");
}

TEST_CASE("identifiers and literals are quoted whatever they hold") {
  CHECK(quote_ident("dog") == "\"dog\"");
  CHECK(quote_ident("we\"ird") == "\"we\"\"ird\"");
  CHECK(quote_ident("") == "\"\"");
  CHECK(quote_literal("O'Brien") == "'O''Brien'");
  CHECK(quoted(QualifiedName{"my schema", "T\"1"}) == "\"my schema\".\"T\"\"1\"");
  CHECK(display(QualifiedName{"public", "dog"}) == "public.dog");
}

TEST_CASE("schema.table: exactly one dot with a name on each side, used as written") {
  CHECK(parse_qualified_name("public.Dog") == QualifiedName{"public", "Dog"});
  for (const char *bad : {"dog", ".dog", "public.", "db.public.dog", "", "."})
    CHECK_FALSE_MESSAGE(parse_qualified_name(bad).has_value(), bad);
}
