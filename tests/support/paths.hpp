// Where the build put what the tests run, and scratch directories.
#ifndef CN_TEST_PATHS_HPP
#define CN_TEST_PATHS_HPP

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace cn::test {

inline const std::string kHostBinary = CN_TEST_HOST_BINARY;
inline const std::string kEmbedBinary = CN_TEST_EMBED_BINARY;
inline const std::string kPluginDir = CN_TEST_PLUGIN_DIR;        // the built example plugins
inline const std::string kAbiPluginDir = CN_TEST_ABI_PLUGIN_DIR;  // tests/abi's broken plugins
inline const std::string kSourceDir = CN_TEST_SOURCE_DIR;

// The sample topic of ../shared/events when the checkout has it beside it,
// else the copy in examples/topics.
inline std::filesystem::path sample_topics_dir() {
  std::filesystem::path shared = std::filesystem::path(kSourceDir) / ".." / "shared" / "events";
  if (std::filesystem::exists(shared / "dogs.jsonl")) return shared;
  return std::filesystem::path(kSourceDir) / "examples" / "topics";
}

// The whole content of a file ("" if it cannot be read).
inline std::string read_file(const std::filesystem::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The lines of a text, without their '\n'.
inline std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline std::vector<std::string> read_lines(const std::filesystem::path &path) { return lines_of(read_file(path)); }

// A fresh directory, removed with everything in it when this goes away.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cn-test-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  const std::filesystem::path &path() const { return path_; }
  std::string operator/(const std::string &name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace cn::test

#endif
