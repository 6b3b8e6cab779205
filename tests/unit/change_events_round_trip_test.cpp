// The reader and the writer of change events against each other: every
// event of the real sample topics, read into the model and written back,
// comes out byte for byte as PostgreSQL's logical decoding made it. So the
// one model carries everything the format says, and append_event() is the
// way back.
#include <change_events/change_events.hpp>

#include "paths.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <map>

using namespace cn::events;

namespace {

// Writes what a line was read into, with the relations read before it.
class Rewriter {
 public:
  std::string rewrite(const std::string &line) {
    Envelope envelope;
    const Message message = parse_event(line, envelope);
    if (const auto *relation = std::get_if<Relation>(&message)) relations_[relation->rel_id] = *relation;
    std::string out;
    append_event(out, envelope, message, [this](uint32_t rel_id) -> const Relation * {
      const auto it = relations_.find(rel_id);
      return it == relations_.end() ? nullptr : &it->second;
    });
    return out;
  }

 private:
  std::map<uint32_t, Relation> relations_;
};

}  // namespace

TEST_CASE("every event of dogs.jsonl is written back byte for byte from what was read") {
  Rewriter rewriter;
  const std::vector<std::string> lines = cn::test::read_lines(cn::test::sample_topics_dir() / "dogs.jsonl");
  REQUIRE(lines.size() == 37);
  for (std::size_t i = 0; i < lines.size(); ++i) CHECK_MESSAGE(rewriter.rewrite(lines[i]) == lines[i], "line " << i);
}

TEST_CASE("every event of pgbench-s1.jsonl.gz is written back byte for byte from what was read") {
  const std::filesystem::path file = cn::test::sample_topics_dir() / "pgbench-s1.jsonl.gz";
  if (!std::filesystem::exists(file)) {
    MESSAGE("skipped: no " << file.string());
    return;
  }
  FILE *pipe = popen(("zcat '" + file.string() + "'").c_str(), "r");
  REQUIRE(pipe);
  Rewriter rewriter;
  std::size_t lines = 0, differing = 0;
  std::string line;
  for (int c; (c = std::fgetc(pipe)) != EOF;) {
    if (c != '\n') {
      line += static_cast<char>(c);
      continue;
    }
    if (rewriter.rewrite(line) != line && differing++ == 0) CHECK_MESSAGE(false, "line " << lines << ": " << line);
    ++lines;
    line.clear();
  }
  pclose(pipe);
  CHECK(lines == 284281);
  CHECK(differing == 0);
}

TEST_CASE("append_event refuses a change of a relation it is not given, and leaves out as it was") {
  std::string out = "before";
  const Message insert = parse_event(R"({"message":{"type":"insert","rel_id":7,"tuple":[{"Int4":1}]}})");
  CHECK_THROWS_WITH_AS(append_event(out, Envelope{}, insert, [](uint32_t) { return nullptr; }),
                       "relation 7 is unknown: no relation event came before", EventError);
  CHECK(out == "before");
}
