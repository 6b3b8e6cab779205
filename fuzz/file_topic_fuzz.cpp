// libFuzzer target: the file topic (host/src/file_topic.cpp, through
// open_topics). The input's first three bytes choose the limits, the rest
// is the topic file's bytes:
//   byte 0: --max-record-bytes, 8 * byte (0: the default, 256 MiB)
//   byte 1: low 3 bits + 1: records per read; the other bits: the offset to seek to
//   byte 2: 16 * byte + 1: bytes per read
// A reader reads the file to its end; then a writer opens it (cutting off
// an incomplete last line), reads it back newest first, appends a record
// and reads back again.
//
// Both are compared with a model of the format written here: a line per
// offset, '\n' ends it, one '\r' before that is dropped, a line of only
// spaces, tabs and CRs is no record, the last line without '\n' is a record
// to a reader and cut off by a writer, and a line longer than the limit is
// a TopicError naming its offset and size once the records before it (for
// read_back: after it) have been handed over.
#include "fuzz_check.hpp"

#include <topic.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace cn::host;

namespace {

struct Line {
  int64_t offset;
  std::string value;  // without its '\r'
  bool ended;         // by '\n' (else the file's incomplete last line)
  bool ends_in_cr;
};

std::vector<Line> lines_of(std::string_view file) {
  std::vector<Line> lines;
  for (std::size_t start = 0; start < file.size();) {
    std::size_t end = file.find('\n', start);
    const bool ended = end != std::string_view::npos;
    if (!ended) end = file.size();
    std::string value(file.substr(start, end - start));
    const bool cr = !value.empty() && value.back() == '\r';
    if (cr) value.pop_back();
    lines.push_back(Line{static_cast<int64_t>(lines.size()), std::move(value), ended, cr});
    start = end + 1;
  }
  return lines;
}

bool blank(const std::string &value) { return value.find_first_not_of(" \t\r") == std::string::npos; }

using Records = std::vector<std::pair<int64_t, std::string>>;

// What a reader or read_back must deliver, and where it must stop.
struct Expected {
  Records records;
  std::optional<int64_t> too_long;  // the offset of the line refused
};

// The topic directory, made once and removed at exit: in memory
// (/dev/shm) when there is one, since the writer syncs the file and its
// directory.
struct TopicDir {
  TopicDir() {
    const char *base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : std::getenv("TMPDIR");
    path = std::string(base ? base : "/tmp") + "/cn-file-topic-fuzz-XXXXXX";
    FUZZ_CHECK(::mkdtemp(path.data()) != nullptr, "a temporary directory");
  }
  ~TopicDir() { std::filesystem::remove_all(path); }
  std::string path;
};

const std::string &topic_dir() {
  static const TopicDir dir;
  return dir.path;
}

void write_topic_file(const std::string &path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  FUZZ_CHECK(fd >= 0, "the topic file opens");
  FUZZ_CHECK(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()), "the topic file is written");
  ::close(fd);
}

// The error names the offset and the size of the line. (The size may count
// the '\r' of an incomplete last line: FileReader measures such a line to
// the end of the file without dropping it.)
void check_too_long(const TopicError &e, const Line &line, const char *who) {
  const std::string what = e.what();
  const std::string at = "the record at offset " + std::to_string(line.offset) + " is ";
  bool named = what.find(at + std::to_string(line.value.size()) + " bytes") != std::string::npos;
  if (!line.ended && line.ends_in_cr) named = named || what.find(at + std::to_string(line.value.size() + 1) + " bytes") != std::string::npos;
  FUZZ_CHECK(named, std::string(who) + " names the line too long: " + what);
}

