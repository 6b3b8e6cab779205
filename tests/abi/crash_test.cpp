// A plugin that crashes takes the host's process with it; the host says so
// in one log line (which plugin, which callback, which offsets), exits 4,
// and the next start resumes after the last commit with nothing lost or
// repeated. Run for real with the crashing_sink plugin on the sample topic.
#include "host_run.hpp"

#include <doctest/doctest.h>

#include <fstream>

using cn::test::ProcessResult;
using cn::test::TempDir;
using namespace cn::test::abi;

namespace {

constexpr int kExitCrashed = 4;

// crashing_sink on dogs (37 records) in batches of 10, committing after
// each, with its committed offsets kept in a state file.
struct CrashingRun {
  // crash: "" (works), "segv", "abort" or "stack"; crash_in: "consume",
  // "commit" or "thread".
  ProcessResult run(const std::string &crash, const std::string &crash_in = "consume") const {
    std::ofstream(config) << "name: crashing\ntopic: dogs\nparameters:\n  state_file: " << state_file
                          << "\n  crash: \"" << crash << "\"\n  crash_in: " << crash_in
                          << "\n  crash_at_offset: 25\n";
    return run_host({"--config", config, "--plugin", plugin_path("crashing_sink"), "--topics", topics_dir(),
                     "--once", "--batch-records", "10"});
  }
  std::vector<int64_t> committed() const {
    std::vector<int64_t> offsets;
    std::ifstream in(state_file);
    for (int64_t offset; in >> offset;) offsets.push_back(offset);
    return offsets;
  }

  TempDir dir;
  std::string config = dir / "connect.yml";
  std::string state_file = dir / "committed";
};

std::vector<int64_t> offsets_through(int64_t last) {
  std::vector<int64_t> offsets;
  for (int64_t o = 0; o <= last; ++o) offsets.push_back(o);
  return offsets;
}

// The crash line: the one ERROR line, which also tells what to do.
std::string crash_line(const ProcessResult &r) {
  std::string line = error_line(r);
  CHECK_MESSAGE(contains(line, "; exiting with code 4: start it again and it resumes after its last commit"), r.err);
  return line;
}

}  // namespace

TEST_CASE("a plugin that crashes in consume: one line naming the plugin, callback, signal and batch; exit 4") {
  CrashingRun crashing;
  ProcessResult r = crashing.run("segv");
  REQUIRE_MESSAGE(r.exited_with(kExitCrashed), r.err);
  CHECK_MESSAGE(contains(crash_line(r), " ERROR host: plugin crashing-sink crashed in consume (signal 11, SIGSEGV)"
                                        " at offsets 20-29 of " + dogs_topic()), r.err);
  CHECK(crashing.committed() == offsets_through(19));

  SUBCASE("the next start resumes after the last commit: every record applied exactly once") {
    ProcessResult again = crashing.run("");
    REQUIRE_MESSAGE(again.exited_with(0), again.err);
    CHECK(crashing.committed() == offsets_through(kDogsRecords - 1));
  }
}

TEST_CASE("a plugin that aborts in commit: named with the offset it was committing") {
  CrashingRun crashing;
  ProcessResult r = crashing.run("abort", "commit");
  REQUIRE_MESSAGE(r.exited_with(kExitCrashed), r.err);
  CHECK_MESSAGE(contains(crash_line(r), "plugin crashing-sink crashed in commit (signal 6, SIGABRT) at offset 29 of "),
                r.err);
  ProcessResult again = crashing.run("");
  REQUIRE_MESSAGE(again.exited_with(0), again.err);
  CHECK(crashing.committed() == offsets_through(kDogsRecords - 1));
}

TEST_CASE("a plugin that overflows its stack is reported too (the report runs on a stack of its own)") {
  CrashingRun crashing;
  ProcessResult r = crashing.run("stack");
  REQUIRE_MESSAGE(r.exited_with(kExitCrashed), r.err);
  CHECK_MESSAGE(contains(crash_line(r), "plugin crashing-sink crashed in consume (signal 11, SIGSEGV)"), r.err);
}

TEST_CASE("a crash in a thread of the plugin's own is reported as outside any callback, naming the plugin") {
  CrashingRun crashing;
  ProcessResult r = crashing.run("segv", "thread");
  REQUIRE_MESSAGE(r.exited_with(kExitCrashed), r.err);
  CHECK_MESSAGE(contains(crash_line(r), "connector-host crashed outside any plugin callback (in the host, or in a "
                                        "thread of plugin crashing-sink) (signal 11, SIGSEGV)"), r.err);
}
