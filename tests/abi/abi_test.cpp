// Broken plugins never crash the host. Each plugin in tests/abi/plugins breaks
// one thing on purpose; the real connector-host must refuse it (exit 3) or
// stop it (exit 1) with a message that names the file or plugin and the
// reason, and never die of a signal. The loader library is checked directly
// too, since other programs embed it.
#include "host_run.hpp"

#include <cn/loader.hpp>
#include <cn/plugin.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <cstddef>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace fs = std::filesystem;
using cn::test::ProcessResult;
using namespace cn::test::abi;

namespace {

// A file the loader must refuse, and the reason it must give (what follows
// "PATH: "). A reason ending in "..." need only start with the rest; then
// detail is also in it (dlerror()'s words, which are the C library's).
struct Refusal {
  std::string file;
  std::string reason;
  std::string detail;
};

bool reason_matches(const std::string &actual, const Refusal &expected) {
  const std::string &r = expected.reason;
  if (r.size() > 3 && r.compare(r.size() - 3, 3, "...") == 0)
    return actual.compare(0, r.size() - 3, r, 0, r.size() - 3) == 0 && contains(actual, expected.detail);
  return actual == r;
}

// The part of a line after "PATH: " (everything if PATH is not in it).
std::string after_path(const std::string &line, const std::string &path) {
  std::size_t at = line.find(path + ": ");
  return at == std::string::npos ? std::string() : line.substr(at + path.size() + 2);
}

// "ABI version N", as the loader words the version this header describes.
const std::string kAbi = "ABI version " + std::to_string(CN_ABI_VERSION);
const std::string kEntry = CN_ENTRY_SYMBOL;

const std::vector<Refusal> &refusals() {
  static const std::vector<Refusal> all = {
      {"not_a_shared_object", "cannot be loaded as a shared object: ...", "invalid ELF header"},
      {"empty_file", "cannot be loaded as a shared object: ...", "file too short"},
      {"no_entry_symbol", "exports no " + kEntry + ": not a connector-host plugin", ""},
      {"newer_major_entry",
       "exports no " + kEntry + " (it was built for ABI version 2; this host speaks version " +
           std::to_string(CN_ABI_VERSION) + "): not a connector-host plugin",
       ""},
      {"wrong_abi_version",
       "the plugin descriptor was built for ABI version 99; this host speaks version " +
           std::to_string(CN_ABI_VERSION),
       ""},
      // A descriptor of 1.0 ends with source; the sink table was whole in
      // 1.0, so its 1.0 size is its sizeof.
      {"short_struct",
       "the plugin descriptor is " + std::to_string(offsetof(cn_plugin, description)) +
           " bytes, shorter than the " + std::to_string(offsetof(cn_plugin, parameters)) + " bytes " + kAbi +
           " requires (a truncated or corrupt table)",
       ""},
      {"short_sink_table",
       "the sink table is " + std::to_string(offsetof(cn_sink_plugin, commit)) +
           " bytes, shorter than the " + std::to_string(sizeof(cn_sink_plugin)) + " bytes " + kAbi +
           " requires (a truncated or corrupt table)",
       ""},
      {"null_required_callback", "the sink table has no required callback: consume", ""},
      {"null_source_callbacks", "the source table has no required callback: poll, ack", ""},
      {"entry_returns_null",
       "the plugin declined to load with host " + kAbi + " (its entry returned NULL)", ""},
      {"no_name", "the plugin has no name", ""},
      {"no_version", "the plugin has no version", ""},
      {"both_sink_and_source", "the plugin is both a sink and a source", ""},
      {"neither_sink_nor_source",
       "the plugin is neither a sink nor a source (both tables are NULL)", ""},
      {"entry_throws", kEntry + " threw: boom from the entry", ""},
      // The parameter list (1.2, whole): bad_parameters.c, one case each.
      {"bad_parameters_list_wrong_abi",
       "the parameter list was built for ABI version 99; this host speaks version " + std::to_string(CN_ABI_VERSION),
       ""},
      {"bad_parameters_list_too_short",
       "the parameter list is " + std::to_string(offsetof(cn_param_list, count)) + " bytes, shorter than the " +
           std::to_string(sizeof(cn_param_list)) + " bytes " + kAbi + " requires (a truncated or corrupt table)",
       ""},
      {"bad_parameters_param_size_too_small",
       "the parameter list's param_size is " + std::to_string(offsetof(cn_param, secret)) + ", smaller than the " +
           std::to_string(sizeof(cn_param)) + " bytes of a cn_param of ABI 1.2 (a corrupt list)",
       ""},
      {"bad_parameters_params_null", "the parameter list has 3 parameters but params is NULL", ""},
      {"bad_parameters_unnamed", "parameter 1 has no name", ""},
      {"bad_parameters_duplicate_name", "parameter 'url' is declared twice", ""},
      {"bad_parameters_unknown_type", "parameter 'mode' has type 9, which is not a cn_param_type", ""},
      {"bad_parameters_enum_without_choices", "parameter 'mode' (enum) has no choices", ""},
      {"bad_parameters_inverted_range", "parameter 'size' (integer) has min 10 above max 5", ""},
  };
  return all;
}

// The plugins that load, and the names they call themselves. All are
// sinks but older_source_table and poll_retries.
cn::PluginKind kind_of(const std::string &file) {
  return file == "older_source_table" || file == "poll_retries" ? cn::PluginKind::source : cn::PluginKind::sink;
}

const std::map<std::string, std::string> &loadable() {
  static const std::map<std::string, std::string> all = {
      {"throwing_callback", "throwing-callback"},
      {"error_status", "error-status"},
      {"bad_status_value", "bad-status-value"},
      {"open_fails", "open-fails"},
      {"invalid_config", "invalid-config"},
      {"retry_then_ok", "retry-then-ok"},
      {"open_retries", "open-retries"},
      {"poll_retries", "poll-retries"},
      {"older_source_table", "older-source-table"},
      {"older_descriptor", "older-descriptor"},
      {"declares_parameters", "declares-parameters"},
      {"declares_no_parameters", "declares-no-parameters"},
      {"check_reports", "check-reports"},
      {"check_reports_fail", "check-reports"},
      {"check_reports_invalid_config", "check-reports"},
      {"check_reports_error", "check-reports"},
      {"crashing_sink", "crashing-sink"},
  };
  return all;
}

// Checks a run that a plugin failed: exit 1, no signal, one ERROR line with
// expected in it, and the file named in the log.
void check_failed_run(const ProcessResult &r, const std::string &path, const std::string &expected) {
  INFO("stderr:\n" << r.err);
  CHECK(r.signal == 0);
  CHECK(r.exited_with(1));
  CHECK(contains(error_line(r), expected));
  CHECK(contains(r.err, "(sink, " + path + ")"));
}

// The offsets a sink printed, one per line, and how often each.
std::map<long, int> printed_offsets(const std::string &out) {
  std::map<long, int> seen;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) ++seen[std::stol(line)];
  return seen;
}

