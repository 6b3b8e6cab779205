// connector-host --check and --drop: a plugin's check() and teardown(),
// called once the configuration has passed the checks a run makes, with
// their findings printed (check_report.hpp). No instance is opened and the
// topic is never touched.
#ifndef CN_HOST_CHECK_COMMAND_HPP
#define CN_HOST_CHECK_COMMAND_HPP

#include "check_report.hpp"
#include "config.hpp"
#include "log.hpp"

#include <cn/loader.hpp>

#include <iosfwd>

namespace cn::host {

// --check: prints the report on stdout. Returns 0 when the connector can run
// (no FAIL), 1 when it cannot (a FAIL, or check() could not look), 2 when
// check() found the configuration wrong (CN_INVALID_CONFIG, logged). A
// plugin without check() gets the configuration's check alone, and an INFO
// saying so.
int check_connector(const ConnectorConfig &config, const Plugin &plugin, ReportFormat format, Logger &log);

// --drop: unless yes, asks on the terminal first (in: its answer; exit 2
// when stdin is not a terminal, 0 with "nothing removed" unless the answer
// is y or yes), then calls teardown() and prints its findings. Returns 0
// when it ran, 1 on CN_ERROR, 2 on CN_INVALID_CONFIG or for a plugin
// without teardown().
int drop_connector(const ConnectorConfig &config, const Plugin &plugin, bool yes, ReportFormat format, Logger &log);

}  // namespace cn::host

#endif
