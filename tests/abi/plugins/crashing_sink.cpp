// Crashes on purpose (written with cn/plugin.hpp), for the host's crash report: parameter
// "crash" is how (segv: a write to a page it may not touch; abort; stack: unbounded recursion),
// "crash_in" is where (consume, commit, or thread: a thread of its own during consume), and
// "crash_at_offset" is when (the batch that holds that offset, or the commit that covers it).
// Without "crash" it works: each committed offset is appended to the file named by "state_file",
// one per line, and resume_offset continues after the last one, so that a test can see that a
// restart after a crash loses and repeats nothing.
#include "config_parameter.hpp"

#include <cn/plugin.hpp>

#include <sys/mman.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

// Not a null dereference, which the compiler may turn into a trap and
// UBSan reports: a real fault on a page mapped without access.
void write_to_forbidden_page() {
  void *page = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  *static_cast<volatile int *>(page) = 1;
}

// The bound is never reached: 1 KiB frames overflow any stack long before.
int recurse(volatile int depth) {
  if (depth > 1'000'000'000) return 0;
  volatile char frame[1024];
  frame[depth % sizeof frame] = static_cast<char>(depth);
  return recurse(depth + 1) + frame[0];  // not a tail call: every frame stays
}

void crash(const std::string &how) {
  if (how == "segv") write_to_forbidden_page();
  if (how == "abort") std::abort();
  if (how == "stack") recurse(0);
}

class CrashingSink {
 public:
  CrashingSink(const cn::Host &, std::string_view config)
      : state_file_(parameter(config, "state_file")),
        crash_(parameter(config, "crash")),
        crash_in_(parameter(config, "crash_in")) {
    std::string at = parameter(config, "crash_at_offset");
    if (!at.empty()) crash_at_ = std::stoll(at);
    std::ifstream in(state_file_);
    for (int64_t offset; in >> offset;) committed_ = offset;
  }

  int64_t resume_offset() {
    pending_.clear();
    return committed_;
  }

  void consume(const cn::RecordBatch &batch) {
    for (const cn_record &record : batch) {
      pending_.push_back(record.offset);
      if (record.offset != crash_at_ || crash_.empty()) continue;
      if (crash_in_ == "consume") crash(crash_);
      if (crash_in_ == "thread") std::thread([how = crash_] { crash(how); }).join();
    }
  }

  void commit(int64_t offset) {
    std::ofstream out(state_file_, std::ios::app);
    for (int64_t applied : pending_) {
      if (applied > offset) break;
      if (applied == crash_at_ && crash_in_ == "commit" && !crash_.empty()) crash(crash_);
      out << applied << "\n";
    }
    if (!out.flush()) throw std::runtime_error("cannot write " + state_file_);
    committed_ = offset;
    pending_.clear();
  }

 private:
  std::string state_file_, crash_, crash_in_;
  int64_t crash_at_ = -1;
  int64_t committed_ = -1;
  std::vector<int64_t> pending_;
};

}  // namespace

CN_DEFINE_SINK_PLUGIN(CrashingSink, "crashing-sink", "1.0.0", "crashes where its parameters say (a test)")
