// postgres-sink on the sample topics, end to end: the documented final
// states.
#include "sink_fixture.hpp"

#include <doctest/doctest.h>

using namespace cn::test;

namespace {

const std::string kDogsDigest = "1 2f7d9bab417a210567a58f0471099952\n";

}  // namespace

TEST_CASE("dogs.jsonl ends in the documented state, and the offset row says where the sink is") {
  SinkFixture f;
  f.write_topic(read_lines(sample_topics_dir() / "dogs.jsonl"));
  ProcessResult r = f.run_sink();
  INFO(r.err);
  REQUIRE(r.exited_with(0));
  CHECK(f.digest("dog", "name") == kDogsDigest);
  CHECK(f.sql("select * from dog") == "Bella|collie|WA|f|20.00\n");
  CHECK(f.sql("select current_offset from fluvio.offset where connector = 'sink'") == "36\n");

  SUBCASE("a second run applies nothing twice") {
    ProcessResult again = f.run_sink();
    CHECK(again.exited_with(0));
    CHECK(again.err.find("after offset 36") != std::string::npos);
    CHECK(f.digest("dog", "name") == kDogsDigest);
  }
}

TEST_CASE("a crash after any offset of dogs.jsonl, then a restart, ends in the documented state") {
  // A kill -9 loses the uncommitted target transaction and nothing else;
  // running the sink over the first n records and stopping it leaves the
  // same state, at every n. The restart then reads the whole topic.
  std::vector<std::string> dogs = read_lines(sample_topics_dir() / "dogs.jsonl");
  for (std::size_t n = 1; n <= dogs.size(); ++n) {
    CAPTURE(n);
    SinkFixture f;
    f.write_topic(std::vector<std::string>(dogs.begin(), dogs.begin() + static_cast<long>(n)));
    ProcessResult first = f.run_sink();
    INFO(first.err);
    REQUIRE(first.exited_with(0));
    f.write_topic(dogs);
    ProcessResult restart = f.run_sink();
    INFO(restart.err);
    REQUIRE(restart.exited_with(0));
    CHECK(f.digest("dog", "name") == kDogsDigest);
  }
}
