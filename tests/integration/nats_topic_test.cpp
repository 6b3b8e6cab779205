// The NATS JetStream topic backend alone (host/src/nats_*.cpp) against real
// nats-server processes: offsets, reading from any offset, reading back,
// the stream's configuration, a second writer, records removed under a
// reader, and a server killed while records flow.
#include "nats_link.hpp"
#include "nats_server.hpp"
#include "paths.hpp"
#include "process.hpp"
#include "topic.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace cn::host;
using cn::test::NatsServers;

namespace {

struct Backend {
  explicit Backend(const NatsServers &servers, const NatsSettings &settings = {}) {
    TopicsConfig config;
    config.location = servers.urls();
    config.nats = settings;
    config.retry_initial = std::chrono::milliseconds(10);
    config.retry_max = std::chrono::milliseconds(200);
    store = open_topics(config, [this](const std::string &w) { warnings.push_back(w); });
  }
  std::vector<std::string> warnings;
  std::unique_ptr<TopicStore> store;
};

cn_record record_of(const std::string &text) {
  cn_record r{};
  r.value = {text.data(), text.size()};
  return r;
}

std::string text_of(const cn_record &r) { return std::string(r.value.ptr, r.value.len); }

// Every record from offset on, as text, until the end of the stream.
std::vector<std::string> read_all(TopicStore &store, const std::string &topic, int64_t from = 0) {
  auto reader = store.open_reader(topic, false);
  reader->seek(from);
  std::vector<std::string> all;
  while (!reader->at_end()) {
    for (const cn_record &r : reader->read(1000, 1 << 20, 100)) {
      CHECK(r.offset == from + static_cast<int64_t>(all.size()));
      all.push_back(text_of(r));
    }
  }
  return all;
}

void append_all(TopicWriter &writer, int from, int to) {
  for (int i = from; i < to; ++i) {
    const std::string text = "{\"n\":" + std::to_string(i) + "}";
    CHECK(writer.append(record_of(text)) == i);
  }
  writer.flush();
}

std::vector<std::string> expected(int from, int to) {
  std::vector<std::string> all;
  for (int i = from; i < to; ++i) all.push_back("{\"n\":" + std::to_string(i) + "}");
  return all;
}

// Creates a stream as an operator might have, with its own configuration.
void create_stream(const NatsServers &servers, const std::string &name, jsStorageType storage,
                   jsRetentionPolicy retention) {
  natsConnection *connection = nullptr;
  REQUIRE(natsConnection_ConnectTo(&connection, servers.urls().c_str()) == NATS_OK);
  jsCtx *js = nullptr;
  natsConnection_JetStream(&js, connection, nullptr);
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  const std::string subject = "cn." + name;
  const char *subjects[] = {subject.c_str()};
  config.Name = name.c_str();
  config.Subjects = subjects;
  config.SubjectsLen = 1;
  config.Storage = storage;
  config.Retention = retention;
  CHECK(js_AddStream(nullptr, js, &config, nullptr, nullptr) == NATS_OK);
  jsCtx_Destroy(js);
  natsConnection_Destroy(connection);
}

// The host running print-sink --once on topic events, with a connect.yml
// whose topics: names the servers and then holds topics_lines.
cn::test::ProcessResult run_printer(const cn::test::TempDir &dir, const NatsServers &servers,
                                    const std::string &topics_lines, const cn::test::Environment &env = {}) {
  const std::string config = dir / "printer.yml";
  std::ofstream(config) << "version: 0.1.0\nname: printer\ntype: print-sink\ntopic: events\n"
                           "topics:\n  url: " << servers.urls() << "\n" << topics_lines;
  return cn::test::run_process({cn::test::kHostBinary, "--config", config, "--plugin-dir", cn::test::kPluginDir,
                                "--once"},
                               {}, env);
}

}  // namespace

TEST_CASE("records get offsets from 0; read from any offset; read back newest first; a reopened writer goes on") {
  NatsServers servers;
  Backend backend(servers);
  {
    auto writer = backend.store->open_writer("events");
    append_all(*writer, 0, 2500);
  }
  CHECK(servers.stream_sequences("events") == std::pair<uint64_t, uint64_t>{1, 2500});
  CHECK(read_all(*backend.store, "events") == expected(0, 2500));
  CHECK(read_all(*backend.store, "events", 2400) == expected(2400, 2500));
  CHECK(read_all(*backend.store, "events", 2500).empty());

  auto writer = backend.store->open_writer("events");
  std::vector<int64_t> back;
  writer->read_back([&](const cn_record &r) {
    CHECK(text_of(r) == "{\"n\":" + std::to_string(r.offset) + "}");
    back.push_back(r.offset);
    return back.size() < 3;
  });
  CHECK(back == std::vector<int64_t>{2499, 2498, 2497});
  append_all(*writer, 2500, 2600);
  CHECK(read_all(*backend.store, "events") == expected(0, 2600));
}

