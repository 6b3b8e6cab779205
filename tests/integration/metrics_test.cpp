// --metrics-listen with the real host, plugins and PostgreSQL: /metrics
// scraped over HTTP (curl) while postgres-source and postgres-sink run,
// checked against what they did and by promtool; /healthz and /readyz as a
// target server goes away and comes back.
#include "source_fixture.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace cn::test;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> kMetricsFlags = {"--metrics-listen", "127.0.0.1:0"};

// http://127.0.0.1:PORT, from the connector's "metrics on ..." line.
std::string endpoint_of(Child &connector) {
  std::string url;
  REQUIRE(connector.wait_for([&](const std::string &, const std::string &err) {
    const std::size_t at = err.find("metrics on http://");
    if (at == std::string::npos) return false;
    const std::size_t start = at + std::string("metrics on ").size();
    url = err.substr(start, err.find("/metrics", start) - start);
    return true;
  }));
  return url;
}

struct HttpAnswer {
  int status = 0;
  std::string body;
};

HttpAnswer http_get(const std::string &url) {
  ProcessResult r = run_process({"/usr/bin/curl", "-s", "-S", "-w", "\n%{http_code}", url});
  INFO(r.err);
  REQUIRE(r.exited_with(0));
  const std::size_t last = r.out.rfind('\n');
  std::string body = r.out.substr(0, last);
  if (!body.empty() && body.back() == '\n') body.pop_back();
  return {std::stoi(r.out.substr(last + 1)), body};
}

