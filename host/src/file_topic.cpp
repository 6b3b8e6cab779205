// The embedded topic backend: one file per topic, DIR/<topic>.jsonl, one
// record per line, a record's offset is its 0-based line number. Blank lines
// (empty, or only spaces, tabs and CRs) hold an offset but carry no record.
// Topic directories are created 0700 and topic files 0600: a topic holds a
// copy of every row a source sends.
#include "topic.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

namespace cn::host {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kReadChunk = 1 << 20;
constexpr std::size_t kWriteBuffer = 1 << 20;
constexpr auto kFollowPollInterval = std::chrono::milliseconds(20);

std::string errno_text() { return std::strerror(errno); }

// A line of nothing but spaces, tabs and CRs carries no record.
bool is_blank(const char *p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r') return false;
  return true;
}

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

class FileReader : public TopicReader {
 public:
  // fd -1: the file does not exist yet and is opened when it appears.
  FileReader(std::string path, int fd, bool follow, bool is_stdin, std::size_t max_record_bytes)
      : path_(std::move(path)), fd_(fd), follow_(follow), stdin_(is_stdin), max_record_(max_record_bytes) {}
  ~FileReader() override {
    if (fd_ >= 0 && !stdin_) ::close(fd_);
  }

  void seek(int64_t from) override {
    if (from < next_line_) {
      if (stdin_)
        throw TopicError("stdin: cannot go back to offset " + std::to_string(from) +
                         " (already read up to " + std::to_string(next_line_) +
                         "); use a file topic to be able to resume");
      if (fd_ >= 0 && ::lseek(fd_, 0, SEEK_SET) < 0) throw TopicError(path_ + ": " + errno_text());
      buffer_.clear();
      consumed_ = 0;
      file_pos_ = 0;
      next_line_ = 0;
      eof_ = false;
      discarding_ = false;
    }
    skip_until_ = from;
  }

  const std::vector<cn_record> &read(std::size_t max_records, std::size_t max_bytes, int wait_ms) override {
    records_.clear();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    for (;;) {
      take_lines(max_records, max_bytes);
      if (!records_.empty()) return records_;
      if (eof_) {
        take_tail();
        return records_;
      }
      // No record points into the buffer now: drop what was consumed (or
      // skipped after a seek) so the buffer holds one chunk, not the file.
      buffer_.erase(0, consumed_);
      consumed_ = 0;
      if (fill(deadline)) continue;
      if (eof_) continue;
      return records_;
    }
  }

  bool at_end() const override { return eof_ && consumed_ == buffer_.size(); }
  int64_t position() const override { return std::max(next_line_, skip_until_); }
  std::string describe() const override { return path_; }

 private:
  void add_line(std::size_t begin, std::size_t end) {
    int64_t offset = next_line_++;
    if (end > begin && buffer_[end - 1] == '\r') --end;
    if (offset < skip_until_ || is_blank(buffer_.data() + begin, end - begin)) return;
    records_.push_back(cn_record{offset, 0, cn_str{nullptr, 0}, cn_str{buffer_.data() + begin, end - begin}});
    bytes_ += end - begin;
  }

  void take_lines(std::size_t max_records, std::size_t max_bytes) {
    bytes_ = 0;
    while (records_.size() < max_records && bytes_ < max_bytes) {
      const char *start = buffer_.data() + consumed_;
      const void *nl = std::memchr(start, '\n', buffer_.size() - consumed_);
      const bool skipped = next_line_ < skip_until_;
      if (!nl) {
        // A line seek() passes over may be of any length: dropped as it comes.
        if (discarding_ || (skipped && buffer_.size() - consumed_ > max_record_ + 1)) {
          consumed_ = buffer_.size();
          discarding_ = true;
        } else {
          too_long(consumed_, buffer_.size(), false);
        }
        return;
      }
      std::size_t end = static_cast<std::size_t>(static_cast<const char *>(nl) - buffer_.data());
      if (discarding_) {  // the end of a line passed over
        consumed_ = end + 1;
        ++next_line_;
        discarding_ = false;
        continue;
      }
      if (!skipped && too_long(consumed_, end, true)) return;
      add_line(consumed_, end);
      consumed_ = end + 1;
    }
  }

  // At the final end of input, a last line without '\n' is a record too.
  void take_tail() {
    if (discarding_) {  // the end of a line passed over
      ++next_line_;
      discarding_ = false;
      consumed_ = buffer_.size();
      return;
    }
    if (consumed_ == buffer_.size()) return;
    if (next_line_ >= skip_until_ && too_long(consumed_, buffer_.size(), true)) return;
    add_line(consumed_, buffer_.size());
    consumed_ = buffer_.size();
  }

