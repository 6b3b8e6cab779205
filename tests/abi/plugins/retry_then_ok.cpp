// Flaky on purpose (written with cn/plugin.hpp): consume throws cn::RetryError on two calls
// (its first two by default, or from the call numbered by the parameter "first_failing_call"),
// then works. Records are applied at commit(): each one is printed to stdout as "<offset>" and
// the offset is stored in the file named by the parameter "state_file", if given, so that a
// restarted host resumes after it. Its static check() and teardown() (for --check and --drop) show
// those of cn/plugin.hpp: check reports on "state_file" and throws cn::ConfigError when the
// parameter "check" is "bad-config"; teardown removes the state file.
#include "config_parameter.hpp"

#include <cn/plugin.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

class RetryThenOk {
 public:
  RetryThenOk(const cn::Host &host, std::string_view config)
      : host_(host), state_file_(parameter(config, "state_file")) {
    std::string first = parameter(config, "first_failing_call");
    if (!first.empty()) first_failing_call_ = std::stoi(first);
    if (!state_file_.empty()) {
      std::ifstream in(state_file_);
      if (in) in >> committed_;
    }
  }

  static void check(const cn::Host &host, std::string_view config, cn::Report &report) {
    if (parameter(config, "check") == "bad-config") throw cn::ConfigError("parameters.check: bad-config asked for");
    host.debug("checking");
    const std::string state_file = parameter(config, "state_file");
    if (state_file.empty())
      report.info("state_file", "none: every run starts from the beginning of the topic");
    else
      report.ok("state_file", state_file);
  }

  static void teardown(const cn::Host &, std::string_view config, cn::Report &report) {
    const std::string state_file = parameter(config, "state_file");
    if (state_file.empty())
      report.info("state_file", "none: nothing to remove");
    else if (std::remove(state_file.c_str()) == 0)
      report.ok("state_file " + state_file, "removed");
    else
      report.warn("state_file " + state_file, "not removed (it may not exist)");
  }

  int64_t resume_offset() {
    pending_.clear();  // what was not committed is handed over again
    return committed_;
  }

  void consume(const cn::RecordBatch &batch) {
    ++calls_;
    if (calls_ == first_failing_call_ || calls_ == first_failing_call_ + 1)
      throw cn::RetryError("transient failure on consume call " + std::to_string(calls_));
    for (const cn_record &record : batch) pending_.push_back(record.offset);
  }

  void commit(int64_t offset) {
    for (int64_t applied : pending_)
      if (applied <= offset) std::printf("%lld\n", static_cast<long long>(applied));
    if (std::fflush(stdout) != 0) throw std::runtime_error("cannot write to standard output");
    if (!state_file_.empty()) {
      std::ofstream out(state_file_, std::ios::trunc);
      if (!(out << offset << "\n") || !out.flush()) throw std::runtime_error("cannot write " + state_file_);
    }
    committed_ = offset;
    pending_.clear();
    host_.debug("committed through offset " + std::to_string(offset));
  }

 private:
  cn::Host host_;
  std::string state_file_;
  int first_failing_call_ = 1;
  int calls_ = 0;
  int64_t committed_ = -1;
  std::vector<int64_t> pending_;
};

}  // namespace

CN_DEFINE_SINK_PLUGIN(RetryThenOk, "retry-then-ok", "1.0.0", "consume asks to retry twice, then works")