void check_each_once(const std::map<long, int> &seen, long first, long last) {
  CHECK(seen.size() == static_cast<std::size_t>(last - first + 1));
  for (long offset = first; offset <= last; ++offset) {
    CAPTURE(offset);
    auto it = seen.find(offset);
    CHECK((it != seen.end() && it->second == 1));
  }
}

std::string write_retry_config(const cn::test::TempDir &dir, const std::string &parameters) {
  std::string path = dir / "connect.yml";
  std::ofstream(path) << "version: 0.1.0\nname: flaky\ntype: retry-then-ok\ntopic: dogs\n"
                         "parameters:\n  state_file: "
                      << (dir / "committed") << "\n" << parameters;
  return path;
}

const std::vector<std::string> kFastRetry = {"--retry-initial-ms", "1", "--retry-max-ms", "5"};

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string> &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A LogSink that keeps what it is given.
struct CollectingLog : cn::LogSink {
  std::vector<std::string> lines;
  void write(cn_log_level, std::string_view plugin, std::string_view message) override {
    lines.push_back(std::string(plugin) + ": " + std::string(message));
  }
};

// Records 0..count-1 with a small JSON value each.
struct Records {
  explicit Records(int count) {
    for (int i = 0; i < count; ++i)
      records.push_back(cn_record{i, 0, cn_str{nullptr, 0}, cn_str{kValue, sizeof kValue - 1}});
  }
  static constexpr char kValue[] = "{\"n\":1}";
  std::vector<cn_record> records;
};

}  // namespace

