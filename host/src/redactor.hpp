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
//
// Values shorter than 3 characters are never masked: masking them would
// mangle every message without protecting anything.
class Redactor {
 public:
  // Adds a secret value, and the passwords written inside it (as
  // add_passwords_in), so that a plugin that logs a parsed URL leaks
  // nothing either.
  void add(std::string_view secret);

  // Adds the passwords written inside text, but not text itself: the
  // password of each URL with one (scheme://user:PASSWORD@host..., as
  // written and percent-decoded) and the value of each password=VALUE (a
  // key=value connection string, or a URL's query). For a value that is
  // not secret as a whole: a database URL whose host and database help a
  // reader of the log, but whose password must not reach it.
  void add_passwords_in(std::string_view text);

  std::string redact(std::string_view text) const;

 private:
  void add_one(std::string_view value);
  std::vector<std::string> secrets_;  // longest first
};

}  // namespace cn::host

#endif
