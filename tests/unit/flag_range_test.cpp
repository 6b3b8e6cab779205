// Numeric flags: a whole number within its range, or a message that says
// the range.
#include "flag_range.hpp"

#include <doctest/doctest.h>

using namespace cn::host;

TEST_CASE("a whole number within the range is taken, ends included") {
  CHECK(parse_flag("--n", "1", {1, 10}) == 1);
  CHECK(parse_flag("--n", "10", {1, 10}) == 10);
  CHECK(parse_flag("--n", "-3", {-5, 0}) == -3);
}

TEST_CASE("anything else is a UsageError that names the flag and the range") {
  CHECK_THROWS_WITH_AS(parse_flag("--batch-records", "0", {1, 10000000}), "--batch-records must be 1..10000000, got 0",
                       UsageError);
  CHECK_THROWS_WITH_AS(parse_flag("--n", "-1", {1, 10}), "--n must be 1..10, got -1", UsageError);
  CHECK_THROWS_WITH_AS(parse_flag("--n", "11", {1, 10}), "--n must be 1..10, got 11", UsageError);
  CHECK_THROWS_WITH_AS(parse_flag("--n", "99999999999999999999", {1, 10}), "--n must be 1..10, got 99999999999999999999",
                       UsageError);
  CHECK_THROWS_WITH_AS(parse_flag("--n", "", {1, 10}), "--n must be a whole number 1..10, got ''", UsageError);
  CHECK_THROWS_WITH_AS(parse_flag("--n", "5x", {1, 10}), "--n must be a whole number 1..10, got '5x'", UsageError);
  CHECK_THROWS_WITH_AS(parse_flag("--n", "+5", {1, 10}), "--n must be a whole number 1..10, got '+5'", UsageError);
  CHECK_THROWS_WITH_AS(parse_flag("--n", " 5", {1, 10}), "--n must be a whole number 1..10, got ' 5'", UsageError);
}
