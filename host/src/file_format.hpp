// What the file topic's reader and writer share: its line format's rules
// and its errors. Internal to the host (file_topic.cpp, file_reader.cpp,
// file_writer.cpp).
#ifndef CN_HOST_FILE_FORMAT_HPP
#define CN_HOST_FILE_FORMAT_HPP

#include "topic.hpp"

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

namespace cn::host {

// How much of a file is read at a time.
constexpr std::size_t kReadChunk = 1 << 20;

inline std::string errno_text() { return std::strerror(errno); }

// A line of nothing but spaces, tabs and CRs carries no record.
inline bool is_blank(const char *p, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r') return false;
  return true;
}


// The reader of the file at path (fd: open on it, or -1 when it does not
// exist yet: a follower opens it when it appears; stdin: STDIN_FILENO).
// follow: wait at the end for more; a line longer than max_record is
// refused.
std::unique_ptr<TopicReader> open_file_reader(std::string path, int fd, bool follow, bool is_stdin,
                                              std::size_t max_record);

// The one writer of the file at path (created 0600 if missing; refused if
// another process writes it): cuts off an incomplete last line, warning.
std::unique_ptr<TopicWriter> open_file_writer(std::string path, const TopicWarning &warn, std::size_t max_record);

}  // namespace cn::host

#endif