TEST_CASE("the host refuses each broken plugin file with exit 3, naming the file and the reason") {
  for (const Refusal &refusal : refusals()) {
    const std::string path = plugin_path(refusal.file);
    CAPTURE(path);
    ProcessResult r = run_plugin(path);
    INFO("stderr:\n" << r.err);
    CHECK(r.signal == 0);
    CHECK(r.exited_with(3));
    std::string line = error_line(r);
    CHECK(contains(line, " ERROR host: " + path + ": "));
    CHECK(reason_matches(after_path(line, path), refusal));
    CHECK(r.out.empty());
  }
}

TEST_CASE("the host refuses a plugin file that does not exist, with exit 3") {
  const std::string path = plugin_path("does_not_exist");
  ProcessResult r = run_plugin(path);
  INFO("stderr:\n" << r.err);
  CHECK(r.signal == 0);
  CHECK(r.exited_with(3));
  CHECK(reason_matches(after_path(error_line(r), path),
                       {"", "cannot be loaded as a shared object: ...", "No such file or directory"}));
}

TEST_CASE("a plugin whose callback throws stops the host with exit 1 naming plugin, callback and offsets") {
  const std::string path = plugin_path("throwing_callback");
  check_failed_run(run_plugin(path), path,
                   "ERROR host: throwing-callback (" + path + "): consume failed at offsets 0-" +
                       std::to_string(kDogsRecords - 1) + " of " + dogs_topic() +
                       ": an exception escaped the plugin: boom from consume");
}

TEST_CASE("a plugin that returns CN_ERROR stops the host with exit 1 and the plugin's own text") {
  const std::string path = plugin_path("error_status");
  const std::string reason = ": record at offset 4 rejected: the warehouse said no";
  SUBCASE("in one batch of the whole topic") {
    check_failed_run(run_plugin(path), path,
                     "ERROR host: error-status (" + path + "): consume failed at offsets 0-" +
                         std::to_string(kDogsRecords - 1) + " of " + dogs_topic() + reason);
  }
  SUBCASE("one record per batch: the message names the record") {
    check_failed_run(run_plugin(path, {"--batch-records", "1"}), path,
                     "ERROR host: error-status (" + path + "): consume failed at offset 4 of " + dogs_topic() + reason);
  }
}

TEST_CASE("a plugin that returns a value outside cn_status stops the host with exit 1") {
  const std::string path = plugin_path("bad_status_value");
  check_failed_run(run_plugin(path), path,
                   "ERROR host: bad-status-value (" + path + "): consume failed at offsets 0-" +
                       std::to_string(kDogsRecords - 1) + " of " + dogs_topic() +
                       ": the plugin returned 7, which is not a cn_status");
}

TEST_CASE("a plugin whose open() fails stops the host with exit 1 and the plugin's reason") {
  const std::string path = plugin_path("open_fails");
  check_failed_run(run_plugin(path), path,
                   "ERROR host: open-fails (" + path + "): open failed: cannot reach the warehouse: connection refused");
}

TEST_CASE("a plugin whose open() asks to retry is opened again after a backoff, then runs") {
  const std::string path = plugin_path("open_retries");
  const std::string asked = "WARN  host: open-retries (" + path + "): open asked to retry: ";

  SUBCASE("to the end of the topic, exit 0") {
    ProcessResult r = run_plugin(path, {"--retry-initial-ms", "10", "--retry-max-ms", "1000"});
    INFO("stderr:\n" << r.err);
    CHECK(r.exited_with(0));
    std::vector<std::string> retries = lines_with(r.err, asked);
    REQUIRE(retries.size() == 3);
    CHECK(contains(retries[0], asked + "the warehouse is starting up (open call 1); opening again in 10 ms (attempt 1)"));
    CHECK(contains(retries[1], asked + "the warehouse is starting up (open call 2); opening again in 20 ms (attempt 2)"));
    CHECK(contains(retries[2], asked + "the warehouse is starting up (open call 3); opening again in 40 ms (attempt 3)"));
    CHECK(contains(r.err, "end of " + dogs_topic() + " reached; last offset handed over: " +
                              std::to_string(kDogsRecords - 1)));
    CHECK(lines_with(r.err, " ERROR ").empty());
  }

  SUBCASE("a stop during the backoff exits 0 without opening") {
    cn::test::Child host({cn::test::kHostBinary, "--plugin", path, "--topic", "dogs", "--topics", topics_dir(),
                         "--once", "--retry-initial-ms", "60000"});
    REQUIRE(host.wait_for([&](const std::string &, const std::string &err) { return contains(err, asked); }));
    host.send_signal(SIGTERM);
    ProcessResult r = host.wait();
    INFO("stderr:\n" << r.err);
    CHECK(r.exited_with(0));
    CHECK(lines_with(r.err, asked).size() == 1);
    CHECK(contains(r.err, "stop requested before open-retries (" + path + ") opened"));
    CHECK_FALSE(contains(r.err, "reading "));
  }
}

