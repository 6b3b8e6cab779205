// The file topic's reader: a file read in chunks, one record per line
// (file_format.hpp), following a file that grows.
#include "file_format.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace cn::host {

namespace {

constexpr auto kFollowPollInterval = std::chrono::milliseconds(20);

// An allocator whose resize() leaves the new bytes as they are: the buffer
// is read into right after, and zero-filling a chunk before each read was
// 3% of a sink's CPU.
template <class T>
struct UninitializedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <class U>
  UninitializedAllocator(const UninitializedAllocator<U> &) noexcept {}
  template <class U>
  void construct(U *p) noexcept {
    ::new (static_cast<void *>(p)) U;
  }
  template <class U, class... Args>
  void construct(U *p, Args &&...args) {
    ::new (static_cast<void *>(p)) U(std::forward<Args>(args)...);
  }
};

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
      read_to_end_ = false;
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
      buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
      consumed_ = 0;
      // After a huge record, give its memory back rather than keep it.
      if (buffer_.capacity() > 4 * kReadChunk && buffer_.size() <= kReadChunk) buffer_.shrink_to_fit();
      if (fill(deadline)) continue;
      if (eof_) continue;
      return records_;
    }
  }

  bool at_end() const override { return eof_ && consumed_ == buffer_.size(); }
  int64_t position() const override { return std::max(next_line_, skip_until_); }
  std::string describe() const override { return path_; }

  // Counts the file's lines, from where the last call stopped.
  int64_t end_offset() const override {
    if (stdin_) return -1;
    std::lock_guard<std::mutex> lock(end_.mutex);
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;  // not there yet
    struct stat st {};
    if (::fstat(fd, &st) == 0 && st.st_size < end_.counted_bytes) end_.counted_bytes = 0, end_.lines = 0;  // cut back
    char chunk[1 << 16];
    for (ssize_t n; (n = ::pread(fd, chunk, sizeof chunk, end_.counted_bytes)) > 0;) {
      end_.lines += std::count(chunk, chunk + n, '\n');
      end_.counted_bytes += n;
    }
    ::close(fd);
    return end_.lines;
  }

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
      // (An empty vector's data() may be null, which memchr must not get.)
      const void *nl = consumed_ < buffer_.size() ? std::memchr(start, '\n', buffer_.size() - consumed_) : nullptr;
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
    throw record_too_long(path_, next_line_, complete ? "" : "at least ", size, max_record_);
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
          // The last read ended at the end of the file, inside the line
          // buffer_ holds: is its start still in the file, or was it cut
          // off and written anew?
          if (read_to_end_ && old > 0 && !still_in_file(old)) {
            unread(old);
            continue;
          }
          read_to_end_ = !stdin_ && static_cast<std::size_t>(n) < want;  // a short read: the file ended there
          file_pos_ += n;
          return true;
        }
        if (n < 0 && errno != EINTR && errno != EAGAIN)
          throw TopicError(path_ + ": read failed at byte " + std::to_string(file_pos_) + ": " + errno_text());
        if (n == 0 && (stdin_ || !follow_)) {
          eof_ = true;
          return false;
        }
        if (n == 0) {
          if (cut_back(old)) continue;
          read_to_end_ = true;
        }
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

  // A writer cuts off the part of a line it could not finish (a failed
  // write, or a crash found by the next writer), and then appends whole
  // lines there. A reader following the file may have read such a part
  // (the `unfinished` bytes buffer_ holds, which end at file_pos_), and
  // must not glue it to what comes next. So when the file has become shorter
  // than what was read, those bytes are dropped and read again from where
  // their line starts (true); a file cut shorter than that, into lines
  // already read, is an error.
  bool cut_back(std::size_t unfinished) {
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || st.st_size >= file_pos_) return false;
    if (st.st_size < file_pos_ - static_cast<off_t>(unfinished))
      throw TopicError(path_ + ": the file shrank from " + std::to_string(file_pos_) + " to " +
                       std::to_string(st.st_size) + " bytes while being read; a topic log only grows");
    unread(unfinished);
    return true;
  }

  // Whether the unfinished line's first bytes, the first `unfinished` of
  // buffer_, are still what the file holds where they were read: after the
  // end of the file came inside that line, a writer may have cut it off and
  // appended anew past where this reader was (cut_back() sees only a file
  // that is still shorter). Then the bytes read now belong to other lines.
  bool still_in_file(std::size_t unfinished) const {
    std::string now(unfinished, '\0');
    const off_t start = file_pos_ - static_cast<off_t>(unfinished);
    return ::pread(fd_, now.data(), unfinished, start) == static_cast<ssize_t>(unfinished) &&
           std::memcmp(now.data(), buffer_.data(), unfinished) == 0;
  }

  // Forgets the unfinished line's bytes (all of buffer_: read() dropped the
  // rest) and reads again from where it starts.
  void unread(std::size_t unfinished) {
    buffer_.clear();
    file_pos_ -= static_cast<off_t>(unfinished);
    read_to_end_ = false;
    if (::lseek(fd_, file_pos_, SEEK_SET) < 0) throw TopicError(path_ + ": " + errno_text());
  }

  std::string path_;
  int fd_;
  // end_offset()'s count, kept between calls (from another thread).
  mutable struct EndCount {
    std::mutex mutex;
    off_t counted_bytes = 0;
    int64_t lines = 0;
  } end_;
  bool follow_, stdin_;
  std::size_t max_record_;
  std::vector<char, UninitializedAllocator<char>> buffer_;
  std::size_t consumed_ = 0;  // bytes of buffer_ already turned into records
  std::size_t bytes_ = 0;
  off_t file_pos_ = 0;
  int64_t next_line_ = 0;   // offset of the line that starts at consumed_
  int64_t skip_until_ = 0;  // lines before this offset are passed over
  bool eof_ = false;
  bool discarding_ = false;  // dropping the rest of an over-long line seek() passes over
  bool read_to_end_ = false;  // the last read() of the file reached its end
  std::vector<cn_record> records_;
};

}  // namespace

std::unique_ptr<TopicReader> open_file_reader(std::string path, int fd, bool follow, bool is_stdin,
                                              std::size_t max_record) {
  return std::make_unique<FileReader>(std::move(path), fd, follow, is_stdin, max_record);
}

}  // namespace cn::host
