// Names in SQL text, written one way in every plugin here: identifiers
// always quoted (so any spelling is safe and means itself), and the
// schema.table names a user gives in parameters read one way.
#ifndef CN_PLUGINS_SQL_NAMES_HPP
#define CN_PLUGINS_SQL_NAMES_HPP

#include <optional>
#include <string>
#include <string_view>

namespace cn::plugins {

// "name" with embedded double quotes doubled: an identifier of any spelling,
// safe in SQL and in replication commands. (libpqxx quotes only on a live
// connection; this is PostgreSQL's fixed rule and needs none.)
std::string quote_ident(std::string_view name);

// 'text' with embedded single quotes doubled: a string literal for a
// connection whose standard_conforming_strings is on (every server since
// 9.1), and for replication command options.
std::string quote_literal(std::string_view text);

struct QualifiedName {
  std::string schema, table;
  bool operator==(const QualifiedName &o) const { return schema == o.schema && table == o.table; }
};

// "schema.table" as a user writes it in a parameter: exactly one dot, a name
// on each side, used as written (not case-folded). nullopt otherwise, so that
// "db.schema.table" or "table" is refused rather than guessed at.
std::optional<QualifiedName> parse_qualified_name(std::string_view text);

// "schema"."table", for SQL.
std::string quoted(const QualifiedName &name);
// schema.table, for messages.
std::string display(const QualifiedName &name);

}  // namespace cn::plugins

#endif