TEST_CASE("a plugin whose open() refuses its configuration stops the host with exit 2 and the plugin's reason") {
  const std::string path = plugin_path("invalid_config");
  cn::test::TempDir dir;
  auto run_with_url = [&](const std::string &url) {
    std::ofstream(dir / "connect.yml") << "name: c\ntopic: dogs\nparameters:\n  url: " << url << "\n";
    return run_host({"--config", dir / "connect.yml", "--plugin", path, "--topics", topics_dir(), "--once"});
  };

  SUBCASE("CN_INVALID_CONFIG from open: exit 2, not 1") {
    ProcessResult r = run_with_url("mysql://app@db/shop");
    INFO("stderr:\n" << r.err);
    CHECK(r.exited_with(2));
    CHECK(contains(error_line(r), "ERROR host: invalid-config (" + path +
                                      "): open failed (invalid configuration): parameters.url: not a PostgreSQL "
                                      "URL (write postgresql://USER@HOST/DATABASE)"));
  }
  SUBCASE("CN_INVALID_CONFIG from another callback is a plugin error: exit 1") {
    check_failed_run(run_with_url("postgresql://app@db/shop"), path,
                     "consume failed at offsets 0-" + std::to_string(kDogsRecords - 1) + " of " + dogs_topic() +
                         ": the plugin returned 3 (CN_INVALID_CONFIG), which only open may return");
  }
}

TEST_CASE("with --once, a connector that never starts gives up after --connect-timeout, with exit 1") {
  SUBCASE("open keeps asking to retry: the backoff is cut short at the deadline") {
    const std::string path = plugin_path("open_retries");
    auto before = std::chrono::steady_clock::now();
    ProcessResult r = run_plugin(path, {"--connect-timeout", "1", "--retry-initial-ms", "60000"});
    auto took = std::chrono::steady_clock::now() - before;
    INFO("stderr:\n" << r.err);
    CHECK(r.exited_with(1));
    CHECK(contains(error_line(r), "ERROR host: open-retries (" + path +
                                      "): could not connect within 1 s (--connect-timeout); the last attempt: open "
                                      "asked to retry: the warehouse is starting up (open call "));
    CHECK(took < std::chrono::seconds(30));  // not the 60 s backoff
  }
  SUBCASE("a source's poll keeps asking to retry") {
    const std::string path = plugin_path("poll_retries");
    cn::test::TempDir topics;
    ProcessResult r = run_host({"--plugin", path, "--topics", topics.path().string(), "--topic", "t", "--once",
                                "--connect-timeout", "1", "--retry-initial-ms", "50", "--retry-max-ms", "50"});
    INFO("stderr:\n" << r.err);
    CHECK(r.exited_with(1));
    CHECK(contains(error_line(r), "ERROR host: poll-retries (" + path +
                                      "): could not connect within 1 s (--connect-timeout); the last attempt: poll "
                                      "asked to retry: upstream is not reachable"));
    CHECK(lines_with(r.err, "poll asked to retry: upstream is not reachable; polling again in").size() >= 2);
  }
}

