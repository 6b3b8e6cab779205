// The host's metric registry (host/src/metrics.hpp) and the series it keeps
// (cn::MetricCell): what a scrape sees, and the registrations it refuses.
#include "metrics.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

using cn::host::Metrics;

namespace {

const prometheus::MetricFamily *family(const std::vector<prometheus::MetricFamily> &all, const std::string &name) {
  for (const auto &f : all)
    if (f.name == name) return &f;
  return nullptr;
}

cn::MetricSpec spec(cn_metric_kind kind, const std::string &name, std::vector<double> buckets = {}) {
  cn::MetricSpec s;
  s.kind = kind;
  s.name = name;
  s.help = "help";
  s.buckets = std::move(buckets);
  return s;
}

}  // namespace

TEST_CASE("a histogram counts each value in the first bucket whose bound holds it; the count equals +Inf's") {
  Metrics metrics(cn::host::MetricLabels{{"connector", "c"}});
  cn::MetricCell &h = metrics.histogram("test_seconds", "help", {0.1, 1});
  for (double v : {0.05, 0.1, 0.5, 2.0}) h.observe(v);
  const auto all = metrics.Collect();
  const auto *f = family(all, "test_seconds");
  REQUIRE(f);
  const auto &m = f->metric.at(0).histogram;
  REQUIRE(m.bucket.size() == 3);
  CHECK(m.bucket[0].cumulative_count == 2);  // le 0.1: 0.05 and 0.1
  CHECK(m.bucket[1].cumulative_count == 3);  // le 1
  CHECK(m.bucket[2].cumulative_count == 4);  // +Inf
  CHECK(std::isinf(m.bucket[2].upper_bound));
  CHECK(m.sample_count == 4);
  CHECK(m.sample_sum == doctest::Approx(2.65));
  CHECK(f->metric.at(0).label.at(0).value == "c");
}

TEST_CASE("a counter only grows; a gauge goes both ways") {
  Metrics metrics(cn::host::MetricLabels{});
  cn::MetricCell &c = metrics.counter("test_total", "help");
  c.add(2);
  c.add(-1);
  c.set(10);
  CHECK(c.value() == 2);
  cn::MetricCell &g = metrics.gauge("test_level", "help");
  g.add(2);
  g.add(-5);
  CHECK(g.value() == -3);
  g.set(7);
  CHECK(g.value() == 7);
}

TEST_CASE("a plugin's registrations: its own prefix, valid names and buckets, one kind per name") {
  Metrics metrics(cn::host::MetricLabels{});
  std::string problem;
  CHECK(metrics.register_metric("postgres-sink", spec(CN_METRIC_COUNTER, "postgres_sink_rows_total"), problem));
  CHECK(metrics.register_metric("postgres-sink", spec(CN_METRIC_COUNTER, "postgres_sink_rows_total"), problem) ==
        metrics.register_metric("postgres-sink", spec(CN_METRIC_COUNTER, "postgres_sink_rows_total"), problem));

  CHECK_FALSE(metrics.register_metric("postgres-sink", spec(CN_METRIC_GAUGE, "connector_state"), problem));
  CHECK(problem == "a plugin's metric names start with 'postgres_sink_'");
  CHECK_FALSE(metrics.register_metric("postgres-sink", spec(CN_METRIC_GAUGE, "postgres_sink_rows_total"), problem));
  CHECK(problem.find("registered already as a counter") != std::string::npos);
  CHECK_FALSE(metrics.register_metric("postgres-sink", spec(CN_METRIC_GAUGE, "postgres_sink_bad-name"), problem));
  CHECK(problem.find("is not a Prometheus metric name") != std::string::npos);
  for (std::vector<double> buckets : {std::vector<double>{}, std::vector<double>{1, 1},
                                      std::vector<double>{1, std::numeric_limits<double>::infinity()}}) {
    CHECK_FALSE(metrics.register_metric("postgres-sink", spec(CN_METRIC_HISTOGRAM, "postgres_sink_h", buckets),
                                        problem));
    CHECK(problem.find("finite and strictly increasing") != std::string::npos);
  }
  cn::MetricSpec labelled = spec(CN_METRIC_GAUGE, "postgres_sink_g");
  labelled.labels = {{"connector", "x"}};
  Metrics with_common(cn::host::MetricLabels{{"connector", "c"}});
  CHECK_FALSE(with_common.register_metric("postgres-sink", labelled, problem));
  CHECK(problem.find("one the host sets") != std::string::npos);
}

TEST_CASE("a probe is read at each scrape while it lives; one that throws is left out") {
  Metrics metrics(cn::host::MetricLabels{});
  double value = 1;
  {
    Metrics::Probe probe = metrics.probe("test_end", "help", [&]() -> std::optional<double> { return value; });
    Metrics::Probe failing = metrics.probe("test_failing", "help", []() -> std::optional<double> {
      throw std::runtime_error("unreachable");
    });
    value = 5;
    const auto all = metrics.Collect();
    REQUIRE(family(all, "test_end"));
    CHECK(family(all, "test_end")->metric.at(0).gauge.value == 5);
    CHECK_FALSE(family(all, "test_failing"));
  }
  CHECK_FALSE(family(metrics.Collect(), "test_end"));
  CHECK(family(metrics.Collect(), "process_resident_memory_bytes"));
}
