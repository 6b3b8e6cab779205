// What the postgres-sink integration tests share: a PostgreSQL server for
// the whole test program, a fresh target database per test, a topic
// directory, and runs of the real connector-host with the real plugin.
#ifndef CN_TEST_SINK_FIXTURE_HPP
#define CN_TEST_SINK_FIXTURE_HPP

#include "events.hpp"
#include "paths.hpp"
#include "postgres_server.hpp"
#include "process.hpp"

#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

namespace cn::test {

// Started on first use, stopped when the test program ends.
inline PostgresServer &shared_server() {
  static PostgresServer server(PostgresServer::Options{{{"synchronous_commit", "on"}}, false});
  return server;
}

class SinkFixture {
 public:
  // server: where the target database lives (the shared one by default).
  explicit SinkFixture(PostgresServer &server = shared_server()) : server_(server) {
    static int counter = 0;
    db_ = "target_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    server_.create_database(db_);
  }

  PostgresServer &server() { return server_; }
  const std::string &database() const { return db_; }
  std::string url() const { return server_.url(db_); }
  const TempDir &dir() const { return dir_; }

  // Writes (or appends to) the topic file topics/<topic>.jsonl.
  void write_topic(const std::vector<std::string> &lines, bool append = false, const std::string &topic = "events") {
    std::ofstream out(dir_ / ("topics/" + topic + ".jsonl"),
                      std::ios::binary | (append ? std::ios::app : std::ios::trunc));
    for (const std::string &line : lines) out << line << '\n';
  }

  // connect.yml for the sink: the given extra parameters lines (YAML, each
  // "key: value") after url.
  std::string write_config(const std::vector<std::string> &parameters = {}, const std::string &name = "sink",
                           const std::string &topic = "events", const std::string &url = "") {
    std::string path = dir_ / (name + ".yml");
    std::ofstream out(path);
    out << "version: 0.1.0\nname: " << name << "\ntype: postgres-sink\ntopic: " << topic << "\nparameters:\n  url: \""
        << (url.empty() ? this->url() : url) << "\"\n";
    for (const std::string &p : parameters) out << "  " << p << "\n";
    return path;
  }

  // The host's command line for running the sink on this fixture's topics.
  std::vector<std::string> host_args(const std::string &config, const std::vector<std::string> &extra = {}) const {
    std::vector<std::string> args = {kHostBinary, "--config", config, "--topics", dir_ / "topics", "--plugin-dir",
                                     kPluginDir, "--retry-initial-ms", "10", "--retry-max-ms", "200"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Runs the sink to the end of the topic.
  ProcessResult run_sink(const std::vector<std::string> &parameters = {}, const std::vector<std::string> &extra = {}) {
    return run_process(host_args(write_config(parameters), concat(extra, {"--once"})));
  }

  // Runs SQL on the target database; psql's unaligned tuples-only output.
  std::string sql(const std::string &query) { return server_.psql(query, db_); }

  // count and md5 of a table, ordered by the given expression.
  std::string digest(const std::string &table, const std::string &order_by) {
    return sql("select count(*) || ' ' || coalesce(md5(string_agg(t::text, ',' order by " + order_by + ")), '') from " +
               table + " t");
  }

 private:
  static std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string> &b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }

  PostgresServer &server_;
  std::string db_;
  TempDir dir_;
  bool topics_made_ = std::filesystem::create_directories(dir_.path() / "topics");
};

}  // namespace cn::test

#endif
