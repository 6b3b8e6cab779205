// The host's log: one line per message on stderr, filtered by level, with
// every secret value masked before it is written; as text, or one JSON
// object per line for log shippers (--log-format json):
//   {"time":"2026-12-02T21:00:00.399Z","level":"warn","source":"postgres-sink",
//    "connector":"sink","offset":12,"message":"..."}
// offset: the first offset of the plugin call the line was written in, when
// it was given one (consume, commit, ack).
#ifndef CN_HOST_LOG_HPP
#define CN_HOST_LOG_HPP

#include "redactor.hpp"

#include <cn/loader.hpp>

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace cn::host {

// message as one line, so that a log collector sees one event per line:
// each line break inside it ("\n", "\r\n" or a lone "\r", as in the
// DETAIL: and CONTEXT: lines of a PostgreSQL error) becomes " | "; line
// breaks at its end are dropped.
std::string one_line(std::string_view message);

// Parses "trace", "debug", "info", "warn" or "error".
std::optional<cn_log_level> parse_log_level(std::string_view name);

class Logger : public LogSink {
 public:
  explicit Logger(cn_log_level min_level = CN_LOG_INFO) : min_level_(min_level) {}

  enum class Format { text, json };

  void set_level(cn_log_level level) { min_level_ = level; }
  void set_format(Format format) { format_ = format; }
  // The connector's name, for JSON lines.
  void set_connector(std::string name) {
    std::lock_guard<std::mutex> lock(mutex_);
    connector_ = std::move(name);
  }
  // What to mask in every line from now on (Redactor::add, add_passwords_in).
  void add_secret(std::string_view secret);
  void add_passwords_in(std::string_view text);
  // text with every secret masked, as write() masks it.
  std::string redact(std::string_view text);

  // Thread-safe. source names who speaks: a plugin name, or "host". Writes
  // one line whatever message holds (one_line).
  void write(cn_log_level level, std::string_view source, std::string_view message) override;

  void info(std::string_view m) { write(CN_LOG_INFO, "host", m); }
  void warn(std::string_view m) { write(CN_LOG_WARN, "host", m); }
  void error(std::string_view m) { write(CN_LOG_ERROR, "host", m); }
  void debug(std::string_view m) { write(CN_LOG_DEBUG, "host", m); }

 private:
  std::mutex mutex_;
  cn_log_level min_level_;
  Format format_ = Format::text;
  std::string connector_;
  Redactor redactor_;
};

}  // namespace cn::host

#endif