TEST_CASE("a following reader waits for records and for a topic that does not exist yet") {
  NatsServers servers;
  Backend backend(servers);
  CHECK_THROWS_WITH_AS(backend.store->open_reader("later", false), doctest::Contains("the topic does not exist"),
                       TopicError);
  auto reader = backend.store->open_reader("later", true);
  CHECK(reader->read(10, 1 << 20, 10).empty());
  CHECK_FALSE(reader->at_end());
  auto writer = backend.store->open_writer("later");
  append_all(*writer, 0, 3);
  std::vector<std::string> got;
  while (got.size() < 3)
    for (const cn_record &r : reader->read(10, 1 << 20, 100)) got.push_back(text_of(r));
  CHECK(got == expected(0, 3));
}

TEST_CASE("a second writer on the same topic is refused, and the first one's records stay whole") {
  NatsServers servers;
  Backend backend(servers);
  auto first = backend.store->open_writer("events");
  append_all(*first, 0, 10);
  auto second = backend.store->open_writer("events");
  append_all(*first, 10, 20);
  second->append(record_of("{\"intruder\":1}"));
  CHECK_THROWS_WITH_AS(second->flush(), doctest::Contains("another writer is appending to the topic"), TopicError);
  CHECK(read_all(*backend.store, "events") == expected(0, 20));
}

TEST_CASE("records removed under a reader (a purge) stop it, naming its offset and where the stream starts") {
  NatsServers servers;
  Backend backend(servers);
  append_all(*backend.store->open_writer("events"), 0, 100);
  servers.purge_below("events", 51);  // offsets 0-49 gone
  auto reader = backend.store->open_reader("events", false);
  reader->seek(20);
  CHECK_THROWS_WITH_AS(reader->read(10, 1 << 20, 100),
                       doctest::Contains("the record at offset 20 is no longer in the stream, which starts at offset 50"),
                       TopicError);
  CHECK(read_all(*backend.store, "events", 50) == expected(50, 100));
}

TEST_CASE("retention limits asked for (max_bytes, max_age_seconds) remove the oldest records; a reader behind them stops") {
  NatsServers servers;
  NatsSettings by_bytes;
  by_bytes.max_bytes = 8192;
  Backend bounded(servers, by_bytes);
  append_all(*bounded.store->open_writer("bounded"), 0, 1000);
  const uint64_t first = servers.stream_sequences("bounded").first;
  INFO("the stream starts at sequence " << first);
  CHECK(first > 1);
  CHECK(servers.stream_sequences("bounded").second == 1000);
  const int64_t oldest = static_cast<int64_t>(first) - 1;
  const std::string gone = "the record at offset 0 is no longer in the stream, which starts at offset " +
                           std::to_string(oldest) + " ";
  CHECK_THROWS_WITH_AS(read_all(*bounded.store, "bounded", 0), doctest::Contains(gone.c_str()), TopicError);
  CHECK(read_all(*bounded.store, "bounded", oldest) == expected(static_cast<int>(oldest), 1000));

  NatsSettings by_age;
  by_age.max_age_seconds = 1;
  Backend aging(servers, by_age);
  auto writer = aging.store->open_writer("aging");
  append_all(*writer, 0, 10);
  // The server removes records older than a second on its own schedule.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (servers.stream_sequences("aging").first <= 10 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(servers.stream_sequences("aging").first == 11);
  append_all(*writer, 10, 15);  // the writer goes on after them
  CHECK(read_all(*aging.store, "aging", 10) == expected(10, 15));
}

TEST_CASE("a stream this backend cannot work with is refused with the reason; a topic name a stream cannot have") {
  NatsServers servers;
  Backend backend(servers);
  create_stream(servers, "in_memory", js_MemoryStorage, js_LimitsPolicy);
  create_stream(servers, "work_queue", js_FileStorage, js_WorkQueuePolicy);
  create_stream(servers, "interest", js_FileStorage, js_InterestPolicy);
  CHECK_THROWS_WITH_AS(backend.store->open_writer("in_memory"), doctest::Contains("keeps messages in memory"),
                       TopicError);
  CHECK_THROWS_WITH_AS(backend.store->open_reader("work_queue", false), doctest::Contains("WorkQueue retention"),
                       TopicError);
  CHECK_THROWS_WITH_AS(backend.store->open_writer("interest"), doctest::Contains("Interest retention"), TopicError);
  CHECK_THROWS_WITH_AS(backend.store->open_writer("a.b"), doctest::Contains("cannot name a NATS JetStream stream"),
                       TopicNameError);
}

