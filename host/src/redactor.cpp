#include "redactor.hpp"

#include <algorithm>
#include <cctype>

namespace cn::host {

namespace {

constexpr std::size_t kShortest = 3;  // see Redactor

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// %XX sequences decoded; others left as they are.
std::string percent_decoded(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    int hi = s[i] == '%' && i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
    int lo = hi >= 0 ? hex_digit(s[i + 2]) : -1;
    if (lo >= 0) {
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The password of each scheme://user:PASSWORD@ in text. As libpq reads a
// URL, the user information ends at the first '@' and holds no '/'.
std::vector<std::string> url_passwords(std::string_view text) {
  std::vector<std::string> found;
  for (std::size_t at = text.find("://"); at != std::string_view::npos; at = text.find("://", at + 3)) {
    std::string_view rest = text.substr(at + 3);
    std::size_t end = rest.find_first_of("@/");
    if (end == std::string_view::npos || rest[end] != '@') continue;
    std::string_view userinfo = rest.substr(0, end);
    if (std::any_of(userinfo.begin(), userinfo.end(), is_space)) continue;  // not one URL
    std::size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view password = userinfo.substr(colon + 1);
    found.emplace_back(password);
    found.push_back(percent_decoded(password));
  }
  return found;
}

// The value of each password=VALUE in text (any case, spaces around '='
// allowed, VALUE in single quotes or up to the next space), and, for a
// URL's query, the value up to the next '&' too.
std::vector<std::string> key_value_passwords(std::string_view text) {
  static constexpr std::string_view kKey = "password";
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::vector<std::string> found;
  for (std::size_t at = lower.find(kKey); at != std::string::npos; at = lower.find(kKey, at + 1)) {
    std::size_t i = at + kKey.size();
    while (i < text.size() && is_space(text[i])) ++i;
    if (i >= text.size() || text[i] != '=') continue;
    for (++i; i < text.size() && is_space(text[i]);) ++i;
    if (i < text.size() && text[i] == '\'') {
      std::size_t close = text.find('\'', i + 1);
      found.emplace_back(text.substr(i + 1, close == std::string_view::npos ? close : close - i - 1));
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && !is_space(text[end])) ++end;
    std::string_view value = text.substr(i, end - i);
    found.emplace_back(value);
    found.emplace_back(value.substr(0, value.find('&')));
  }
  return found;
}

}  // namespace

void Redactor::add_one(std::string_view value) {
  if (value.size() < kShortest) return;
  if (std::find(secrets_.begin(), secrets_.end(), value) != secrets_.end()) return;
  secrets_.emplace_back(value);
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string &a, const std::string &b) { return a.size() > b.size(); });
}

void Redactor::add(std::string_view secret) {
  add_one(secret);
  add_passwords_in(secret);
}

void Redactor::add_passwords_in(std::string_view text) {
  for (const std::string &password : url_passwords(text)) add_one(password);
  for (const std::string &password : key_value_passwords(text)) add_one(password);
}

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  for (const std::string &secret : secrets_)
    for (std::size_t at = out.find(secret); at != std::string::npos; at = out.find(secret, at + 3))
      out.replace(at, secret.size(), "***");
  return out;
}

}  // namespace cn::host
