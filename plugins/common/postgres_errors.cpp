#include "postgres_errors.hpp"

#include <cctype>

namespace cn::plugins {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

}  // namespace

bool is_transient_sqlstate(std::string_view sqlstate) {
  for (std::string_view transient_class : {"08", "40", "53", "57"})
    if (starts_with(sqlstate, transient_class)) return true;
  return sqlstate == "55006";  // object_in_use
}

bool is_transient(const pqxx::failure &error) {
  if (dynamic_cast<const pqxx::broken_connection *>(&error) || dynamic_cast<const pqxx::in_doubt_error *>(&error) ||
      dynamic_cast<const pqxx::transaction_rollback *>(&error))
    return true;
  const auto *sql = dynamic_cast<const pqxx::sql_error *>(&error);
  return sql && is_transient_sqlstate(sql->sqlstate());
}

bool is_insufficient_privilege(const pqxx::sql_error &error) {
  return dynamic_cast<const pqxx::insufficient_privilege *>(&error) || error.sqlstate() == "42501";
}

bool connect_failure_is_permanent(std::string_view message) {
  static constexpr std::string_view kPermanent[] = {
      "does not exist", "authentication failed", "no pg_hba.conf entry", "certificate",
      "server does not support SSL", "invalid connection option", "invalid URI", "invalid sslmode", "missing \"=\""};
  for (std::string_view marker : kPermanent)
    if (message.find(marker) != std::string_view::npos) return true;
  return false;
}

std::string trimmed_message(std::string_view message) {
  std::string line;
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] != '\n' && message[i] != '\r') {
      line += message[i];
      continue;
    }
    while (i + 1 < message.size() && std::isspace(static_cast<unsigned char>(message[i + 1]))) ++i;
    if (i + 1 < message.size() && !line.empty())  // a line follows: joined, as one sentence goes on
      line += std::ispunct(static_cast<unsigned char>(line.back())) ? " " : "; ";
  }
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
  return line;
}

std::string message_of(const std::exception &error) { return trimmed_message(error.what()); }

}  // namespace cn::plugins
