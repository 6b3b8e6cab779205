// The progress line's figures (progress_report.hpp).
#include "progress_report.hpp"

#include <doctest/doctest.h>

using cn::host::ProgressReport;

TEST_CASE("a sink's progress line: totals, rate, where it is in the topic, lag and time left") {
  CHECK(ProgressReport::line(120000, 40000, 30, 119999, 284281.0) ==
        "120000 records (+40000 in 30s, 1333/s); offset 119999 of 284280 (42%), lag 164281 records, ETA 2m03s");
}

TEST_CASE("caught up: no time left; a source's line has no end") {
  CHECK(ProgressReport::line(500, 0, 30, 499, 500.0) == "500 records (+0 in 30s, 0/s); offset 499 of 499 (100%), lag 0 records");
  CHECK(ProgressReport::line(7200, 3600, 3600, 7199, std::nullopt) ==
        "7200 records (+3600 in 1h00m, 1/s); offset 7199");
}
