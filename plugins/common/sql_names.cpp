#include "sql_names.hpp"

namespace cn::plugins {

namespace {

std::string quoted_with(std::string_view text, char quote) {
  std::string out;
  out.reserve(text.size() + 2);
  out += quote;
  for (char c : text) {
    if (c == quote) out += quote;
    out += c;
  }
  out += quote;
  return out;
}

}  // namespace

std::string quote_ident(std::string_view name) { return quoted_with(name, '"'); }

std::string quote_literal(std::string_view text) { return quoted_with(text, '\''); }

std::optional<QualifiedName> parse_qualified_name(std::string_view text) {
  const std::size_t dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == text.size() ||
      text.find('.', dot + 1) != std::string_view::npos)
    return std::nullopt;
  return QualifiedName{std::string(text.substr(0, dot)), std::string(text.substr(dot + 1))};
}

std::string quoted(const QualifiedName &name) { return quote_ident(name.schema) + "." + quote_ident(name.table); }

std::string display(const QualifiedName &name) { return name.schema + "." + name.table; }

}  // namespace cn::plugins
