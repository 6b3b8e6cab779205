#include "postgres_errors.hpp"

namespace cn_plugins {

std::string trimmed_message(std::string message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

bool connect_failure_is_permanent(const std::string &message) {
  static const char *const kPermanent[] = {"does not exist", "authentication failed", "no pg_hba.conf entry",
                                           "certificate", "server does not support SSL", "invalid connection option",
                                           "invalid URI", "invalid sslmode", "missing \"=\""};
  for (const char *marker : kPermanent)
    if (message.find(marker) != std::string::npos) return true;
  return false;
}

}  // namespace cn_plugins
