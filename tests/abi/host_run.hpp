// What the tests of tests/abi share: the ABI plugins' paths, and running
// the real connector-host with them on the sample topic.
#ifndef CN_TEST_ABI_HOST_RUN_HPP
#define CN_TEST_ABI_HOST_RUN_HPP

#include "paths.hpp"
#include "process.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

namespace cn::test::abi {

inline std::string plugin_path(const std::string &file) {
  return (std::filesystem::path(kAbiPluginDir) / (file + ".so")).string();
}

inline std::string topics_dir() { return sample_topics_dir().string(); }
inline std::string dogs_topic() { return (sample_topics_dir() / "dogs.jsonl").string(); }
constexpr int kDogsRecords = 37;

inline bool contains(const std::string &text, const std::string &part) { return text.find(part) != std::string::npos; }

// The lines of text that contain part.
inline std::vector<std::string> lines_with(const std::string &text, const std::string &part) {
  std::vector<std::string> found;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (contains(line, part)) found.push_back(line);
  return found;
}

// The one line the host logged at level ERROR ("" if not exactly one).
inline std::string error_line(const ProcessResult &r) {
  std::vector<std::string> errors = lines_with(r.err, " ERROR ");
  return errors.size() == 1 ? errors.front() : std::string();
}

inline ProcessResult run_host(std::vector<std::string> args) {
  args.insert(args.begin(), kHostBinary);
  ProcessResult r = run_process(args);
  // Under CN_SANITIZE a report also exits 1, like a plugin failure: look for one.
  CHECK_MESSAGE(!(contains(r.err, "Sanitizer") || contains(r.err, "runtime error:")), r.err);
  return r;
}

// connector-host --plugin PATH --topic dogs --topics SAMPLES --once [extra...]
inline ProcessResult run_plugin(const std::string &path, const std::vector<std::string> &extra = {}) {
  std::vector<std::string> args = {"--plugin", path, "--topic", "dogs", "--topics", topics_dir(), "--once"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_host(args);
}

}  // namespace cn::test::abi

#endif