TEST_CASE("a server killed and started again while records are written and read: nothing lost, nothing repeated") {
  NatsServers servers;
  Backend backend(servers);
  auto writer = backend.store->open_writer("events");
  auto reader = backend.store->open_reader("events", true);
  std::vector<std::string> got;
  auto read_some = [&] {
    for (const cn_record &r : reader->read(1000, 1 << 20, 50)) {
      CHECK(r.offset == static_cast<int64_t>(got.size()));
      got.push_back(text_of(r));
    }
  };
  auto append = [&](int from, int to) {
    for (int i = from; i < to; ++i) writer->append(record_of("{\"n\":" + std::to_string(i) + "}"));
  };
  // The server goes after the records went out (acknowledged or not), before
  // any went out, and in the middle.
  append(0, 1000);
  servers.kill9(0);
  servers.start(0);
  writer->flush();
  while (got.size() < 1000) read_some();
  servers.kill9(0);
  append(1000, 2000);
  servers.start(0);
  writer->flush();
  while (got.size() < 2000) read_some();
  append(2000, 2500);
  servers.kill9(0);
  append(2500, 3000);
  servers.start(0);
  writer->flush();
  while (got.size() < 3000) read_some();
  CHECK(got == expected(0, 3000));
  CHECK(servers.stream_sequences("events") == std::pair<uint64_t, uint64_t>{1, 3000});
}

TEST_CASE("connect.yml's topics: with user and password: right ones work, wrong ones fail at once and stay masked") {
  NatsServers servers(NatsServers::Options{1, "connector", "s3cret-pass", false});
  cn::test::TempDir dir;
  auto run = [&](const std::string &password) {
    return run_printer(dir, servers, "  user: connector\n  password: ${{ secrets.NATS_PASSWORD }}\n",
                       {{"NATS_PASSWORD", password}});
  };
  cn::test::ProcessResult wrong = run("wrong-pass");
  INFO(wrong.err);
  CHECK(wrong.exited_with(1));
  CHECK(wrong.err.find("refused the connection") != std::string::npos);
  CHECK(wrong.err.find("wrong-pass") == std::string::npos);

  cn::test::ProcessResult right = run("s3cret-pass");  // no topic yet: it says so
  INFO(right.err);
  CHECK(right.exited_with(1));
  CHECK(right.err.find("the topic does not exist") != std::string::npos);
  CHECK(right.err.find("s3cret-pass") == std::string::npos);
}

TEST_CASE("a server that requires TLS: reached with the CA given in topics:, refused at once without it") {
  NatsServers servers(NatsServers::Options{1, "", "", true});
  cn::test::TempDir dir;
  auto run = [&](const std::string &tls_lines) { return run_printer(dir, servers, tls_lines); };
  cn::test::ProcessResult with_ca = run("  tls_ca: " + servers.ca_certificate() + "\n");
  INFO(with_ca.err);
  CHECK(with_ca.exited_with(1));
  CHECK(with_ca.err.find("the topic does not exist") != std::string::npos);  // connected, over TLS

  cn::test::ProcessResult without = run("");
  INFO(without.err);
  CHECK(without.exited_with(1));
  // The client speaks TLS as the server asks, but cannot trust its certificate.
  CHECK(without.err.find("TLS with NATS at " + servers.urls() + " failed") != std::string::npos);
  CHECK(without.err.find("check topics: tls_ca") != std::string::npos);
}

TEST_CASE("a server that requires a client certificate: reached with tls_cert and tls_key, refused at once without") {
  NatsServers::Options options{1, "", "", true};
  options.client_certificates = true;
  NatsServers servers(options);
  cn::test::TempDir dir;
  const std::string ca_line = "  tls_ca: " + servers.ca_certificate() + "\n";
  const auto [cert, key] = servers.client_certificate();
  cn::test::ProcessResult with_cert = run_printer(dir, servers, ca_line + "  tls_cert: " + cert + "\n  tls_key: " + key + "\n");
  INFO(with_cert.err);
  CHECK(with_cert.exited_with(1));
  CHECK(with_cert.err.find("the topic does not exist") != std::string::npos);  // connected, with the certificate

  cn::test::ProcessResult without = run_printer(dir, servers, ca_line);
  INFO(without.err);
  CHECK(without.exited_with(1));
  CHECK(without.err.find("NATS at " + servers.urls() + " closed the connection after the TLS handshake") !=
        std::string::npos);
  CHECK(without.err.find("give topics: tls_cert and tls_key") != std::string::npos);
}
