// connector-host --check and --drop (ABI 1.2, cn_plugin.check and
// .teardown), run for real with the check_reports plugins, the C++
// retry_then_ok (static check() and teardown() of cn/plugin.hpp) and an
// older descriptor that has neither.
#include "host_run.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

using cn::test::ProcessResult;
using cn::test::TempDir;
using namespace cn::test::abi;

namespace {

constexpr const char *kPassword = "Pw-Secret9";

// A connect.yml with url (a password inside) for PLUGIN_FILE, and the host
// run on it with extra flags.
struct Checked {
  explicit Checked(const std::string &plugin_file, const std::string &parameters = {})
      : plugin(plugin_path(plugin_file)) {
    std::ofstream(config) << "name: orders\ntopic: dogs\nparameters:\n"
                          << (parameters.empty() ? "  url: postgresql://app:" + std::string(kPassword) + "@db/shop\n"
                                                 : parameters);
  }
  ProcessResult run(std::vector<std::string> extra) const {
    std::vector<std::string> args = {"--config", config, "--plugin", plugin, "--topics", topics_dir()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_host(args);
  }

  TempDir dir;
  std::string config = dir / "connect.yml";
  std::string plugin;
};

// Runs the host with a terminal (a pty) as its standard streams, typing
// answer once it asks "[y/N]". Returns what it wrote, stdout and stderr
// together, in out.
ProcessResult run_on_terminal(std::vector<std::string> args, const std::string &answer) {
  args.insert(args.begin(), cn::test::kHostBinary);
  int terminal = -1;
  const pid_t pid = forkpty(&terminal, nullptr, nullptr, nullptr);
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::vector<char *> argv;
    for (std::string &a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  ProcessResult r;
  bool answered = false;
  char buffer[4096];
  for (;;) {  // blocking reads: EIO once the child has closed the terminal
    const ssize_t n = read(terminal, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    r.out.append(buffer, static_cast<std::size_t>(n));
    if (!answered && contains(r.out, "[y/N]")) {
      answered = true;
      REQUIRE(write(terminal, answer.data(), answer.size()) == static_cast<ssize_t>(answer.size()));
    }
  }
  close(terminal);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

}  // namespace

TEST_CASE("--check prints each finding, masks secrets and exits 0 when the connector can run") {
  Checked c("check_reports");
  ProcessResult r = c.run({"--check"});
  INFO("stdout:\n" << r.out << "stderr:\n" << r.err);
  CHECK(r.exited_with(0));
  CHECK(contains(r.out, "check of connector 'orders': plugin check-reports 1.0.0 (" + c.plugin + ")\n"));
  CHECK(contains(r.out, "\n  OK    config: valid\n"));
  CHECK(contains(r.out, "\n  OK    state store: reached postgresql://app:***@db/shop\n"));
  CHECK(contains(r.out, "\n  INFO  server version: 42.0\n"));
  CHECK(contains(r.out, "\n  WARN  table public.events: no primary key: updates and deletes cannot be applied"));
  CHECK(contains(r.out, "\ncan run\n"));
  CHECK_FALSE(contains(r.out + r.err, kPassword));
  CHECK(contains(r.err, "check-reports: checking"));  // its log goes to the log
}

TEST_CASE("--check exits 1 when a finding is a FAIL, or check could not look") {
  ProcessResult fail = Checked("check_reports_fail").run({"--check"});
  INFO("stdout:\n" << fail.out << "stderr:\n" << fail.err);
  CHECK(fail.exited_with(1));
  CHECK(contains(fail.out, "\n  FAIL  wal_level: replica; logical needed (fix: set wal_level = logical)\n"));
  CHECK(contains(fail.out, "\ncannot run: 1 problem\n"));

  ProcessResult error = Checked("check_reports_error").run({"--check"});
  INFO("stdout:\n" << error.out << "stderr:\n" << error.err);
  CHECK(error.exited_with(1));
  CHECK(contains(error.out, "\n  FAIL  check: cannot reach the state store\n"));
  CHECK(contains(error.out, "\ncannot run: 1 problem\n"));
}

TEST_CASE("--format json prints one object with every finding and the verdict") {
  for (const char *file : {"check_reports", "check_reports_fail"}) {
    const bool can_run = std::string(file) == "check_reports";
    ProcessResult r = Checked(file).run({"--check", "--format", "json"});
    INFO(file << " stdout:\n" << r.out << "stderr:\n" << r.err);
    CHECK(r.exited_with(can_run ? 0 : 1));
    rapidjson::Document doc;
    doc.Parse(r.out.c_str());
    REQUIRE_FALSE(doc.HasParseError());
    REQUIRE(doc.IsObject());
    CHECK(std::string(doc["connector"].GetString()) == "orders");
    CHECK(std::string(doc["plugin"].GetString()) == "check-reports");
    CHECK(std::string(doc["version"].GetString()) == "1.0.0");
    CHECK(std::string(doc["config"].GetString()) == "ok");
    CHECK(doc["can_run"].GetBool() == can_run);
    const auto &findings = doc["findings"].GetArray();
    REQUIRE(findings.Size() == (can_run ? 3u : 4u));
    CHECK(std::string(findings[0]["level"].GetString()) == "ok");
    CHECK(std::string(findings[0]["subject"].GetString()) == "state store");
    CHECK(std::string(findings[0]["detail"].GetString()) == "reached postgresql://app:***@db/shop");
    CHECK(std::string(findings[1]["level"].GetString()) == "info");
    CHECK(std::string(findings[2]["level"].GetString()) == "warn");
    if (!can_run) CHECK(std::string(findings[3]["level"].GetString()) == "fail");
  }
}

TEST_CASE("--check exits 2 for a bad config: the host's checks, or the plugin's CN_INVALID_CONFIG") {
  ProcessResult invalid = Checked("check_reports_invalid_config").run({"--check"});
  INFO("stdout:\n" << invalid.out << "stderr:\n" << invalid.err);
  CHECK(invalid.exited_with(2));
  CHECK(contains(error_line(invalid), "check refused the configuration: parameters.url: not a URL this plugin can use"));
  CHECK(invalid.out.empty());

  Checked misspelled("check_reports", "  ulr: postgresql://db/shop\n");
  ProcessResult bad = misspelled.run({"--check"});
  INFO("stdout:\n" << bad.out << "stderr:\n" << bad.err);
  CHECK(bad.exited_with(2));
  CHECK(contains(error_line(bad), "parameters.ulr: not a parameter of check-reports"));
  CHECK(bad.out.empty());

  CHECK(Checked("check_reports").run({"--check", "--format", "yaml"}).exited_with(2));
}

TEST_CASE("--check on a plugin without check(): the configuration alone, and an INFO saying so") {
  ProcessResult r = Checked("older_descriptor").run({"--check"});
  INFO("stdout:\n" << r.out << "stderr:\n" << r.err);
  CHECK(r.exited_with(0));
  CHECK(contains(r.out, "\n  INFO  check: older-descriptor cannot check its connection (no check callback)"));
  CHECK(contains(r.out, "\ncan run\n"));
}

TEST_CASE("a C++ plugin's static check() and teardown() (cn/plugin.hpp)") {
  TempDir state;
  const std::string state_file = state / "offset";
  std::ofstream(state_file) << "3\n";
  Checked c("retry_then_ok", "  state_file: " + state_file + "\n");
  ProcessResult check = c.run({"--check"});
  INFO("stdout:\n" << check.out << "stderr:\n" << check.err);
  CHECK(check.exited_with(0));
  CHECK(contains(check.out, "\n  OK    state_file: " + state_file + "\n"));

  ProcessResult drop = c.run({"--drop", "--yes"});
  INFO("stdout:\n" << drop.out << "stderr:\n" << drop.err);
  CHECK(drop.exited_with(0));
  CHECK(contains(drop.out, "\n  OK    state_file " + state_file + ": removed\n"));
  CHECK_FALSE(std::filesystem::exists(state_file));

  SUBCASE("cn::ConfigError from check() is CN_INVALID_CONFIG: exit 2") {
    ProcessResult bad = Checked("retry_then_ok", "  check: bad-config\n").run({"--check"});
    INFO("stderr:\n" << bad.err);
    CHECK(bad.exited_with(2));
    CHECK(contains(error_line(bad), "check refused the configuration: parameters.check: bad-config asked for"));
  }
}

TEST_CASE("--drop --yes calls teardown() and prints its findings; the topic is not touched") {
  const auto topic_size = std::filesystem::file_size(dogs_topic());
  ProcessResult r = Checked("check_reports").run({"--drop", "--yes"});
  INFO("stdout:\n" << r.out << "stderr:\n" << r.err);
  CHECK(r.exited_with(0));
  CHECK(contains(r.out, "teardown of connector 'orders': plugin check-reports 1.0.0"));
  CHECK(contains(r.out, "\n  OK    offset row: removed\n"));
  CHECK(contains(r.out, "\n  INFO  table public.events: left in place: it holds the data\n"));
  CHECK(contains(r.out, "\ndone\n"));
  CHECK(std::filesystem::file_size(dogs_topic()) == topic_size);

  ProcessResult error = Checked("check_reports_error").run({"--drop", "--yes"});
  INFO("stdout:\n" << error.out << "stderr:\n" << error.err);
  CHECK(error.exited_with(1));
  CHECK(contains(error.out, "\n  FAIL  teardown: cannot reach the state store\nteardown failed\n"));
}

TEST_CASE("--drop asks first: exit 2 without a terminal, nothing removed unless the answer is yes") {
  Checked c("check_reports");
  ProcessResult no_terminal = c.run({"--drop"});
  INFO("stdout:\n" << no_terminal.out << "stderr:\n" << no_terminal.err);
  CHECK(no_terminal.exited_with(2));
  CHECK(contains(no_terminal.err, "--drop asks for confirmation: add --yes to run it without a terminal"));
  CHECK(no_terminal.out.empty());

  const std::vector<std::string> args = {"--config", c.config, "--plugin", c.plugin, "--drop"};
  ProcessResult declined = run_on_terminal(args, "n\n");
  INFO("terminal:\n" << declined.out);
  CHECK(declined.exited_with(0));
  CHECK(contains(declined.out, "This removes what connector 'orders' (check-reports) keeps outside the topic"));
  CHECK(contains(declined.out, "nothing removed"));
  CHECK_FALSE(contains(declined.out, "offset row"));

  ProcessResult accepted = run_on_terminal(args, "yes\n");
  INFO("terminal:\n" << accepted.out);
  CHECK(accepted.exited_with(0));
  CHECK(contains(accepted.out, "OK    offset row: removed"));
}

TEST_CASE("--drop on a plugin without teardown() exits 2") {
  ProcessResult r = Checked("older_descriptor").run({"--drop", "--yes"});
  INFO("stderr:\n" << r.err);
  CHECK(r.exited_with(2));
  CHECK(contains(error_line(r), "older-descriptor cannot tear down (no teardown callback)"));
}