void check_reader(TopicStore &store, const std::vector<Line> &lines, std::size_t limit, int64_t seek,
                  std::size_t max_records, std::size_t max_bytes) {
  Expected expected;
  for (const Line &line : lines) {
    if (line.offset < seek) continue;  // passed over, however long
    if (line.value.size() > limit) {
      expected.too_long = line.offset;
      break;
    }
    if (!blank(line.value)) expected.records.emplace_back(line.offset, line.value);
  }

  auto reader = store.open_reader("t", false);
  if (seek > 0) reader->seek(seek);
  Records got;
  try {
    while (!reader->at_end()) {
      const std::vector<cn_record> &batch = reader->read(max_records, max_bytes, 0);
      FUZZ_CHECK(!batch.empty() || reader->at_end(), "a read before the end returns records");
      FUZZ_CHECK(batch.size() <= max_records, "a read returns at most max_records");
      for (const cn_record &r : batch) got.emplace_back(r.offset, std::string(r.value.ptr, r.value.len));
    }
    FUZZ_CHECK(!expected.too_long, "the reader refuses the line at offset " + std::to_string(*expected.too_long));
  } catch (const TopicError &e) {
    FUZZ_CHECK(expected.too_long, std::string("the reader refuses only a line too long: ") + e.what());
    check_too_long(e, lines[static_cast<std::size_t>(*expected.too_long)], "the reader");
  }
  FUZZ_CHECK(got == expected.records, "the reader delivers the records of the model");
}

// read_back, newest first, as many records as wanted (-1: all).
void check_read_back(TopicWriter &writer, const std::vector<Line> &complete, std::size_t limit, int wanted) {
  Expected expected;
  for (auto line = complete.rbegin(); line != complete.rend() && wanted != 0; ++line) {
    if (line->value.size() > limit) {
      expected.too_long = line->offset;
      break;
    }
    if (!blank(line->value)) expected.records.emplace_back(line->offset, line->value), --wanted;
  }
  Records got;
  try {
    writer.read_back([&](const cn_record &r) {
      got.emplace_back(r.offset, std::string(r.value.ptr, r.value.len));
      return got.size() != expected.records.size() || expected.too_long;
    });
    FUZZ_CHECK(!expected.too_long, "read_back refuses the line at offset " + std::to_string(*expected.too_long));
  } catch (const TopicError &e) {
    FUZZ_CHECK(expected.too_long, std::string("read_back refuses only a line too long: ") + e.what());
    check_too_long(e, complete[static_cast<std::size_t>(*expected.too_long)], "read_back");
  }
  FUZZ_CHECK(got == expected.records, "read_back delivers the records of the model");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
  if (size < 3) return 0;
  const std::size_t limit = data[0] ? std::size_t{8} * data[0] : kDefaultMaxRecordBytes;
  const std::size_t max_records = (data[1] & 7) + 1;
  const int64_t seek = data[1] >> 3;
  const std::size_t max_bytes = std::size_t{16} * data[2] + 1;
  const std::string_view file(reinterpret_cast<const char *>(data + 3), size - 3);

  const std::string path = topic_dir() + "/t.jsonl";
  write_topic_file(path, file);
  const std::vector<Line> lines = lines_of(file);
  std::vector<std::string> warnings;
  auto store = open_topics(topics_in(topic_dir()), [&](const std::string &w) { warnings.push_back(w); }, limit);

  check_reader(*store, lines, limit, seek, max_records, max_bytes);

  // A writer cuts off the incomplete last line, and says so.
  std::vector<Line> complete = lines;
  if (!complete.empty() && !complete.back().ended) complete.pop_back();
  auto writer = store->open_writer("t");
  FUZZ_CHECK(warnings.size() == (complete.size() == lines.size() ? 0u : 1u), "one warning for a line cut off");
  check_read_back(*writer, complete, limit, -1);
  check_read_back(*writer, complete, limit, 1);

  // An appended record comes back first, after every line there was.
  const std::string record = "{\"appended\":true}";
  FUZZ_CHECK(writer->append(cn_record{0, 0, {nullptr, 0}, {record.data(), record.size()}}) ==
                 static_cast<int64_t>(complete.size()),
             "an appended record takes the next offset");
  complete.push_back(Line{static_cast<int64_t>(complete.size()), record, true, false});
  check_read_back(*writer, complete, limit, 1);
  return 0;
}