TEST_CASE("--connect-timeout applies neither after the connector started nor without --once") {
  SUBCASE("a sink whose resume_offset worked retries its consume past the timeout") {
    cn::test::TempDir dir;
    std::string config = write_retry_config(dir, "");
    ProcessResult r = run_host({"--config", config, "--plugin", plugin_path("retry_then_ok"), "--topics", topics_dir(),
                                "--once", "--connect-timeout", "1", "--retry-initial-ms", "700", "--retry-max-ms", "700"});
    INFO("stderr:\n" << r.err);
    CHECK(r.exited_with(0));
    CHECK(lines_with(r.err, "consume asked to retry").size() == 2);
    check_each_once(printed_offsets(r.out), 0, kDogsRecords - 1);
  }
  SUBCASE("without --once, open is retried past the timeout, as a daemon waits for its database") {
    const std::string path = plugin_path("open_retries");
    cn::test::Child host({cn::test::kHostBinary, "--plugin", path, "--topic", "dogs", "--topics", topics_dir(),
                          "--connect-timeout", "1", "--retry-initial-ms", "400", "--retry-max-ms", "400"});
    REQUIRE(host.wait_for([](const std::string &, const std::string &err) { return contains(err, "reading "); }));
    host.send_signal(SIGTERM);
    ProcessResult r = host.wait();
    INFO("stderr:\n" << r.err);
    CHECK(r.exited_with(0));
    CHECK(lines_with(r.err, "open asked to retry").size() == 3);
    CHECK(lines_with(r.err, " ERROR ").empty());
  }
}

TEST_CASE("a plugin that asks to retry is recovered: every record is applied exactly once") {
  const std::string path = plugin_path("retry_then_ok");
  const long last = kDogsRecords - 1;
  cn::test::TempDir dir;

  SUBCASE("its first two consume calls fail; a restart resumes after the committed offset") {
    std::string config = write_retry_config(dir, "");
    ProcessResult r = run_host(concat({"--config", config, "--plugin", path, "--topics", topics_dir(), "--once"},
                                      kFastRetry));
    INFO("stderr:\n" << r.err);
    CHECK(r.exited_with(0));
    check_each_once(printed_offsets(r.out), 0, last);
    std::vector<std::string> retries = lines_with(r.err, "retry-then-ok (" + path + "): consume asked to retry at offsets 0-" +
                                                             std::to_string(last) + " of " + dogs_topic());
    REQUIRE(retries.size() == 2);
    CHECK(contains(retries[0], ": transient failure on consume call 1; resuming"));
    CHECK(contains(retries[1], ": transient failure on consume call 2; resuming"));
    CHECK(lines_with(r.err, " ERROR ").empty());

    ProcessResult again = run_host(
        concat({"--config", config, "--plugin", path, "--topics", topics_dir(), "--once"}, kFastRetry));
    INFO("second run stderr:\n" << again.err);
    CHECK(again.exited_with(0));
    CHECK(again.out.empty());
    CHECK(contains(again.err, "after offset " + std::to_string(last)));
  }

  SUBCASE("it fails mid-topic with records consumed but not committed") {
    // One record per consume, a commit every 5: calls 1-5 apply 0-4; calls 6
    // and 7 hand over 5 and 6, uncommitted; call 8 (offset 7) and call 9 (5
    // again, after resuming) ask to retry. 5 and 6 must be applied once.
    std::string config = write_retry_config(dir, "  first_failing_call: 8\n");
    ProcessResult r = run_host(concat({"--config", config, "--plugin", path, "--topics", topics_dir(), "--once",
                                       "--batch-records", "5", "--batch-bytes", "1"},
                                      kFastRetry));
    INFO("stderr:\n" << r.err);
    CHECK(r.exited_with(0));
    check_each_once(printed_offsets(r.out), 0, last);
    CHECK(lines_with(r.err, "consume asked to retry at offset 7 of").size() == 1);
    CHECK(lines_with(r.err, "consume asked to retry at offset 5 of").size() == 1);
  }

  SUBCASE("a restart with offset 20 committed applies only 21 onwards") {
    std::string config = write_retry_config(dir, "");
    std::ofstream(dir / "committed") << "20\n";
    ProcessResult r = run_host(concat({"--config", config, "--plugin", path, "--topics", topics_dir(), "--once"},
                                      kFastRetry));
    INFO("stderr:\n" << r.err);
    CHECK(r.exited_with(0));
    check_each_once(printed_offsets(r.out), 21, last);
  }
}

