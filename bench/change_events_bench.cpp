// change_events_bench FILE.jsonl[.gz]: how fast the change-event reader and
// writer run on a topic's events, on one thread. Prints events/s for
// parse_event() and for append_event() (writing back what was read, views
// made per tuple), the median of five passes each, and checks that every
// event came back byte for byte.
#include "event_lines.hpp"

#include <change_events/change_events.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

using namespace cn::events;
using Clock = std::chrono::steady_clock;

namespace {

template <class F>
double median_seconds(F &&pass) {
  std::vector<double> seconds;
  for (int i = 0; i < 5; ++i) {
    const auto start = Clock::now();
    pass();
    seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(seconds.begin(), seconds.end());
  return seconds[2];
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: change_events_bench FILE.jsonl[.gz]\n");
    return 2;
  }
  const std::vector<std::string> lines = read_event_lines(argv[1]);
  if (lines.empty()) {
    std::fprintf(stderr, "change_events_bench: no events in %s\n", argv[1]);
    return 2;
  }

  std::vector<std::pair<Envelope, Message>> events(lines.size());
  const double parse_seconds = median_seconds([&] {
    for (std::size_t i = 0; i < lines.size(); ++i) events[i].second = parse_event(lines[i], events[i].first);
  });

  std::map<uint32_t, const Relation *> relations;
  const RelationLookup relation_of = [&relations](uint32_t rel_id) -> const Relation * {
    const auto it = relations.find(rel_id);
    return it == relations.end() ? nullptr : it->second;
  };
  std::string out;
  std::size_t differing = 0;
  const double write_seconds = median_seconds([&] {
    differing = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (const auto *relation = std::get_if<Relation>(&events[i].second)) relations[relation->rel_id] = relation;
      out.clear();
      append_event(out, events[i].first, events[i].second, relation_of);
      differing += out != lines[i];
    }
  });

  const double n = static_cast<double>(lines.size());
  std::printf("change events: %zu events; parse_event %.0f events/s; append_event %.0f events/s; %zu differ\n",
              lines.size(), n / parse_seconds, n / write_seconds, differing);
  return differing == 0 ? 0 : 1;
}
