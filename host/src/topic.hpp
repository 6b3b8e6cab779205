// Topics: where records wait between a source and a sink.
//
// The run loops see only these interfaces, so a backend (the local file log
// today, NATS JetStream later) is added by implementing them and teaching
// open_topics() its name, without touching the run loops.
#ifndef CN_HOST_TOPIC_HPP
#define CN_HOST_TOPIC_HPP

#include "topics_config.hpp"

#include <cn/plugin.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace cn::host {

// A topic could not be read or written. what() names the topic (its file)
// and, where it applies, the offset.
class TopicError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The topic's name is not one the backend allows: a configuration mistake
// (exit 2), not a failure of the topic.
class TopicNameError : public TopicError {
 public:
  using TopicError::TopicError;
};

// Reads one topic in offset order. Used by one thread at a time.
class TopicReader {
 public:
  virtual ~TopicReader() = default;

  // The next record returned is the first with offset >= from. Throws
  // TopicError if the topic cannot go there (stdin cannot go back).
  virtual void seek(int64_t from) = 0;

  // Returns the records that follow, at most max_records of them and not
  // much more than max_bytes (at least one record if any is there). If none
  // is there yet, waits up to wait_ms for one; empty means none came. The
  // views stay valid until the next read() or seek().
  virtual const std::vector<cn_record> &read(std::size_t max_records, std::size_t max_bytes,
                                             int wait_ms) = 0;

  // True when no record can follow any more (stdin reached its end, or a
  // reader that does not follow reached the end of the log).
  virtual bool at_end() const = 0;

  // The offset the next record read will have at the least: how far the
  // reader has come (it skips what seek() passed over).
  virtual int64_t position() const = 0;

  // What to call the topic in messages (e.g. its file).
  virtual std::string describe() const = 0;

  // The offset the next record appended will get, as the backend can tell
  // now; -1 when it cannot (stdin).
  // For metrics: may be called from any thread while the reader lives,
  // and costs a read of what was appended since the last call (file) or a
  // request to the servers (NATS). Throws TopicError.
  virtual int64_t end_offset() const { return -1; }
};

// Appends to one topic. Used by one thread at a time; one writer per topic
// (a second one is refused).
class TopicWriter {
 public:
  virtual ~TopicWriter() = default;

  // Appends a record (its offset field is ignored) and returns its offset.
  // Not durable until flush(). Throws TopicError.
  virtual int64_t append(const cn_record &record) = 0;

  // Makes every appended record durable (on disk, or acknowledged by the
  // broker). Throws TopicError.
  virtual void flush() = 0;

  // Hands the records the topic holds, newest first, to visit until it
  // returns false or the oldest has been handed; the record is valid only
  // during the call. For a source that resumes where the topic ends. A
  // topic that cannot be read back (stdout) hands nothing. Throws
  // TopicError.
  using RecordVisitor = std::function<bool(const cn_record &)>;
  virtual void read_back(const RecordVisitor &visit) = 0;

  virtual std::string describe() const = 0;
};

// A place that holds topics.
class TopicStore {
 public:
  virtual ~TopicStore() = default;

  // follow: keep waiting for records at the end (tail -f) instead of
  // reporting at_end().
  virtual std::unique_ptr<TopicReader> open_reader(const std::string &topic, bool follow) = 0;
  virtual std::unique_ptr<TopicWriter> open_writer(const std::string &topic) = 0;
};

// --max-record-bytes: the default and the largest value allowed.
constexpr std::size_t kDefaultMaxRecordBytes = std::size_t{256} << 20;
constexpr std::size_t kMaxRecordBytesLimit = std::size_t{4} << 30;

// The error for a record longer than --max-record-bytes: "WHERE: the record
// at offset N is [at least ]SIZE bytes, more than the maximum ...".
inline TopicError record_too_long(const std::string &where, int64_t offset, const char *at_least, std::size_t size,
                                  std::size_t max_record) {
  return TopicError(where + ": the record at offset " + std::to_string(offset) + " is " + at_least +
                    std::to_string(size) + " bytes, more than the maximum of " + std::to_string(max_record) +
                    " bytes; raise the limit with --max-record-bytes (up to " + std::to_string(kMaxRecordBytesLimit) +
                    ")");
}

// The store the host uses: NATS JetStream when config.location is a
// nats:// (or tls://) URL list (nats_link.hpp), else the file log in the
// directory config.location; there the topic "-" means standard input
// (read) or standard output (write). warn receives what the store repaired
// or noticed (an incomplete last line, a topic file open to group or
// others, a lost connection, ...); it may be called from another thread. A
// reader, and a writer's read_back(), refuse (TopicError) a record longer
// than max_record_bytes, and buffer no more than that of one line.
using TopicWarning = std::function<void(const std::string &)>;
std::unique_ptr<TopicStore> open_topics(const TopicsConfig &config, TopicWarning warn,
                                        std::size_t max_record_bytes = kDefaultMaxRecordBytes);

}  // namespace cn::host

#endif
