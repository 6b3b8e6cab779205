#include "sql.hpp"

namespace pgsink {

// pqxx offers quote_name() only on a live connection; identifiers here are
// also built for messages and before connecting, and PostgreSQL's rule is
// simple and fixed: wrap in double quotes, double any inside.
std::string quote_ident(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out += '"';
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string quoted(const TableName &name) { return quote_ident(name.schema) + "." + quote_ident(name.table); }

std::string display(const TableName &name) { return name.schema + "." + name.table; }

void append_array_element(std::string &literal, const Value &value) {
  if (value.kind != Value::Kind::text) {
    literal += "NULL";
    return;
  }
  literal += '"';
  for (char c : value.text) {
    if (c == '"' || c == '\\') literal += '\\';
    literal += c;
  }
  literal += '"';
}

void append_copy_value(std::string &data, const Value &value) {
  if (value.kind != Value::Kind::text) {
    data += "\\N";
    return;
  }
  for (char c : value.text) {
    switch (c) {
      case '\\': data += "\\\\"; break;
      case '\t': data += "\\t"; break;
      case '\n': data += "\\n"; break;
      case '\r': data += "\\r"; break;
      default: data += c;
    }
  }
}

}  // namespace pgsink
