// The file topic's writer: appends lines, makes them durable, cuts off what
// a failed write left, and reads the file back for a source that resumes.
#include "file_format.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace cn::host {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kWriteBuffer = 1 << 20;

class FileWriter : public TopicWriter {
 public:
  // max_record_bytes: the longest line read_back() holds (as a reader does).
  FileWriter(std::string path, const TopicWarning &warn, std::size_t max_record_bytes)
      : path_(std::move(path)), max_record_(max_record_bytes) {
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
    if (!failure_.empty()) throw TopicError(failure_);
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
      // The last line in bytes, without its CR: too long, even if only its
      // end is in bytes, is an error rather than more memory.
      std::size_t start = newline == std::string::npos ? 0 : newline + 1;
      std::size_t size = bytes.size() - start - (bytes.size() > start && bytes.back() == '\r');
      const bool whole = newline != std::string::npos || pos == 0;
      if (size > max_record_) too_long(offset - 1, whole ? size : size + length_before(pos));
      if (!whole) {  // the line starts further back
        // Read no further than proves the line too long, as a reader does.
        std::size_t n = std::min({static_cast<std::size_t>(pos), kReadChunk, max_record_ + 2 - bytes.size()});
        pos -= static_cast<off_t>(n);
        std::string chunk(n, '\0');
        ssize_t got = ::pread(fd_, chunk.data(), n, pos);
        if (got != static_cast<ssize_t>(n))
          throw TopicError(path_ + ": read failed: " + (got < 0 ? errno_text() : "the file shrank while read"));
        bytes.insert(0, chunk);
        if (first_chunk) bytes.pop_back(), first_chunk = false;  // the last line's newline
        continue;
      }
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
  // How many bytes before pos belong to the line that goes on at pos:
  // back to the previous newline or the start of the file, read in small
  // pieces without keeping them.
  std::size_t length_before(off_t pos) const {
    std::size_t length = 0;
    char piece[64 * 1024];
    while (pos > 0) {
      const std::size_t n = static_cast<std::size_t>(std::min<off_t>(pos, sizeof piece));
      pos -= static_cast<off_t>(n);
      if (::pread(fd_, piece, n, pos) != static_cast<ssize_t>(n))
        throw TopicError(path_ + ": read failed: " + errno_text());
      const void *nl = ::memrchr(piece, '\n', n);
      if (nl) return length + (n - 1 - static_cast<std::size_t>(static_cast<const char *>(nl) - piece));
      length += n;
    }
    return length;
  }

  [[noreturn]] void too_long(int64_t offset, std::size_t size) const {
    throw record_too_long(path_, offset, "", size, max_record_);
  }

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
    end_ = last_newline_end;
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
    if (!failure_.empty()) throw TopicError(failure_);
    std::size_t done = 0;
    while (done < pending_.size()) {
      ssize_t n = ::write(fd_, pending_.data() + done, pending_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail_write(done);
      done += static_cast<std::size_t>(n);
    }
    end_ += static_cast<off_t>(pending_.size());
    pending_.clear();
  }

  // A write that failed (a full disk: ENOSPC) may have put part of a line
  // at the end of the file, and a reader following the file may read it at
  // once: the file is cut back to its last whole line (whole lines among
  // the `written` bytes of pending_ stay: a reader may have taken them), as
  // the next writer's recover() would, but at once. What was not written
  // was never acknowledged, so the source sends it again. This writer
  // refuses everything from now on: its offsets no longer match the file
  // (the next writer counts them again).
  [[noreturn]] void fail_write(std::size_t written) {
    failure_ = path_ + ": write failed: " + errno_text();
    const void *newline = ::memrchr(pending_.data(), '\n', written);
    const off_t whole = newline ? static_cast<const char *>(newline) - pending_.data() + 1 : 0;
    if (::ftruncate(fd_, end_ + whole) == 0)
      end_ += whole;
    else
      failure_ += " (and cutting off the partial line failed: " + errno_text() + "; the next writer cuts it off)";
    pending_.clear();
    throw TopicError(failure_);
  }

  std::string path_;
  int fd_ = -1;
  int64_t next_offset_ = 0;
  off_t end_ = 0;        // the file's size: the end of its last whole line
  std::string failure_;  // why a write failed; then the writer refuses everything
  std::string pending_;
  std::size_t max_record_;  // read_back()'s limit, --max-record-bytes
};

}  // namespace

std::unique_ptr<TopicWriter> open_file_writer(std::string path, const TopicWarning &warn, std::size_t max_record) {
  return std::make_unique<FileWriter>(std::move(path), warn, max_record);
}

}  // namespace cn::host
