// The host's log: what --log-level accepts.
#include "log.hpp"

#include <doctest/doctest.h>

TEST_CASE("log levels parse by name") {
  CHECK(cn::host::parse_log_level("warn") == CN_LOG_WARN);
  CHECK(cn::host::parse_log_level("trace") == CN_LOG_TRACE);
  CHECK_FALSE(cn::host::parse_log_level("loud").has_value());
}