  // Whether the line in buffer_[begin, end) is longer than the limit
  // (complete: end is where it ends; else it goes on). Returns true when
  // records already taken must be delivered first; throws TopicError when
  // there are none.
  bool too_long(std::size_t begin, std::size_t end, bool complete) {
    std::size_t size = end - begin;
    if (complete && size > 0 && buffer_[end - 1] == '\r') --size;
    // An unfinished line may still end in a CR that is not part of it.
    if (complete ? size <= max_record_ : size <= max_record_ + 1) return false;
    if (!records_.empty()) return true;
    if (!complete) complete = measure_rest(size);
    throw TopicError(path_ + ": the record at offset " + std::to_string(next_line_) + " is " +
                     (complete ? "" : "at least ") + std::to_string(size) + " bytes, more than the maximum of " +
                     std::to_string(max_record_) + " bytes; raise the limit with --max-record-bytes (up to " +
                     std::to_string(kMaxRecordBytesLimit) + ")");
  }

  // Adds to size, the bytes of an unfinished line in buffer_, the rest of
  // the line as the file holds it now, reading it in small pieces without
  // keeping it. Returns whether the line's end was found (a followed file
  // may still grow).
  bool measure_rest(std::size_t &size) {
    if (stdin_ || fd_ < 0) return false;
    char piece[64 * 1024];
    for (off_t pos = file_pos_;;) {
      ssize_t n = ::pread(fd_, piece, sizeof piece, pos);
      if (n <= 0) return n == 0 && !follow_;  // the end of a file that does not grow ends the line
      const void *nl = std::memchr(piece, '\n', static_cast<std::size_t>(n));
      std::size_t upto = nl ? static_cast<std::size_t>(static_cast<const char *>(nl) - piece)
                            : static_cast<std::size_t>(n);
      size += upto;
      if (nl) {
        if (upto > 0 ? piece[upto - 1] == '\r' : buffer_.back() == '\r') --size;
        return true;
      }
      pos += n;
    }
  }

  // Reads more bytes; waits until deadline for them. Returns whether any
  // came. Sets eof_ when no more can ever come.
  bool fill(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      if (fd_ < 0) open_when_it_appears();
      if (fd_ >= 0) {
        if (stdin_ && !wait_readable(deadline)) return false;
        // buffer_ holds only the unfinished line here (read() dropped the
        // rest): read no further than proves it too long.
        std::size_t old = buffer_.size();
        std::size_t want = std::min(kReadChunk, max_record_ + 2 - std::min(old, max_record_ + 1));
        buffer_.resize(old + want);
        ssize_t n = ::read(fd_, buffer_.data() + old, want);
        buffer_.resize(old + static_cast<std::size_t>(n > 0 ? n : 0));
        if (n > 0) {
          file_pos_ += n;
          return true;
        }
        if (n < 0 && errno != EINTR && errno != EAGAIN)
          throw TopicError(path_ + ": read failed at byte " + std::to_string(file_pos_) + ": " + errno_text());
        if (n == 0 && (stdin_ || !follow_)) {
          eof_ = true;
          return false;
        }
        if (n == 0) check_not_truncated();
      }
      if (std::chrono::steady_clock::now() >= deadline) return false;
      if (!stdin_) std::this_thread::sleep_for(kFollowPollInterval);
    }
  }

  bool wait_readable(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count()))) > 0;
  }

  void open_when_it_appears() {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0 && errno != ENOENT) throw TopicError(path_ + ": cannot open: " + errno_text());
  }

  void check_not_truncated() {
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && st.st_size < file_pos_)
      throw TopicError(path_ + ": the file shrank from " + std::to_string(file_pos_) + " to " +
                       std::to_string(st.st_size) + " bytes while being read; a topic log only grows");
  }

  std::string path_;
  int fd_;
  bool follow_, stdin_;
  std::size_t max_record_;
  std::string buffer_;
  std::size_t consumed_ = 0;  // bytes of buffer_ already turned into records
  std::size_t bytes_ = 0;
  off_t file_pos_ = 0;
  int64_t next_line_ = 0;   // offset of the line that starts at consumed_
  int64_t skip_until_ = 0;  // lines before this offset are passed over
  bool eof_ = false;
  bool discarding_ = false;  // dropping the rest of an over-long line seek() passes over
  std::vector<cn_record> records_;
};

