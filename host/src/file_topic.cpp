// The embedded topic backend: one file per topic, DIR/<topic>.jsonl, one
// record per line, a record's offset is its 0-based line number. Blank lines
// (empty, or only spaces, tabs and CRs) hold an offset but carry no record.
// Topic directories are created 0700 and topic files 0600: a topic holds a
// copy of every row a source sends. Here: the store (names, directories,
// permissions) and stdin / stdout; the reader and the writer of a file are
// file_reader.cpp and file_writer.cpp.
#include "file_format.hpp"
#include "nats_link.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <set>

namespace cn::host {

namespace fs = std::filesystem;

namespace {

// "0644"
std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Warns (once per path) when path, a topic file or directory, can be read
// or written by group or others.
void check_private(const std::string &path, const struct stat &st, const TopicWarning &warn) {
  if ((st.st_mode & 066) == 0) return;
  const bool dir = S_ISDIR(st.st_mode);
  warn(path + ": the topic " + (dir ? "directory" : "file") + " is readable or writable by group or others (mode " +
       mode_text(st.st_mode) + "), yet it holds a copy of every record; fix it with: chmod " + (dir ? "700 " : "600 ") +
       path);
}

void check_topic_name(const std::string &topic) {
  bool ok = !topic.empty() && topic != "." && topic != "..";
  for (char c : topic) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
  if (!ok)
    throw TopicNameError("topic name '" + topic +
                     "' is not allowed: use letters, digits, '.', '_' and '-' (or '-' alone for stdin)");
}


// Standard output as a topic: records go out as lines; flush() flushes
// what can be flushed (a pipe cannot be synced).
class StdoutWriter : public TopicWriter {
 public:
  int64_t append(const cn_record &record) override {
    std::fwrite(record.value.ptr, 1, record.value.len, stdout);
    std::fputc('\n', stdout);
    return next_offset_++;
  }
  void flush() override {
    if (std::fflush(stdout) != 0) throw TopicError("stdout: write failed: " + errno_text());
  }
  std::string describe() const override { return "stdout"; }
  void read_back(const RecordVisitor &) override {}

 private:
  int64_t next_offset_ = 0;
};

class FileStore : public TopicStore {
 public:
  FileStore(std::string dir, TopicWarning warn, std::size_t max_record_bytes)
      : dir_(std::move(dir)), warn_(std::move(warn)), max_record_(max_record_bytes) {}

  std::unique_ptr<TopicReader> open_reader(const std::string &topic, bool follow) override {
    if (topic == "-") return open_file_reader("stdin", STDIN_FILENO, false, true, max_record_);
    std::string path = file_of(topic);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && (errno != ENOENT || !follow))
      throw TopicError(path + ": cannot open topic '" + topic + "': " + errno_text() +
                       (errno == ENOENT ? " (check --topics and the topic name)" : ""));
    struct stat st {};
    if (::stat(dir_.c_str(), &st) == 0) check_once(dir_, st);
    if (fd >= 0 && ::fstat(fd, &st) == 0) check_once(path, st);
    return open_file_reader(path, fd, follow, false, max_record_);
  }

  std::unique_ptr<TopicWriter> open_writer(const std::string &topic) override {
    if (topic == "-") return std::make_unique<StdoutWriter>();
    std::string path = file_of(topic);
    make_directory();
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) check_once(path, st);
    return open_file_writer(path, warn_, max_record_);
  }

 private:
  std::string file_of(const std::string &topic) const {
    check_topic_name(topic);
    return (fs::path(dir_) / (topic + ".jsonl")).string();
  }

  // Creates the topics directory 0700 (whatever the umask) if it is not
  // there; warns if one that is there is open to group or others.
  void make_directory() {
    struct stat st {};
    if (::stat(dir_.c_str(), &st) == 0) return check_once(dir_, st);
    std::error_code ec;
    fs::path parent = fs::path(dir_).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (ec) throw TopicError(dir_ + ": cannot create the topics directory: " + ec.message());
    if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST)
      throw TopicError(dir_ + ": cannot create the topics directory: " + errno_text());
    if (::chmod(dir_.c_str(), 0700) != 0)
      throw TopicError(dir_ + ": cannot make the topics directory private (chmod 700): " + errno_text());
  }

  void check_once(const std::string &path, const struct stat &st) {
    check_private(path, st, [this](const std::string &w) { warn_once(w); });
  }

  // The same warning (a file's mode) is given once, however often the
  // topic is opened.
  void warn_once(const std::string &warning) {
    if (warned_.insert(warning).second) warn_(warning);
  }

  std::string dir_;
  TopicWarning warn_;
  std::size_t max_record_;
  std::set<std::string> warned_;
};

}  // namespace

std::unique_ptr<TopicStore> open_topics(const TopicsConfig &config, TopicWarning warn, std::size_t max_record_bytes) {
  if (is_nats_location(config.location)) return open_nats_topics(config, std::move(warn), max_record_bytes);
  return std::make_unique<FileStore>(config.location, std::move(warn), max_record_bytes);
}

}  // namespace cn::host
