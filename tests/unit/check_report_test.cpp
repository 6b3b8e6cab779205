// What --check and --drop print (host/src/check_report.hpp).
#include "check_report.hpp"

#include <doctest/doctest.h>

#include <sstream>

using namespace cn::host;

namespace {

CheckReport sample(bool with_failure) {
  CheckReport r{"orders", "pg", "1.0.0", "/p/pg.so", {}};
  r.findings.push_back({CN_CHECK_OK, "wal_level", "logical"});
  r.findings.push_back({CN_CHECK_WARN, "table t", "no key \"id\" (fix: add one)"});
  if (with_failure) r.findings.push_back({CN_CHECK_FAIL, "slot s", "missing"});
  return r;
}

}  // namespace

TEST_CASE("the text report: a header, one aligned line per finding, the verdict") {
  std::ostringstream out;
  print_check_report(out, sample(true), ReportFormat::text);
  CHECK(out.str() ==
        "check of connector 'orders': plugin pg 1.0.0 (/p/pg.so)\n"
        "  OK    config: valid\n"
        "  OK    wal_level: logical\n"
        "  WARN  table t: no key \"id\" (fix: add one)\n"
        "  FAIL  slot s: missing\n"
        "cannot run: 1 problem\n");
}

TEST_CASE("the json report escapes text and gives the verdict as a bool") {
  std::ostringstream out;
  print_check_report(out, sample(false), ReportFormat::json);
  CHECK(out.str() ==
        "{\"connector\":\"orders\",\"plugin\":\"pg\",\"version\":\"1.0.0\",\"config\":\"ok\",\"findings\":["
        "{\"level\":\"ok\",\"subject\":\"wal_level\",\"detail\":\"logical\"},"
        "{\"level\":\"warn\",\"subject\":\"table t\",\"detail\":\"no key \\\"id\\\" (fix: add one)\"}],"
        "\"can_run\":true}\n");
}

TEST_CASE("the drop report ends with done or teardown failed") {
  std::ostringstream done, failed;
  print_drop_report(done, sample(false), true, ReportFormat::text);
  print_drop_report(failed, sample(false), false, ReportFormat::text);
  CHECK(done.str().rfind("teardown of connector 'orders'", 0) == 0);
  CHECK(done.str().find("config: valid") == std::string::npos);
  CHECK(done.str().substr(done.str().size() - 5) == "done\n");
  CHECK(failed.str().substr(failed.str().size() - 16) == "teardown failed\n");
}

TEST_CASE("only y or yes confirms; formats are text and json") {
  for (const char *yes : {"y", "Y", "yes", " YES \n"}) CHECK(is_yes(yes));
  for (const char *no : {"", "n", "no", "yess", "sure"}) CHECK_FALSE(is_yes(no));
  CHECK(parse_report_format("text") == ReportFormat::text);
  CHECK(parse_report_format("json") == ReportFormat::json);
  CHECK_FALSE(parse_report_format("yaml"));
}
