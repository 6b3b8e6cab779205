// What --check and --drop print: the findings a plugin's check() or
// teardown() reported, as text for people or as one JSON object.
#ifndef CN_HOST_CHECK_REPORT_HPP
#define CN_HOST_CHECK_REPORT_HPP

#include <cn/plugin.h>

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cn::host {

enum class ReportFormat { text, json };

// Parses "text" or "json".
std::optional<ReportFormat> parse_report_format(std::string_view name);

struct Finding {
  cn_check_level level = CN_CHECK_INFO;
  std::string subject, detail;
};

struct CheckReport {
  std::string connector, plugin, version, path;
  std::vector<Finding> findings;  // secrets already masked

  // The FAIL findings: the problems that keep the connector from running.
  std::size_t failures() const;
};

// "OK", "INFO", "WARN", "FAIL".
const char *level_name(cn_check_level level);

// --check. Text: a header naming the connector and the plugin, "config: ok",
// one line per finding ("  WARN  SUBJECT: DETAIL"), then "can run" or
// "cannot run: N problems". JSON: {connector, plugin, version, config: "ok",
// findings: [{level, subject, detail}], can_run}.
void print_check_report(std::ostream &out, const CheckReport &report, ReportFormat format);

// --drop, once teardown() returned: the same lines, then "done" or
// "teardown failed" (done: it returned CN_OK). JSON: {connector, plugin,
// version, findings, done}.
void print_drop_report(std::ostream &out, const CheckReport &report, bool done, ReportFormat format);

// True when answer (a line typed by the user) is y or yes, in any case.
bool is_yes(std::string_view answer);

}  // namespace cn::host

#endif
