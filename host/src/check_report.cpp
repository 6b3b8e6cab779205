#include "check_report.hpp"

#include <rapidjson/ostreamwrapper.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <ostream>

namespace cn::host {

std::optional<ReportFormat> parse_report_format(std::string_view name) {
  if (name == "text") return ReportFormat::text;
  if (name == "json") return ReportFormat::json;
  return std::nullopt;
}

std::size_t CheckReport::failures() const {
  return static_cast<std::size_t>(std::count_if(findings.begin(), findings.end(),
                                                [](const Finding &f) { return f.level == CN_CHECK_FAIL; }));
}

const char *level_name(cn_check_level level) {
  switch (level) {
    case CN_CHECK_OK: return "OK";
    case CN_CHECK_INFO: return "INFO";
    case CN_CHECK_WARN: return "WARN";
    case CN_CHECK_FAIL: return "FAIL";
  }
  return "FAIL";
}

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string problems(std::size_t n) { return std::to_string(n) + (n == 1 ? " problem" : " problems"); }

void print_text(std::ostream &out, const CheckReport &r, std::string_view what, bool config_line) {
  out << what << " of connector '" << r.connector << "': plugin " << r.plugin << " " << r.version << " ("
      << r.path << ")\n";
  if (config_line) out << "  OK    config: valid\n";
  for (const Finding &f : r.findings) {
    std::string tag = level_name(f.level);
    tag.resize(6, ' ');
    out << "  " << tag << f.subject << (f.detail.empty() ? "" : ": ") << f.detail << "\n";
  }
}

using JsonWriter = rapidjson::Writer<rapidjson::OStreamWrapper>;

void write_string(JsonWriter &w, std::string_view text) {
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

// {connector, plugin, version, [config,] findings, VERDICT: verdict}
void print_json(std::ostream &out, const CheckReport &r, bool config_line, const char *verdict_key, bool verdict) {
  rapidjson::OStreamWrapper stream(out);
  JsonWriter w(stream);
  w.StartObject();
  w.Key("connector"), write_string(w, r.connector);
  w.Key("plugin"), write_string(w, r.plugin);
  w.Key("version"), write_string(w, r.version);
  if (config_line) w.Key("config"), w.String("ok");
  w.Key("findings");
  w.StartArray();
  for (const Finding &f : r.findings) {
    w.StartObject();
    w.Key("level"), write_string(w, lower(level_name(f.level)));
    w.Key("subject"), write_string(w, f.subject);
    w.Key("detail"), write_string(w, f.detail);
    w.EndObject();
  }
  w.EndArray();
  w.Key(verdict_key), w.Bool(verdict);
  w.EndObject();
  out << "\n";
}

}  // namespace

void print_check_report(std::ostream &out, const CheckReport &report, ReportFormat format) {
  const std::size_t failures = report.failures();
  if (format == ReportFormat::json) return print_json(out, report, true, "can_run", failures == 0);
  print_text(out, report, "check", true);
  out << (failures == 0 ? std::string("can run") : "cannot run: " + problems(failures)) << "\n";
}

void print_drop_report(std::ostream &out, const CheckReport &report, bool done, ReportFormat format) {
  if (format == ReportFormat::json) return print_json(out, report, false, "done", done);
  print_text(out, report, "teardown", false);
  out << (done ? "done" : "teardown failed") << "\n";
}

bool is_yes(std::string_view answer) {
  while (!answer.empty() && std::isspace(static_cast<unsigned char>(answer.back()))) answer.remove_suffix(1);
  while (!answer.empty() && std::isspace(static_cast<unsigned char>(answer.front()))) answer.remove_prefix(1);
  const std::string a = lower(answer);
  return a == "y" || a == "yes";
}

}  // namespace cn::host
