#include "redactor.hpp"

#include <algorithm>

namespace cn::host {

namespace {

// The password of scheme://user:password@host..., or empty.
std::string_view url_password(std::string_view url) {
  std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string_view rest = url.substr(scheme_end + 3);
  std::size_t at = rest.find('@');
  if (at == std::string_view::npos) return {};
  std::string_view userinfo = rest.substr(0, at);
  std::size_t colon = userinfo.find(':');
  return colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1);
}

}  // namespace

void Redactor::add(std::string_view secret) {
  for (std::string_view value : {secret, url_password(secret)}) {
    if (value.size() < 3) continue;
    if (std::find(secrets_.begin(), secrets_.end(), value) != secrets_.end()) continue;
    secrets_.emplace_back(value);
  }
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string &a, const std::string &b) { return a.size() > b.size(); });
}

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  for (const std::string &secret : secrets_)
    for (std::size_t at = out.find(secret); at != std::string::npos; at = out.find(secret, at + 3))
      out.replace(at, secret.size(), "***");
  return out;
}

}  // namespace cn::host
