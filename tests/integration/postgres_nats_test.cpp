// The whole pipeline through NATS JetStream: postgres-source -> a stream on
// real nats-server processes -> postgres-sink, with the real host. On one
// node, and on a three-node cluster (a stream with three replicas) while
// the test kills -9 the stream's leader, the source and the sink. At the
// end the topic (read back through the host with print-sink) holds every
// source transaction once, in commit order, and the target equals the
// source table by table.
#include "nats_server.hpp"
#include "source_fixture.hpp"

#include <doctest/doctest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace cn::test;
using namespace std::chrono_literals;

namespace {

// The topic as the host reads it, one record per line (print-sink prints
// "OFFSET<TAB>RECORD").
std::vector<std::string> topic_records(const std::string &servers) {
  ProcessResult r = run_process({kHostBinary, "--plugin", "print-sink", "--plugin-dir", kPluginDir, "--topics", servers,
                                 "--topic", "events", "--once"});
  INFO(r.err);
  REQUIRE(r.exited_with(0));
  std::vector<std::string> records;
  std::string problem;
  for (const std::string &line : lines_of(r.out)) {
    const std::size_t tab = line.find('\t');
    if (problem.empty() && (tab == std::string::npos || line.substr(0, tab) != std::to_string(records.size())))
      problem = "record " + std::to_string(records.size()) + " printed as: " + line.substr(0, 200);
    records.push_back(line.substr(tab == std::string::npos ? 0 : tab + 1));
  }
  INFO(problem);
  CHECK(problem.empty());  // offsets 0, 1, 2, ... without a gap
  return records;
}

// Commits a marker row on the source and waits until the sink has applied
// it, reading the connectors' output meanwhile.
void wait_for_marker(const SourceFixture &f, const std::vector<Child *> &connectors, int n) {
  f.src("insert into marker values (" + std::to_string(n) + ")");
  REQUIRE(wait_until(connectors, [&] {
    try {
      return f.tgt("select count(*) from marker where id = " + std::to_string(n)) == "1\n";
    } catch (const std::runtime_error &) {
      return false;  // the table is not there yet
    }
  }, 180s));
}

// Waits until the sink's stored offset has moved `records` past where it is.
void wait_for_progress(const SourceFixture &f, const NatsServers &servers, const std::vector<Child *> &connectors,
                       int64_t records) {
  const int64_t from = stored_offset(f.server(), f.target_db());
  const bool moved =
      wait_until(connectors, [&] { return stored_offset(f.server(), f.target_db()) >= from + records; }, 180s);
  if (!moved) {
    for (Child *child : connectors)
      if (!running(*child)) FAIL_CHECK("a connector ended: " << child->wait().err);
    try {
      auto [first, last] = servers.stream_sequences("events");
      FAIL_CHECK("the sink stayed at offset " << stored_offset(f.server(), f.target_db()) << "; the stream holds "
                                              << first << "-" << last);
    } catch (const std::runtime_error &e) {
      FAIL_CHECK("the sink stayed at offset " << stored_offset(f.server(), f.target_db()) << "; " << e.what());
    }
  }
  REQUIRE(moved);
}

void check_everything(const SourceFixture &f, const std::string &servers) {
  std::vector<std::string> records = topic_records(servers);
  TopicCheck c = check_topic(records);
  INFO("topic check: " << c.problem);
  CHECK(c.problem.empty());
  CHECK(c.loads == 1);
  CHECK(c.transactions > 100);
  CHECK(stored_offset(f.server(), f.target_db()) == static_cast<int64_t>(records.size()) - 1);
  for (const std::string &table : kPgbenchTables) {
    CAPTURE(table);
    CHECK(f.target_digest(table) == f.source_digest(table));
  }
}

}  // namespace

TEST_CASE("source -> NATS JetStream -> sink under pgbench: the target equals the source, the topic holds it once") {
  NatsServers servers;
  SourceFixture f;
  f.use_topics(servers.urls());
  pgbench_init(f);
  f.src("create table marker (id int primary key)");
  Child source(f.host_args(f.source_config(f.unique("nats"))));
  INFO(source.err());
  REQUIRE(source.wait_for(streaming()));
  Child sink(f.host_args(f.sink_config()));
  INFO(sink.err());
  ProcessResult bench = run_process({kPgBinDir + "pgbench", "-n", "-c", "2", "-j", "2", "-t", "500",
                                     f.server().conninfo(f.source_db())});
  REQUIRE(bench.exited_with(0));
  wait_for_marker(f, {&source, &sink}, 1);
  CHECK(stop(source).exited_with(0));
  CHECK(stop(sink).exited_with(0));
  check_everything(f, servers.urls());
}

TEST_CASE("a three-node JetStream cluster: the stream leader, the source and the sink killed -9 at random moments") {
  // The faults come in a random order, each after a random amount of
  // progress and a random delay; the seed is printed, and CN_TEST_SEED
  // replays a run.
  const char *seed_text = std::getenv("CN_TEST_SEED");
  const unsigned seed = seed_text ? static_cast<unsigned>(std::stoul(seed_text)) : std::random_device{}();
  MESSAGE("CN_TEST_SEED=" << seed);
  std::mt19937 random(seed);
  auto between = [&](int low, int high) { return std::uniform_int_distribution<int>(low, high)(random); };

  NatsServers servers(NatsServers::Options{3, "", "", false});
  SourceFixture f;
  f.use_topics(servers.urls());
  pgbench_init(f);
  f.src("create table marker (id int primary key)");
  const std::string source_config = f.source_config(f.unique("cluster"));
  const std::vector<std::string> source_args = f.host_args(source_config, {"--topic-replicas", "3"});
  auto source = std::make_unique<Child>(source_args);
  INFO("source: " << source->err());
  REQUIRE(source->wait_for(streaming()));
  auto sink = std::make_unique<Child>(f.host_args(f.sink_config()));
  Child bench(pgbench_stream(f));
  auto connectors = [&] { return std::vector<Child *>{source.get(), sink.get()}; };
  INFO("sink: " << sink->err());

  enum class Fault { leader, source, sink };
  std::vector<Fault> faults = {Fault::leader, Fault::leader, Fault::source, Fault::source, Fault::sink, Fault::sink};
  std::shuffle(faults.begin(), faults.end(), random);
  for (Fault fault : faults) {
    wait_for_progress(f, servers, connectors(), between(300, 2500));
    std::this_thread::sleep_for(std::chrono::milliseconds(between(0, 300)));  // a moment, not a synchronisation
    if (fault == Fault::leader) {
      const int leader = servers.stream_leader("events");
      REQUIRE(leader >= 0);
      MESSAGE("killing the stream leader " << servers.name(leader));
      servers.kill9(leader);
      wait_for_progress(f, servers, connectors(), between(300, 2500));  // two of three replicas carry on
      servers.start(leader);
    } else {
      std::unique_ptr<Child> &victim = fault == Fault::source ? source : sink;
      const std::string which = fault == Fault::source ? "source" : "sink";
      MESSAGE("killing the " << which);
      victim->send_signal(SIGKILL);
      victim->wait();
      victim = std::make_unique<Child>(fault == Fault::source ? source_args : f.host_args(f.sink_config()));
    }
  }
  wait_for_progress(f, servers, connectors(), 1000);

  bench.send_signal(SIGINT);
  bench.wait();
  wait_for_marker(f, connectors(), 1);
  CHECK(stop(*source).exited_with(0));
  CHECK(stop(*sink).exited_with(0));
  check_everything(f, servers.urls());
}