// The sum of the samples of metric in a scrape whose labels contain
// label_part ("" for all).
double sample(const std::string &scrape, const std::string &metric, const std::string &label_part = "") {
  double sum = 0;
  for (const std::string &line : lines_of(scrape)) {
    if (line.rfind(metric + "{", 0) != 0 && line.rfind(metric + " ", 0) != 0) continue;
    if (!label_part.empty() && line.find(label_part) == std::string::npos) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

void check_with_promtool(const std::string &scrape) {
  ProcessResult r = run_process({"/usr/bin/promtool", "check", "metrics"}, scrape + "\n");  // http_get took the last newline
  INFO(r.out << r.err);
  CHECK(r.exited_with(0));
}

std::size_t events_of_type(const std::vector<std::string> &topic, const std::string &type) {
  std::size_t n = 0;
  for (const std::string &line : topic) n += line.find("\"type\":\"" + type + "\"") != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("/metrics of a running source and sink tells what they did, in a form promtool accepts") {
  SourceFixture f;
  pgbench_init(f);
  f.src("create table marker (id int primary key)");
  Child source(f.host_args(f.source_config(f.unique("metrics")), kMetricsFlags));
  INFO("source: " << source.err());
  REQUIRE(source.wait_for(streaming()));
  std::vector<std::string> sink_flags = kMetricsFlags;
  sink_flags.insert(sink_flags.end(), {"--status-interval", "1"});
  Child sink(f.host_args(f.sink_config(), sink_flags));
  INFO("sink: " << sink.err());
  const std::string source_url = endpoint_of(source), sink_url = endpoint_of(sink);

  CHECK(http_get(source_url + "/healthz").status == 200);
  CHECK(http_get(source_url + "/readyz").status == 200);
  REQUIRE(wait_until({&source, &sink}, [&] { return http_get(sink_url + "/readyz").status == 200; }, 60s));
  CHECK(http_get(sink_url + "/healthz").body == "ok");

  ProcessResult bench = run_process({kPgBinDir + "pgbench", "-n", "-c", "2", "-j", "2", "-t", "200",
                                     f.server().conninfo(f.source_db())});
  REQUIRE(bench.exited_with(0));
  f.src("insert into marker values (1)");
  // Caught up: the sink has committed the topic's last record (the marker's commit).
  std::string sink_scrape;
  REQUIRE(wait_until({&source, &sink}, [&] {
    const std::vector<std::string> topic = f.topic();
    if (events_of_type(topic, "insert") == 0 || topic.back().find("\"type\":\"commit\"") == std::string::npos ||
        f.tgt("select count(*) from pg_tables where tablename = 'marker'") != "1\n" ||
        f.tgt("select count(*) from marker") != "1\n")
      return false;
    sink_scrape = http_get(sink_url + "/metrics").body;
    return sample(sink_scrape, "connector_committed_offset") == static_cast<double>(topic.size() - 1);
  }, 120s));
  const std::vector<std::string> topic = f.topic();

  SUBCASE("the sink's figures") {
    CHECK(sample(sink_scrape, "connector_topic_records_read_total") == static_cast<double>(topic.size()));
    CHECK(sample(sink_scrape, "connector_topic_end_offset") == static_cast<double>(topic.size()));
    CHECK(sample(sink_scrape, "connector_lag_records") == 0);
    CHECK(stored_offset(f.server(), f.target_db()) == static_cast<int64_t>(topic.size()) - 1);
    double rows = 0;
    for (const std::string &table : kPgbenchTables) rows += std::stod(f.tgt("select count(*) from " + table));
    rows += 1;  // the marker
    // pgbench deletes nothing: every row in the target was inserted once.
    CHECK(sample(sink_scrape, "postgres_sink_rows_total", "op=\"insert\"") == rows);
    // Updates of one row within a batch are written as one.
    const double updated = sample(sink_scrape, "postgres_sink_rows_total", "op=\"update\"");
    CHECK(updated > 0);
    CHECK(updated <= static_cast<double>(events_of_type(topic, "update")));
    CHECK(sample(sink_scrape, "postgres_sink_source_transactions_total") ==
          static_cast<double>(events_of_type(topic, "commit")));
    CHECK(sample(sink_scrape, "postgres_sink_changes_without_row_total") == 0);
    CHECK(sample(sink_scrape, "postgres_sink_statement_duration_seconds_count") > 0);
    CHECK(sample(sink_scrape, "postgres_sink_replication_lag_seconds") >= 0);
    CHECK(sample(sink_scrape, "connector_state", "state=\"running\"") == 1);
    CHECK(sample(sink_scrape, "connector_info") == 1);
    CHECK(sample(sink_scrape, "process_resident_memory_bytes") > 0);
    check_with_promtool(sink_scrape);
    // The progress line, once a second, says so too.
    const std::string caught_up = "offset " + std::to_string(topic.size() - 1) + " of " +
                                  std::to_string(topic.size() - 1) + " (100%), lag 0 records";
    CHECK(sink.wait_for([&](const std::string &, const std::string &err) { return contains(err, caught_up); }));
  }
  SUBCASE("the source's figures") {
    std::string scrape;
    // The slot's lag falls once the source has confirmed what it wrote.
    REQUIRE(wait_until({&source, &sink}, [&] {
      scrape = http_get(source_url + "/metrics").body;
      return sample(scrape, "connector_topic_records_written_total") == static_cast<double>(topic.size()) &&
             sample(scrape, "postgres_source_slot_lag_bytes") < 64 * 1024;
    }, 120s));
    CHECK(sample(scrape, "postgres_source_changes_total", "op=\"update\"") ==
          static_cast<double>(events_of_type(topic, "update")));
    // The initial load's commit is the host's, not the stream's.
    CHECK(sample(scrape, "postgres_source_transactions_total") ==
          static_cast<double>(events_of_type(topic, "commit") - 1));
    CHECK(sample(scrape, "postgres_source_connected") == 1);
    // pgbench -i analyzed its tables: the estimate is the count.
    const std::string accounts = "table=\"public.pgbench_accounts\"";
    CHECK(sample(scrape, "postgres_source_initial_load_rows", accounts) == 100000);
    CHECK(sample(scrape, "postgres_source_initial_load_rows_estimated", accounts) == 100000);
    CHECK(sample(scrape, "connector_committed_offset") == static_cast<double>(topic.size() - 1));
    check_with_promtool(scrape);
  }
  CHECK(stop(source).exited_with(0));
  CHECK(stop(sink).exited_with(0));
}

TEST_CASE("/healthz turns 503 while the target stays down past --unhealthy-after, and 200 when it is back") {
  SourceFixture f;
  PostgresServer target;
  target.create_database("target");
  f.src("create table marker (id int primary key)");
  Child source(f.host_args(f.source_config(f.unique("health"))));
  INFO("source: " << source.err());
  REQUIRE(source.wait_for(streaming()));
  std::vector<std::string> flags = kMetricsFlags;
  flags.insert(flags.end(), {"--unhealthy-after", "1"});
  Child sink(f.host_args(f.sink_config({}, "sink", "events", target.url("target")), flags));
  INFO("sink: " << sink.err());
  const std::string url = endpoint_of(sink);
  REQUIRE(wait_until({&source, &sink}, [&] { return http_get(url + "/readyz").status == 200; }, 60s));

  target.stop();
  f.src("insert into marker values (1)");  // something for the sink to fail on
  HttpAnswer down;
  REQUIRE(wait_until({&source, &sink}, [&] { return (down = http_get(url + "/healthz")).status == 503; }, 60s));
  CHECK(down.body == "unhealthy: retrying");
  CHECK(sample(http_get(url + "/metrics").body, "connector_retries_total") > 0);

  target.start();
  REQUIRE(wait_until({&source, &sink}, [&] { return http_get(url + "/healthz").status == 200; }, 60s));
  REQUIRE(wait_until({&source, &sink}, [&] {
    try {
      return target.psql("select count(*) from marker", "target") == "1\n";
    } catch (const std::runtime_error &) {
      return false;
    }
  }, 60s));
  CHECK(stop(source).exited_with(0));
  CHECK(stop(sink).exited_with(0));
}
