// topic_bench LOCATION FILE.jsonl[.gz] [RECORDS_PER_FLUSH...]: how fast a
// topic backend takes and gives back a topic's events, alone (no plugin, no
// database). LOCATION is a directory (the file log) or a NATS URL list.
// For each flush size (default 1 10 100 1000) it appends every event to a
// fresh topic, flushing after that many records, then reads the topic
// through; prints records/s each way and the process's CPU per record, and
// checks that every record came back byte for byte, in order.
#include "event_lines.hpp"

#include <topic.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace cn::host;
using Clock = std::chrono::steady_clock;

namespace {

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

struct Timing {
  double seconds = 0, cpu = 0;
};

template <class F>
Timing timed(F &&pass) {
  const auto start = Clock::now();
  const double cpu = cpu_seconds();
  pass();
  return {std::chrono::duration<double>(Clock::now() - start).count(), cpu_seconds() - cpu};
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: topic_bench LOCATION FILE.jsonl[.gz] [RECORDS_PER_FLUSH...]\n");
    return 2;
  }
  const std::vector<std::string> lines = read_event_lines(argv[2]);
  if (lines.empty()) {
    std::fprintf(stderr, "topic_bench: no events in %s\n", argv[2]);
    return 2;
  }
  std::vector<long> flush_sizes;
  for (int i = 3; i < argc; ++i) flush_sizes.push_back(std::atol(argv[i]));
  if (flush_sizes.empty()) flush_sizes = {1, 10, 100, 1000};

  TopicsConfig config;
  config.location = argv[1];
  std::unique_ptr<TopicStore> store =
      open_topics(config, [](const std::string &warning) { std::fprintf(stderr, "topic_bench: %s\n", warning.c_str()); });
  const std::string run = std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000000);
  bool all_equal = true;
  for (long flush_size : flush_sizes) {
    const std::string topic = "bench_" + run + "_" + std::to_string(flush_size);
    std::unique_ptr<TopicWriter> writer = store->open_writer(topic);
    const Timing write = timed([&] {
      long unflushed = 0;
      for (const std::string &line : lines) {
        cn_record record{};
        record.value = {line.data(), line.size()};
        writer->append(record);
        if (++unflushed == flush_size) {
          writer->flush();
          unflushed = 0;
        }
      }
      writer->flush();
    });
    writer.reset();

    std::unique_ptr<TopicReader> reader = store->open_reader(topic, false);
    std::size_t read = 0, differing = 0;
    const Timing read_timing = timed([&] {
      while (!reader->at_end()) {
        for (const cn_record &record : reader->read(1000, 1 << 20, 100)) {
          differing += read >= lines.size() || lines[read] != std::string(record.value.ptr, record.value.len) ||
                       record.offset != static_cast<int64_t>(read);
          ++read;
        }
      }
    });
    const bool equal = read == lines.size() && differing == 0;
    all_equal = all_equal && equal;
    const double n = static_cast<double>(lines.size());
    std::printf("%s: %zu records, flush every %ld: write %.0f records/s (%.0f per CPU-second); read %.0f records/s (%.0f "
                "per CPU-second)%s\n",
                reader->describe().c_str(), lines.size(), flush_size, n / write.seconds, n / write.cpu,
                n / read_timing.seconds, n / read_timing.cpu, equal ? "" : "; RECORDS DIFFER");
  }
  return all_equal ? 0 : 1;
}
