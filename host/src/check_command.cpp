#include "check_command.hpp"

#include "run.hpp"

#include <unistd.h>

#include <iostream>
#include <string>

namespace cn::host {

namespace {

CheckReport empty_report(const ConnectorConfig &config, const Plugin &plugin) {
  return CheckReport{config.name, plugin.name(), plugin.version(), plugin.path().string(), {}};
}

// Collects the findings of one call, secrets masked as in the log.
FindingFn collect_into(CheckReport &report, Logger &log) {
  return [&report, &log](cn_check_level level, std::string_view subject, std::string_view detail) {
    report.findings.push_back(Finding{level, log.redact(subject), log.redact(detail)});
  };
}

// Runs check() or teardown() (call), adding to report. Returns the exit code
// for what it returned: CN_ERROR becomes a FAIL finding (the report still
// prints), CN_INVALID_CONFIG an error logged (no report).
template <class Call>
int run_into(CheckReport &report, const Plugin &plugin, const char *callback, Logger &log, Call &&call) {
  const CallResult r = call(collect_into(report, log));
  if (r.status == CN_INVALID_CONFIG) {
    log.error(who(plugin) + ": " + callback + " refused the configuration: " + r.error);
    return kExitUsage;
  }
  if (!r.ok()) {
    report.findings.push_back(Finding{CN_CHECK_FAIL, callback, log.redact(r.error)});
    return kExitFailed;
  }
  return kExitOk;
}

// Asks before a teardown. Returns -1 to go on, else the exit code.
int confirm_drop(const ConnectorConfig &config, const Plugin &plugin) {
  if (!isatty(STDIN_FILENO)) {
    std::cerr << "connector-host: --drop asks for confirmation: add --yes to run it without a terminal\n";
    return kExitUsage;
  }
  std::cerr << "This removes what connector '" << config.name << "' (" << plugin.name()
            << ") keeps outside the topic: its replication slot and publication, or its offset and relation rows. "
               "Continue? [y/N] "
            << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  if (is_yes(answer)) return -1;
  std::cout << "nothing removed\n";
  return kExitOk;
}

}  // namespace

int check_connector(const ConnectorConfig &config, const Plugin &plugin, ReportFormat format, Logger &log) {
  CheckReport report = empty_report(config, plugin);
  int code = kExitOk;
  if (plugin.can_check()) {
    const std::string json = config.plugin_json();
    code = run_into(report, plugin, "check", log,
                    [&](const FindingFn &on_finding) { return plugin.run_check(log, json, on_finding); });
    if (code == kExitUsage) return code;
  } else {
    report.findings.push_back(Finding{CN_CHECK_INFO, "check",
                                      plugin.name() + " cannot check its connection (no check callback): "
                                                      "only the configuration was checked"});
  }
  print_check_report(std::cout, report, format);
  return report.failures() == 0 ? kExitOk : kExitFailed;
}

int drop_connector(const ConnectorConfig &config, const Plugin &plugin, bool yes, ReportFormat format, Logger &log) {
  if (!plugin.can_teardown()) {
    log.error(plugin.name() + " cannot tear down (no teardown callback)");
    return kExitUsage;
  }
  if (!yes)
    if (int code = confirm_drop(config, plugin); code >= 0) return code;
  CheckReport report = empty_report(config, plugin);
  const std::string json = config.plugin_json();
  const int code = run_into(report, plugin, "teardown", log,
                            [&](const FindingFn &on_finding) { return plugin.run_teardown(log, json, on_finding); });
  if (code == kExitUsage) return code;
  print_drop_report(std::cout, report, code == kExitOk, format);
  return code;
}

}  // namespace cn::host