class FileWriter : public TopicWriter {
 public:
  FileWriter(std::string path, const TopicWarning &warn) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
    bool created = false;
    if (fd_ < 0 && errno == ENOENT) {
      fd_ = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CLOEXEC | O_CREAT | O_EXCL, 0600);
      created = fd_ >= 0;
      if (fd_ < 0 && errno == EEXIST) fd_ = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
    }
    if (fd_ < 0) throw TopicError(path_ + ": cannot open for writing: " + errno_text());
    if (created && ::fchmod(fd_, 0600) != 0) {  // 0600 whatever the umask
      ::close(fd_);
      throw TopicError(path_ + ": cannot make the topic file private (chmod 600): " + errno_text());
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw TopicError(path_ + ": another process is writing this topic");
    }
    recover(warn);
    sync_directory();
  }
  ~FileWriter() override { ::close(fd_); }

  int64_t append(const cn_record &record) override {
    const char *value = record.value.ptr ? record.value.ptr : "";
    if (std::memchr(value, '\n', record.value.len))
      throw TopicError(path_ + ": the record for offset " + std::to_string(next_offset_) +
                       " contains a line break; the file topic stores one record per line");
    pending_.append(value, record.value.len);
    pending_ += '\n';
    if (pending_.size() >= kWriteBuffer) write_pending();
    return next_offset_++;
  }

  void flush() override {
    write_pending();
    if (::fdatasync(fd_) != 0) throw TopicError(path_ + ": fdatasync failed: " + errno_text());
  }

  std::string describe() const override { return path_; }

  void read_back(const RecordVisitor &visit) override {
    write_pending();
    off_t pos = ::lseek(fd_, 0, SEEK_END);  // recover() left the file ending in a newline
    if (pos < 0) throw TopicError(path_ + ": cannot find the end: " + errno_text());
    std::string bytes;                      // the file's bytes from pos on, up to the lines already handed
    int64_t offset = next_offset_;
    bool first_chunk = true;
    while (pos > 0 || !bytes.empty()) {
      std::size_t newline = bytes.rfind('\n');
      if (newline == std::string::npos && pos > 0) {  // the line starts further back
        std::size_t n = static_cast<std::size_t>(std::min<off_t>(pos, kReadChunk));
        pos -= static_cast<off_t>(n);
        std::string chunk(n, '\0');
        ssize_t got = ::pread(fd_, chunk.data(), n, pos);
        if (got != static_cast<ssize_t>(n))
          throw TopicError(path_ + ": read failed: " + (got < 0 ? errno_text() : "the file shrank while read"));
        bytes.insert(0, chunk);
        if (first_chunk) bytes.pop_back(), first_chunk = false;  // the last line's newline
        continue;
      }
      std::size_t start = newline == std::string::npos ? 0 : newline + 1;
      cn_record record{--offset, 0, {nullptr, 0}, {bytes.data() + start, bytes.size() - start}};
      // As readers see lines: without a CR before the newline; a blank one
      // keeps its offset but is no record.
      if (record.value.len > 0 && record.value.ptr[record.value.len - 1] == '\r') --record.value.len;
      const bool blank = is_blank(record.value.ptr, record.value.len);
      if ((!blank && !visit(record)) || newline == std::string::npos) return;
      bytes.resize(newline);
    }
  }

 private:
  // Counts the lines already there; cuts off an incomplete last line, which
  // only a writer that died mid-write leaves (it was never acknowledged, so
  // its source sends it again).
  void recover(const TopicWarning &warn) {
    off_t size = 0, last_newline_end = 0;
    std::string chunk(kReadChunk, '\0');
    for (ssize_t n; (n = ::pread(fd_, chunk.data(), chunk.size(), size)) > 0; size += n)
      for (ssize_t i = 0; i < n; ++i)
        if (chunk[static_cast<std::size_t>(i)] == '\n') {
          ++next_offset_;
          last_newline_end = size + i + 1;
        }
    if (size != last_newline_end) {
      warn(path_ + ": removed an incomplete last line (" + std::to_string(size - last_newline_end) +
           " bytes after offset " + std::to_string(next_offset_ - 1) + ") left by an interrupted write");
      if (::ftruncate(fd_, last_newline_end) != 0) throw TopicError(path_ + ": ftruncate failed: " + errno_text());
    }
  }

  // A new file is durable only once its directory entry is.
  void sync_directory() {
    std::string dir = fs::path(path_).parent_path().string();
    int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }

  void write_pending() {
    std::size_t done = 0;
    while (done < pending_.size()) {
      ssize_t n = ::write(fd_, pending_.data() + done, pending_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw TopicError(path_ + ": write failed: " + errno_text());
      done += static_cast<std::size_t>(n);
    }
    pending_.clear();
  }

  std::string path_;
  int fd_ = -1;
  int64_t next_offset_ = 0;
  std::string pending_;
};

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
    if (topic == "-") return std::make_unique<FileReader>("stdin", STDIN_FILENO, false, true, max_record_);
    std::string path = file_of(topic);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && (errno != ENOENT || !follow))
      throw TopicError(path + ": cannot open topic '" + topic + "': " + errno_text() +
                       (errno == ENOENT ? " (check --topics and the topic name)" : ""));
    struct stat st {};
    if (::stat(dir_.c_str(), &st) == 0) check_once(dir_, st);
    if (fd >= 0 && ::fstat(fd, &st) == 0) check_once(path, st);
    return std::make_unique<FileReader>(path, fd, follow, false, max_record_);
  }

  std::unique_ptr<TopicWriter> open_writer(const std::string &topic) override {
    if (topic == "-") return std::make_unique<StdoutWriter>();
    std::string path = file_of(topic);
    make_directory();
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) check_once(path, st);
    return std::make_unique<FileWriter>(path, warn_);
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

std::unique_ptr<TopicStore> open_topics(const std::string &dir, TopicWarning warn, std::size_t max_record_bytes) {
  return std::make_unique<FileStore>(dir, std::move(warn), max_record_bytes);
}

}  // namespace cn::host
