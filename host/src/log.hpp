// The host's log: one line per message on stderr, filtered by level, with
// every secret value masked before it is written.
#ifndef CN_HOST_LOG_HPP
#define CN_HOST_LOG_HPP

#include <cn/loader.hpp>

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cn::host {

// Parses "trace", "debug", "info", "warn" or "error".
std::optional<cn_log_level> parse_log_level(std::string_view name);

// Replaces each occurrence of a secret in text by "***". Longer secrets are
// masked first, so one that contains another is masked whole.
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

class Logger : public LogSink {
 public:
  explicit Logger(cn_log_level min_level = CN_LOG_INFO) : min_level_(min_level) {}

  void set_level(cn_log_level level) { min_level_ = level; }
  void add_secret(std::string_view secret);

  // Thread-safe. source names who speaks: a plugin name, or "host".
  void write(cn_log_level level, std::string_view source, std::string_view message) override;

  void info(std::string_view m) { write(CN_LOG_INFO, "host", m); }
  void warn(std::string_view m) { write(CN_LOG_WARN, "host", m); }
  void error(std::string_view m) { write(CN_LOG_ERROR, "host", m); }
  void debug(std::string_view m) { write(CN_LOG_DEBUG, "host", m); }

 private:
  std::mutex mutex_;
  cn_log_level min_level_;
  Redactor redactor_;
};

}  // namespace cn::host

#endif
