#include "log.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <utility>

namespace cn::host {

std::optional<cn_log_level> parse_log_level(std::string_view name) {
  static constexpr std::pair<std::string_view, cn_log_level> kLevels[] = {
      {"trace", CN_LOG_TRACE}, {"debug", CN_LOG_DEBUG}, {"info", CN_LOG_INFO},
      {"warn", CN_LOG_WARN},   {"error", CN_LOG_ERROR}};
  for (const auto &[level_name, level] : kLevels)
    if (level_name == name) return level;
  return std::nullopt;
}

std::string one_line(std::string_view message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.remove_suffix(1);
  std::string line;
  line.reserve(message.size());
  for (std::size_t i = 0; i < message.size(); ++i) {
    char c = message[i];
    if (c != '\n' && c != '\r') {
      line += c;
      continue;
    }
    if (c == '\r' && i + 1 < message.size() && message[i + 1] == '\n') ++i;  // CRLF: one break
    line += " | ";
  }
  return line;
}

namespace {

const char *level_tag(cn_log_level level) {
  switch (level) {
    case CN_LOG_TRACE: return "TRACE";
    case CN_LOG_DEBUG: return "DEBUG";
    case CN_LOG_INFO: return "INFO ";
    case CN_LOG_WARN: return "WARN ";
    case CN_LOG_ERROR: return "ERROR";
  }
  return "?????";
}

const char *level_name(cn_log_level level) {
  switch (level) {
    case CN_LOG_TRACE: return "trace";
    case CN_LOG_DEBUG: return "debug";
    case CN_LOG_INFO: return "info";
    case CN_LOG_WARN: return "warn";
    case CN_LOG_ERROR: return "error";
  }
  return "unknown";
}

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::ASCII<>>;

// text as a JSON string can hold it: itself when it is UTF-8, else its
// bytes read as Latin-1 (a plugin may log any bytes).
std::string as_utf8(const std::string &text) {
  rapidjson::StringBuffer scratch;
  JsonWriter probe(scratch);
  if (probe.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()))) return text;
  std::string latin1;
  for (unsigned char c : text) {
    if (c < 0x80) {
      latin1 += static_cast<char>(c);
    } else {
      latin1 += static_cast<char>(0xC0 | (c >> 6));
      latin1 += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return latin1;
}

std::string json_line(const char *time, cn_log_level level, std::string_view source, const std::string &connector,
                      const std::string &message) {
  rapidjson::StringBuffer out;
  JsonWriter w(out);
  auto string = [&w](const std::string &text) {
    const std::string utf8 = as_utf8(text);
    w.String(utf8.c_str(), static_cast<rapidjson::SizeType>(utf8.size()));
  };
  w.StartObject();
  w.Key("time");
  w.String(time);
  w.Key("level");
  w.String(level_name(level));
  w.Key("source");
  string(std::string(source));
  if (!connector.empty()) {
    w.Key("connector");
    string(connector);
  }
  const cn::PluginCallSite call = cn::current_plugin_call();
  if (call.plugin && call.first_offset >= 0) {
    w.Key("offset");
    w.Int64(call.first_offset);
  }
  w.Key("message");
  string(message);
  w.EndObject();
  return out.GetString();
}

}  // namespace

void Logger::add_secret(std::string_view secret) {
  std::lock_guard<std::mutex> lock(mutex_);
  redactor_.add(secret);
}

void Logger::add_passwords_in(std::string_view text) {
  std::lock_guard<std::mutex> lock(mutex_);
  redactor_.add_passwords_in(text);
}

std::string Logger::redact(std::string_view text) {
  std::lock_guard<std::mutex> lock(mutex_);
  return redactor_.redact(text);
}

void Logger::write(cn_log_level level, std::string_view source, std::string_view message) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (level < min_level_) return;
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  long millis = static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  std::string line = one_line(redactor_.redact(message));  // masked first: a secret may span lines
  if (format_ == Format::json) {
    char time[48];
    std::snprintf(time, sizeof time, "%s.%03ldZ", stamp, millis);
    const std::string json = json_line(time, level, source, connector_, line);
    std::fprintf(stderr, "%s\n", json.c_str());
  } else {
    std::fprintf(stderr, "%s.%03ldZ %s %.*s: %s\n", stamp, millis, level_tag(level),
                 static_cast<int>(source.size()), source.data(), line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace cn::host
