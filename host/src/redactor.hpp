// Masking secret values in text, so that none reaches the log or an error
// message, whoever wrote it (the host or a plugin).
#ifndef CN_HOST_REDACTOR_HPP
#define CN_HOST_REDACTOR_HPP

#include <string>
#include <string_view>
#include <vector>

namespace cn::host {

// Replaces each occurrence of a secret in text by "***". Longer secrets are
// masked first, so one that contains another is masked whole. Not
// thread-safe: Logger serialises its use.
class Redactor {
 public:
  // Adds a secret value; if it is a URL with a password (scheme://user:pw@),
  // the password alone is added too, so a plugin that logs a parsed URL
  // leaks nothing either. Values shorter than 3 characters are ignored:
  // masking them would mangle every message without protecting anything.
  void add(std::string_view secret);
  std::string redact(std::string_view text) const;

 private:
  std::vector<std::string> secrets_;  // longest first
};

}  // namespace cn::host

#endif
