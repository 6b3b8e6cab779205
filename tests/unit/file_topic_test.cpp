// The file topic: offsets are line numbers, appends are durable on flush,
// readers resume anywhere and follow a growing file.
#include "topic.hpp"

#include "paths.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fstream>

using namespace cn::host;

namespace {

cn_record value_record(const std::string &value) {
  return cn_record{0, 0, {nullptr, 0}, {value.data(), value.size()}};
}

std::string text(const cn_record &r) { return std::string(r.value.ptr, r.value.len); }

// Written private (0600), as the store creates topic files: a test of
// something else sees no warning about the file's mode.
void write_file(const std::string &path, const std::string &content, std::ios::openmode mode = std::ios::trunc) {
  std::ofstream(path, std::ios::binary | std::ios::out | mode) << content;
  ::chmod(path.c_str(), 0600);
}

mode_t mode_of(const std::string &path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

struct Store {
  explicit Store(std::size_t max_record_bytes = kDefaultMaxRecordBytes)
      : topics(open_topics(topics_in(dir.path().string()), [this](const std::string &w) { warnings.push_back(w); },
                           max_record_bytes)) {}
  cn::test::TempDir dir;
  std::vector<std::string> warnings;
  std::unique_ptr<TopicStore> topics;
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

TEST_CASE("reading back refuses a line longer than the maximum, as a reader does, after the newer records") {
  Store s(1024);
  const std::string file = s.dir / "t.jsonl";
  const std::string exactly(1024, 'x');
  write_file(file, "a\n" + std::string(2000, 'y') + "\r\nb\n" + exactly + "\r\n");
  auto w = s.topics->open_writer("t");
  std::vector<std::pair<int64_t, std::string>> back;
  auto collect = [&back](const cn_record &r) {
    back.emplace_back(r.offset, text(r));
    return true;
  };
  CHECK_THROWS_WITH_AS(w->read_back(collect),
                       (file + ": the record at offset 1 is 2000 bytes, more than the maximum of 1024 bytes; raise "
                               "the limit with --max-record-bytes (up to 4294967296)")
                           .c_str(),
                       TopicError);
  CHECK(back == std::vector<std::pair<int64_t, std::string>>{{3, exactly}, {2, "b"}});

  // A visitor that stops before the line never meets it.
  back.clear();
  w->read_back([&](const cn_record &r) {
    back.emplace_back(r.offset, text(r));
    return false;
  });
  CHECK(back == std::vector<std::pair<int64_t, std::string>>{{3, exactly}});

  // Lines much longer than the limit and the read chunk (1 MiB) are
  // measured to their start, not held: at the file's start, and after a line.
  w.reset();
  write_file(file, std::string(3 << 20, 'z') + "\n");
  w = s.topics->open_writer("t");
  CHECK_THROWS_WITH_AS(w->read_back(collect), doctest::Contains("t.jsonl: the record at offset 0 is 3145728 bytes"),
                       TopicError);
  w.reset();
  write_file(file, "a\n" + std::string(3 << 20, 'z') + "\r\nb\n");
  w = s.topics->open_writer("t");
  back.clear();
  CHECK_THROWS_WITH_AS(w->read_back(collect), doctest::Contains("t.jsonl: the record at offset 1 is 3145728 bytes"),
                       TopicError);
  CHECK(back == std::vector<std::pair<int64_t, std::string>>{{2, "b"}});
}

TEST_CASE("a line of only spaces, tabs or a CR is blank: it keeps its offset and carries no record") {
  Store s;
  write_file(s.dir / "t.jsonl", "a\n   \n\t\n\r\n \t\r\nb\n  \r\n");
  CHECK(drain(*s.topics->open_reader("t", false)) ==
        std::vector<std::pair<int64_t, std::string>>{{0, "a"}, {5, "b"}});

  auto w = s.topics->open_writer("t");
  std::vector<std::pair<int64_t, std::string>> back;
  w->read_back([&](const cn_record &r) {
    back.emplace_back(r.offset, text(r));
    return true;
  });
  CHECK(back == std::vector<std::pair<int64_t, std::string>>{{5, "b"}, {0, "a"}});
  CHECK(w->append(value_record("c")) == 7);
}

TEST_CASE("a record with spaces around it is still a record, kept as written") {
  Store s;
  write_file(s.dir / "t.jsonl", " {} \n");
  CHECK(drain(*s.topics->open_reader("t", false)) == std::vector<std::pair<int64_t, std::string>>{{0, " {} "}});
}

TEST_CASE("topic directories are created 0700 and topic files 0600, whatever the umask") {
  mode_t old_umask = ::umask(0);
  cn::test::TempDir dir;
  std::vector<std::string> warnings;
  const std::string topics_dir = dir / "deep/topics";
  auto topics = open_topics(topics_in(topics_dir), [&](const std::string &w) { warnings.push_back(w); });
  auto w = topics->open_writer("t");
  ::umask(old_umask);
  w->append(value_record("row"));
  w->flush();
  CHECK(mode_of(topics_dir) == 0700);
  CHECK(mode_of(topics_dir + "/t.jsonl") == 0600);
  CHECK(warnings.empty());
}

TEST_CASE("an existing topic file or directory open to group or others is warned about once, not changed") {
  Store s;
  const std::string file = s.dir / "t.jsonl";
  write_file(file, "a\n");
  ::chmod(file.c_str(), 0644);
  auto w = s.topics->open_writer("t");
  auto r = s.topics->open_reader("t", false);
  w.reset();
  w = s.topics->open_writer("t");
  REQUIRE(s.warnings.size() == 1);
  CHECK(s.warnings[0] == file + ": the topic file is readable or writable by group or others (mode 0644), yet it "
                                "holds a copy of every record; fix it with: chmod 600 " + file);
  CHECK(mode_of(file) == 0644);

  ::chmod(s.dir.path().c_str(), 0750);
  s.topics->open_reader("t", false);
  s.topics->open_reader("t", false);
  REQUIRE(s.warnings.size() == 2);
  CHECK(s.warnings[1].find(s.dir.path().string() + ": the topic directory is readable or writable by group or "
                                                   "others (mode 0750)") == 0);
  CHECK(s.warnings[1].find("chmod 700 " + s.dir.path().string()) != std::string::npos);
  CHECK(mode_of(s.dir.path().string()) == 0750);
  ::chmod(s.dir.path().c_str(), 0700);
}

TEST_CASE("a record longer than the maximum is an error naming the file, the offset and the size") {
  Store s(1024);
  const std::string file = s.dir / "t.jsonl";
  const std::string exactly(1024, 'x');
  write_file(file, "ok\n" + exactly + "\r\n" + std::string(2000, 'y') + "\nafter\n");
  auto reader = s.topics->open_reader("t", false);
  std::vector<std::string> before;  // the records before it come first
  std::string error;
  try {
    while (!reader->at_end())
      for (const cn_record &r : reader->read(100, 1 << 20, 0)) before.push_back(text(r));
  } catch (const TopicError &e) {
    error = e.what();
  }
  CHECK(before == std::vector<std::string>{"ok", exactly});
  CHECK(error == file + ": the record at offset 2 is 2000 bytes, more than the maximum of 1024 bytes; raise the "
                        "limit with --max-record-bytes (up to 4294967296)");
}

TEST_CASE("an over-long line is measured to its end, or as far as a followed file goes") {
  Store s(1024);
  const std::string file = s.dir / "t.jsonl";
  write_file(file, "a\n" + std::string(8 << 20, 'z'));  // 8 MiB, no line end yet
  CHECK_THROWS_WITH_AS(drain(*s.topics->open_reader("t", false)),
                       doctest::Contains("t.jsonl: the record at offset 1 is 8388608 bytes, more than the maximum"),
                       TopicError);
  auto follower = s.topics->open_reader("t", true);
  CHECK(follower->read(100, 1 << 20, 0).size() == 1);
  CHECK_THROWS_WITH_AS(follower->read(100, 1 << 20, 0),
                       doctest::Contains("t.jsonl: the record at offset 1 is at least 8388608 bytes, more than the "
                                         "maximum of 1024 bytes"),
                       TopicError);
  write_file(file, "\r\nb\n", std::ios::app);
  CHECK_THROWS_WITH_AS(drain(*s.topics->open_reader("t", false)), doctest::Contains("offset 1 is 8388608 bytes"),
                       TopicError);
}

TEST_CASE("an over-long last line without a newline is refused too") {
  Store s(1024);
  write_file(s.dir / "t.jsonl", "a\n" + std::string(1025, 'q'));
  auto reader = s.topics->open_reader("t", false);
  CHECK_THROWS_WITH_AS(drain(*reader), doctest::Contains("offset 1 is 1025 bytes"), TopicError);
}

TEST_CASE("an over-long line that seek() passes over is skipped, not refused") {
  Store s(1024);
  write_file(s.dir / "t.jsonl", "a\n" + std::string(3 << 20, 'w') + "\n" + std::string(1500, 'v') + "\nb\nc");
  auto reader = s.topics->open_reader("t", false);
  reader->seek(3);
  CHECK(drain(*reader) == std::vector<std::pair<int64_t, std::string>>{{3, "b"}, {4, "c"}});
  reader->seek(2);
  CHECK_THROWS_WITH_AS(drain(*reader), doctest::Contains("offset 2 is 1500 bytes"), TopicError);
}
