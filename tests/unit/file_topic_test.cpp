// The file topic: offsets are line numbers, appends are durable on flush,
// readers resume anywhere and follow a growing file.
#include "topic.hpp"

#include "paths.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace cn::host;

namespace {

cn_record value_record(const std::string &value) {
  return cn_record{0, 0, {nullptr, 0}, {value.data(), value.size()}};
}

std::string text(const cn_record &r) { return std::string(r.value.ptr, r.value.len); }

void write_file(const std::string &path, const std::string &content, std::ios::openmode mode = std::ios::trunc) {
  std::ofstream(path, std::ios::binary | std::ios::out | mode) << content;
}

struct Store {
  cn::test::TempDir dir;
  std::vector<std::string> warnings;
  std::unique_ptr<TopicStore> topics =
      open_topics(dir.path().string(), [this](const std::string &w) { warnings.push_back(w); });
};

// Everything a reader delivers until it reports the end.
std::vector<std::pair<int64_t, std::string>> drain(TopicReader &reader, std::size_t batch = 1000) {
  std::vector<std::pair<int64_t, std::string>> all;
  while (!reader.at_end())
    for (const cn_record &r : reader.read(batch, 1 << 20, 0)) all.emplace_back(r.offset, text(r));
  return all;
}

}  // namespace

TEST_CASE("appended records get consecutive offsets and read back in order") {
  Store s;
  auto writer = s.topics->open_writer("events");
  CHECK(writer->append(value_record("a")) == 0);
  CHECK(writer->append(value_record("b")) == 1);
  CHECK(writer->append(value_record("c")) == 2);
  writer->flush();

  auto reader = s.topics->open_reader("events", false);
  auto all = drain(*reader);
  REQUIRE(all.size() == 3);
  CHECK(all[0] == std::make_pair(int64_t(0), std::string("a")));
  CHECK(all[2] == std::make_pair(int64_t(2), std::string("c")));
}

TEST_CASE("a reopened writer continues after the existing records") {
  Store s;
  auto w = s.topics->open_writer("events");
  w->append(value_record("zero"));
  w->append(value_record("one"));
  w->flush();
  w.reset();
  auto again = s.topics->open_writer("events");
  CHECK(again->append(value_record("next")) == 2);
}

TEST_CASE("seek resumes at an offset, forwards and backwards") {
  Store s;
  auto w = s.topics->open_writer("t");
  for (int i = 0; i < 10; ++i) w->append(value_record("r" + std::to_string(i)));
  w->flush();

  auto reader = s.topics->open_reader("t", false);
  reader->seek(7);
  auto tail = drain(*reader);
  REQUIRE(tail.size() == 3);
  CHECK(tail.front() == std::make_pair(int64_t(7), std::string("r7")));

  reader->seek(2);
  auto again = drain(*reader);
  REQUIRE(again.size() == 8);
  CHECK(again.front().first == 2);
}

TEST_CASE("batches respect max_records") {
  Store s;
  auto w = s.topics->open_writer("t");
  for (int i = 0; i < 25; ++i) w->append(value_record("x"));
  w->flush();
  auto reader = s.topics->open_reader("t", false);
  CHECK(reader->read(10, 1 << 20, 0).size() == 10);
  CHECK(reader->read(10, 1 << 20, 0).size() == 10);
  CHECK(reader->read(10, 1 << 20, 0).size() == 5);
}

TEST_CASE("blank lines hold an offset but carry no record; CRLF and a missing last newline are tolerated") {
  Store s;
  write_file(s.dir / "t.jsonl", "a\n\nc\r\nd");
  auto reader = s.topics->open_reader("t", false);
  auto all = drain(*reader);
  REQUIRE(all.size() == 3);
  CHECK(all[0] == std::make_pair(int64_t(0), std::string("a")));
  CHECK(all[1] == std::make_pair(int64_t(2), std::string("c")));
  CHECK(all[2] == std::make_pair(int64_t(3), std::string("d")));
}

TEST_CASE("a following reader waits for a topic that does not exist yet, and for complete lines") {
  Store s;
  auto reader = s.topics->open_reader("later", true);
  CHECK(reader->read(100, 1 << 20, 0).empty());
  CHECK_FALSE(reader->at_end());

  write_file(s.dir / "later.jsonl", "first\nsec");
  auto got = reader->read(100, 1 << 20, 0);
  REQUIRE(got.size() == 1);
  CHECK(text(got[0]) == "first");
  CHECK(reader->read(100, 1 << 20, 0).empty());  // "sec" is not a whole line yet

  write_file(s.dir / "later.jsonl", "ond\n", std::ios::app);
  got = reader->read(100, 1 << 20, 1000);
  REQUIRE(got.size() == 1);
  CHECK(got[0].offset == 1);
  CHECK(text(got[0]) == "second");
}