TEST_CASE("--plugin NAME finds a plugin among broken ones, and explains a refused NAME.so") {
  SUBCASE("a working plugin by name, in a directory full of broken files") {
    ProcessResult r = run_host({"--plugin", "throwing-callback", "--plugin-dir", cn::test::kAbiPluginDir,
                                "--topic", "dogs", "--topics", topics_dir(), "--once"});
    check_failed_run(r, plugin_path("throwing_callback"), "an exception escaped the plugin: boom from consume");
  }
  SUBCASE("a refused NAME.so") {
    ProcessResult r = run_host({"--plugin", "no_name", "--plugin-dir", cn::test::kAbiPluginDir, "--topic", "dogs",
                                "--topics", topics_dir(), "--once"});
    INFO("stderr:\n" << r.err);
    CHECK(r.exited_with(3));
    CHECK(contains(error_line(r), plugin_path("no_name") + ": the plugin has no name"));
  }
}

TEST_CASE("--list-plugins lists every refused file with its reason, and the plugins that load") {
  ProcessResult r = run_host({"--list-plugins", "--plugin-dir", cn::test::kAbiPluginDir});
  INFO("stdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.exited_with(0));
  CHECK(contains(r.out, cn::test::kAbiPluginDir + ":\n"));

  for (const Refusal &refusal : refusals()) {
    const std::string path = plugin_path(refusal.file);
    CAPTURE(path);
    std::vector<std::string> lines = lines_with(r.out, "  refused  " + path + ": ");
    REQUIRE(lines.size() == 1);
    CHECK(reason_matches(after_path(lines[0], path), refusal));
  }
  for (const auto &[file, name] : loadable()) {
    CAPTURE(file);
    CHECK(lines_with(r.out, "  " + name + "  1.0.0  " + cn::to_string(kind_of(file)) + "  " + plugin_path(file)).size() ==
          1);
  }
  // Nothing in the directory is left out.
  std::size_t files = 0;
  for (const auto &entry : fs::directory_iterator(cn::test::kAbiPluginDir))
    if (entry.path().extension() == ".so") {
      ++files;
      CHECK(contains(r.out, entry.path().string()));
    }
  CHECK(files == refusals().size() + loadable().size());
}

TEST_CASE("cn::Plugin::load throws PluginLoadError with the path and the reason") {
  for (const Refusal &refusal : refusals()) {
    const std::string path = plugin_path(refusal.file);
    CAPTURE(path);
    bool threw = false;
    try {
      cn::Plugin::load(path);
    } catch (const cn::PluginLoadError &e) {
      threw = true;
      CHECK(e.path() == fs::path(path));
      CHECK(reason_matches(e.reason(), refusal));
      CHECK(std::string(e.what()) == path + ": " + e.reason());
    }
    CHECK(threw);
  }
}

TEST_CASE("a source table from before resume() loads, and its resume is never called") {
  const std::string path = plugin_path("older_source_table");
  auto plugin = cn::Plugin::load(path);
  CHECK(plugin->kind() == cn::PluginKind::source);
  const bool has_resume = plugin->source_table().resume != nullptr;
  CHECK_FALSE(has_resume);  // beyond its struct_size: not copied
  cn::test::TempDir topics;
  ProcessResult r = run_host({"--plugin", path, "--topics", topics.path().string(), "--topic", "t", "--once"});
  INFO("stderr:\n" << r.err);
  CHECK(r.exited_with(0));
}

TEST_CASE("cn::scan_plugin_dir reports every file of the directory, loaded or refused") {
  std::map<std::string, cn::PluginScanEntry> by_file;
  for (cn::PluginScanEntry &e : cn::scan_plugin_dir(cn::test::kAbiPluginDir))
    by_file[e.path.stem().string()] = std::move(e);
  CHECK(by_file.size() == refusals().size() + loadable().size());
  for (const Refusal &refusal : refusals()) {
    CAPTURE(refusal.file);
    REQUIRE(by_file.count(refusal.file) == 1);
    CHECK(by_file[refusal.file].plugin == nullptr);
    CHECK(reason_matches(by_file[refusal.file].refusal, refusal));
  }
  for (const auto &[file, name] : loadable()) {
    CAPTURE(file);
    REQUIRE(by_file.count(file) == 1);
    REQUIRE(by_file[file].plugin != nullptr);
    CHECK(by_file[file].plugin->name() == name);
    CHECK(by_file[file].plugin->kind() == kind_of(file));
    CHECK(by_file[file].refusal.empty());
  }
}

TEST_CASE("cn::SinkInstance turns a misbehaving callback into a CallResult") {
  CollectingLog log;
  Records five(5);
  const std::string config = R"({"parameters":{}})";

  SUBCASE("an escaping exception") {
    cn::SinkInstance sink(cn::Plugin::load(plugin_path("throwing_callback")), log, config);
    cn::CallResult r = sink.consume(five.records.data(), five.records.size());
    CHECK(r.status == CN_ERROR);
    CHECK(r.error == "an exception escaped the plugin: boom from consume");
  }
  SUBCASE("CN_ERROR with set_error") {
    cn::SinkInstance sink(cn::Plugin::load(plugin_path("error_status")), log, config);
    CHECK(sink.consume(five.records.data(), 4).ok());  // offsets 0-3
    cn::CallResult r = sink.consume(five.records.data() + 4, 1);
    CHECK(r.status == CN_ERROR);
    CHECK(r.error == "record at offset 4 rejected: the warehouse said no");
  }
  SUBCASE("a status outside cn_status") {
    cn::SinkInstance sink(cn::Plugin::load(plugin_path("bad_status_value")), log, config);
    cn::CallResult r = sink.consume(five.records.data(), five.records.size());
    CHECK(r.status == CN_ERROR);
    CHECK(r.error == "the plugin returned 7, which is not a cn_status");
  }
  SUBCASE("cn::RetryError through the C++ helper") {
    cn::SinkInstance sink(cn::Plugin::load(plugin_path("retry_then_ok")), log, config);
    cn::CallResult r = sink.consume(five.records.data(), five.records.size());
    CHECK(r.status == CN_RETRY);
    CHECK(r.error == "transient failure on consume call 1");
  }
  SUBCASE("CN_INVALID_CONFIG from open(): an OpenError with that status") {
    auto plugin = cn::Plugin::load(plugin_path("invalid_config"));
    const std::string reason = "parameters.url: not a PostgreSQL URL (write postgresql://USER@HOST/DATABASE)";
    CHECK_THROWS_WITH_AS(cn::SinkInstance(plugin, log, config),
                         ("invalid-config (" + plugin_path("invalid_config") +
                          "): open failed (invalid configuration): " + reason).c_str(),
                         cn::OpenError);
    try {
      cn::SinkInstance sink(plugin, log, config);
    } catch (const cn::OpenError &e) {
      CHECK(e.status() == CN_INVALID_CONFIG);
      CHECK(e.reason() == reason);
    }
  }
  SUBCASE("CN_INVALID_CONFIG from another callback: CN_ERROR") {
    cn::SinkInstance sink(cn::Plugin::load(plugin_path("invalid_config")), log,
                          R"({"parameters":{"url":"postgresql://db/x"}})");
    cn::CallResult r = sink.consume(five.records.data(), five.records.size());
    CHECK(r.status == CN_ERROR);
    CHECK(r.error == "the plugin returned 3 (CN_INVALID_CONFIG), which only open may return");
  }
  SUBCASE("a failing open()") {
    auto plugin = cn::Plugin::load(plugin_path("open_fails"));
    CHECK_THROWS_WITH_AS(cn::SinkInstance(plugin, log, config),
                         ("open-fails (" + plugin_path("open_fails") +
                          "): open failed: cannot reach the warehouse: connection refused").c_str(),
                         cn::OpenError);
    try {
      cn::SinkInstance sink(plugin, log, config);
    } catch (const cn::OpenError &e) {
      CHECK(e.status() == CN_ERROR);
      CHECK(e.reason() == "cannot reach the warehouse: connection refused");
    }
  }
}

TEST_CASE("cn::SinkInstance reports an open() that asks to retry as a retryable OpenError") {
  CollectingLog log;
  auto plugin = cn::Plugin::load(plugin_path("open_retries"));
  // open_retries counts its open calls per process; no other test here opens it.
  for (int call = 1; call <= 3; ++call) {
    CAPTURE(call);
    const std::string reason = "the warehouse is starting up (open call " + std::to_string(call) + ")";
    bool threw = false;
    try {
      cn::SinkInstance sink(plugin, log, "{}");
    } catch (const cn::OpenError &e) {
      threw = true;
      CHECK(e.status() == CN_RETRY);
      CHECK(e.reason() == reason);
      CHECK(std::string(e.what()) == "open-retries (" + plugin_path("open_retries") + "): open failed (retryable): " + reason);
    }
    CHECK(threw);
  }
  cn::SinkInstance sink(plugin, log, "{}");
  Records one(1);
  CHECK(sink.consume(one.records.data(), 1).ok());
}

namespace {

// What a host's services were asked, for a cn_host built by hand.
struct HostCalls {
  std::vector<std::string> logged, errors, metrics;
  double added = 0;
};
void record_log(void *ctx, cn_log_level, cn_str message) {
  static_cast<HostCalls *>(ctx)->logged.emplace_back(cn::view(message));
}
void record_error(void *ctx, cn_str message) {
  static_cast<HostCalls *>(ctx)->errors.emplace_back(cn::view(message));
}
// A metric's handle is the HostCalls that registered it.
cn_metric *record_metric(void *ctx, const cn_metric_spec *spec) {
  static_cast<HostCalls *>(ctx)->metrics.emplace_back(cn::view(spec->name));
  return reinterpret_cast<cn_metric *>(ctx);
}
void record_add(cn_metric *metric, double delta) { reinterpret_cast<HostCalls *>(metric)->added += delta; }
void ignore_value(cn_metric *, double) {}

}  // namespace

TEST_CASE("CN_HAS_FIELD is true only for a field the struct's struct_size holds entirely") {
  cn_source_plugin table{};
  table.struct_size = sizeof(cn_source_plugin);
  CHECK(CN_HAS_FIELD(&table, cn_source_plugin, resume));
  table.struct_size = static_cast<uint32_t>(offsetof(cn_source_plugin, resume));  // a 1.0 table
  CHECK(CN_HAS_FIELD(&table, cn_source_plugin, close));
  CHECK_FALSE(CN_HAS_FIELD(&table, cn_source_plugin, resume));
  table.struct_size = static_cast<uint32_t>(offsetof(cn_source_plugin, resume) + 1);  // ends inside it
  CHECK_FALSE(CN_HAS_FIELD(&table, cn_source_plugin, resume));
}

TEST_CASE("cn::Host never calls a service beyond the struct_size of the host's cn_host") {
  HostCalls calls;
  // Every field is set, so a service read past struct_size would be called.
  cn_host host{sizeof(cn_host), CN_ABI_VERSION, &record_log,   &record_error,
               &record_metric,  &record_add,    &ignore_value, &ignore_value};

  SUBCASE("a whole cn_host: every service") {
    cn::Host h(&host, &calls);
    h.info("hello");
    h.set_error("broken");
    cn::Metric rows = h.counter("test_rows_total", "rows");
    rows.add(2);
    CHECK(calls.logged == std::vector<std::string>{"hello"});
    CHECK(calls.errors == std::vector<std::string>{"broken"});
    CHECK(calls.metrics == std::vector<std::string>{"test_rows_total"});
    CHECK(calls.added == 2);
  }
  SUBCASE("a cn_host of 1.2, without the metric services: a Metric that does nothing") {
    host.struct_size = static_cast<uint32_t>(offsetof(cn_host, metric_register));
    cn::Host h(&host, &calls);
    cn::Metric rows = h.counter("test_rows_total", "rows");
    rows.add(2);
    CHECK_FALSE(rows);
    CHECK(calls.metrics.empty());
    CHECK(calls.added == 0);
  }
  SUBCASE("a cn_host that ends after log: set_error is a no-op") {
    host.struct_size = static_cast<uint32_t>(offsetof(cn_host, set_error));
    cn::Host h(&host, &calls);
    h.warn("still logged");
    h.set_error("dropped");
    CHECK(calls.logged == std::vector<std::string>{"still logged"});
    CHECK(calls.errors.empty());
  }
  SUBCASE("a cn_host of its header only: both are no-ops") {
    host.struct_size = static_cast<uint32_t>(offsetof(cn_host, log));
    cn::Host h(&host, &calls);
    h.error("dropped");
    h.set_error("dropped");
    CHECK(calls.logged.empty());
    CHECK(calls.errors.empty());
  }
  SUBCASE("a NULL service is a no-op too") {
    host.set_error = nullptr;
    cn::Host(&host, &calls).set_error("dropped");
    CHECK(calls.errors.empty());
  }
}

// Plugins written against the older name keep building.
static_assert(std::is_same_v<cn::retry_error, cn::RetryError>);