TEST_CASE("a following reader notices a topic file that shrank") {
  Store s;
  write_file(s.dir / "t.jsonl", "aaaa\nbbbb\n");
  auto reader = s.topics->open_reader("t", true);
  CHECK(reader->read(100, 1 << 20, 0).size() == 2);
  write_file(s.dir / "t.jsonl", "a\n");
  CHECK_THROWS_AS(reader->read(100, 1 << 20, 0), TopicError);
}

TEST_CASE("a writer removes an incomplete last line left by a crash, and says so") {
  Store s;
  write_file(s.dir / "t.jsonl", "one\ntwo\nthr");
  auto w = s.topics->open_writer("t");
  CHECK(w->append(value_record("three")) == 2);
  w->flush();
  REQUIRE(s.warnings.size() == 1);
  CHECK(s.warnings[0].find("incomplete last line") != std::string::npos);
  auto all = drain(*s.topics->open_reader("t", false));
  REQUIRE(all.size() == 3);
  CHECK(all[2].second == "three");
}

TEST_CASE("one writer per topic") {
  Store s;
  auto first = s.topics->open_writer("t");
  CHECK_THROWS_WITH_AS(s.topics->open_writer("t"), doctest::Contains("another process is writing"), TopicError);
}

TEST_CASE("a record containing a line break is refused with the file and the offset") {
  Store s;
  auto w = s.topics->open_writer("t");
  w->append(value_record("ok"));
  CHECK_THROWS_WITH_AS(w->append(value_record("two\nlines")), doctest::Contains("t.jsonl: the record for offset 1"),
                       TopicError);
}

TEST_CASE("topic names cannot escape the topics directory") {
  Store s;
  CHECK_THROWS_AS(s.topics->open_writer("../etc/passwd"), TopicError);
  CHECK_THROWS_AS(s.topics->open_reader("a/b", true), TopicError);
  CHECK_THROWS_AS(s.topics->open_writer(""), TopicError);
}

TEST_CASE("reading a missing topic without following is an error naming the file") {
  Store s;
  CHECK_THROWS_WITH_AS(s.topics->open_reader("absent", false), doctest::Contains("absent.jsonl"), TopicError);
}

TEST_CASE("a writer reads the topic back newest first, with offsets, until told to stop") {
  Store s;
  auto w = s.topics->open_writer("t");
  std::vector<std::pair<int64_t, std::string>> back;
  auto collect = [&back](const cn_record &r) {
    back.emplace_back(r.offset, text(r));
    return true;
  };
  w->read_back(collect);
  CHECK(back.empty());  // an empty topic hands nothing

  // Lines longer than the read chunk (1 MiB) cross chunk boundaries.
  const std::string long_line(3 << 20, 'x');
  for (const std::string &v : {std::string("a"), long_line, std::string("b"), std::string(""), std::string("c")})
    if (!v.empty()) w->append(value_record(v));
  w->flush();
  w->read_back(collect);
  REQUIRE(back.size() == 4);
  CHECK(back[0] == std::make_pair(int64_t{3}, std::string("c")));
  CHECK(back[1] == std::make_pair(int64_t{2}, std::string("b")));
  CHECK(back[2].first == 1);
  CHECK(back[2].second == long_line);
  CHECK(back[3] == std::make_pair(int64_t{0}, std::string("a")));

  back.clear();
  int wanted = 2;
  w->read_back([&](const cn_record &r) {
    back.emplace_back(r.offset, text(r));
    return --wanted > 0;
  });
  CHECK(back == std::vector<std::pair<int64_t, std::string>>{{3, "c"}, {2, "b"}});
}

TEST_CASE("records appended but not yet flushed are read back too") {
  Store s;
  auto w = s.topics->open_writer("t");
  w->append(value_record("one"));
  w->append(value_record("two"));
  std::vector<std::string> back;
  w->read_back([&](const cn_record &r) {
    back.push_back(text(r));
    return true;
  });
  CHECK(back == std::vector<std::string>{"two", "one"});
}

TEST_CASE("reading back skips blank lines and CRs, as readers do, keeping the offsets") {
  Store s;
  write_file((s.dir.path() / "t.jsonl").string(), "a\n\nb\r\n\r\nc\n");
  auto w = s.topics->open_writer("t");
  std::vector<std::pair<int64_t, std::string>> back;
  w->read_back([&](const cn_record &r) {
    back.emplace_back(r.offset, text(r));
    return true;
  });
  CHECK(back == std::vector<std::pair<int64_t, std::string>>{{4, "c"}, {2, "b"}, {0, "a"}});
}
