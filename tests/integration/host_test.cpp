// connector-host as a user runs it: the real binary, the real example
// plugins, topic files on disk.
#include "paths.hpp"
#include "process.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <set>
#include <sstream>

using namespace cn::test;
namespace fs = std::filesystem;

namespace {

const fs::path kDogs = sample_topics_dir() / "dogs.jsonl";

std::vector<std::string> host(std::vector<std::string> args) {
  args.insert(args.begin(), kHostBinary);
  return args;
}

void write_file(const fs::path &path, const std::string &text, std::ios::openmode mode = std::ios::trunc) {
  std::ofstream(path, std::ios::binary | std::ios::out | mode) << text;
}

// print-sink prints "<offset>\t<value>"; checks that it printed every line
// of the topic file exactly once, in order, with its offset.
void check_printed_exactly(const std::string &out, const std::vector<std::string> &topic_lines) {
  std::vector<std::string> printed = lines_of(out);
  REQUIRE(printed.size() == topic_lines.size());
  for (std::size_t i = 0; i < printed.size(); ++i)
    CHECK(printed[i] == std::to_string(i) + "\t" + topic_lines[i]);
}

}  // namespace

TEST_CASE("--list-plugins shows each plugin's name, version, kind and path") {
  ProcessResult r = run_process(host({"--list-plugins", "--plugin-dir", kPluginDir}));
  CHECK(r.exited_with(0));
  CHECK(r.out.find("print-sink  1.0.0  sink  " + kPluginDir + "/print-sink.so") != std::string::npos);
  CHECK(r.out.find("sequence-source  1.0.0  source  " + kPluginDir + "/sequence-source.so") != std::string::npos);
}

TEST_CASE("the C example sink prints the 37 records of dogs.jsonl and exits 0") {
  ProcessResult r = run_process(host({"--plugin", "print-sink", "--plugin-dir", kPluginDir, "--topics",
                                      kDogs.parent_path().string(), "--topic", "dogs", "--once"}));
  CHECK(r.exited_with(0));
  check_printed_exactly(r.out, lines_of(read_file(kDogs)));
}

TEST_CASE("a connect.yml picks the plugin by its type and the topic by its name") {
  TempDir dir;
  write_file(dir / "connect.yml", "version: 0.1.0\nname: printer\ntype: print-sink\ntopic: dogs\n");
  ProcessResult r = run_process(host({"--config", dir / "connect.yml", "--topics", kDogs.parent_path().string(),
                                      "--once", "--plugin-dir", kPluginDir}));
  CHECK(r.exited_with(0));
  CHECK(lines_of(r.out).size() == 37);
  CHECK(r.err.find("as connector 'printer' on topic 'dogs'") != std::string::npos);
}

TEST_CASE("the C example declares its parameter: offsets: false is obeyed, a misspelling refused") {
  TempDir dir;
  auto run_with = [&](const std::string &parameter) {
    write_file(dir / "connect.yml", "type: print-sink\ntopic: dogs\nparameters:\n  " + parameter + "\n");
    return run_process(host({"--config", dir / "connect.yml", "--plugin-dir", kPluginDir, "--topics",
                             kDogs.parent_path().string(), "--once"}));
  };
  ProcessResult values = run_with("offsets: false");
  CHECK(values.exited_with(0));
  CHECK(lines_of(values.out) == lines_of(read_file(kDogs)));

  ProcessResult typo = run_with("offset: false");
  CHECK(typo.exited_with(2));
  CHECK(typo.err.find(dir / "connect.yml" + ":4:3: parameters.offset: not a parameter of print-sink; did you mean "
                                            "'offsets'?") != std::string::npos);
  CHECK(typo.out.empty());

  ProcessResult list = run_process(host({"--list-plugins", "--plugin-dir", kPluginDir}));
  CHECK(list.out.find("print-sink.so  - prints each record to standard output (an example in C)\n"
                      "      offsets  bool  default: true  - print each record's offset and a tab before its value\n") !=
        std::string::npos);
}

TEST_CASE("commits come at batch boundaries and at the end") {
  ProcessResult r = run_process(host({"--plugin", "print-sink", "--plugin-dir", kPluginDir, "--topics",
                                      kDogs.parent_path().string(), "--topic", "dogs", "--once",
                                      "--batch-records", "10", "--log-level", "debug"}));
  CHECK(r.exited_with(0));
  for (const char *offset : {"9", "19", "29", "36"})
    CHECK(r.err.find(std::string("print-sink: committed through offset ") + offset + "\n") != std::string::npos);
}

TEST_CASE("a plugin dropped into a directory is found by the name it calls itself") {
  TempDir drop_in;
  fs::copy_file(fs::path(kPluginDir) / "print-sink.so", drop_in.path() / "renamed-printer.so");
  std::vector<std::string> args = {"--plugin", "print-sink", "--topics", kDogs.parent_path().string(),
                                   "--topic", "dogs", "--once"};

  SUBCASE("with --plugin-dir") {
    args.insert(args.end(), {"--plugin-dir", drop_in.path().string()});
    ProcessResult r = run_process(host(args));
    CHECK(r.exited_with(0));
    CHECK(r.err.find("(sink, " + (drop_in / "renamed-printer.so") + ")") != std::string::npos);
  }
  SUBCASE("with CONNECTOR_PLUGIN_PATH") {
    ProcessResult r = run_process(host(args), "", {{"CONNECTOR_PLUGIN_PATH", "/nonexistent:" + drop_in.path().string()}});
    CHECK(r.exited_with(0));
    CHECK(r.err.find("(sink, " + (drop_in / "renamed-printer.so") + ")") != std::string::npos);
  }
}

TEST_CASE("topic '-' reads standard input") {
  std::string input = read_file(kDogs);
  ProcessResult r = run_process(host({"--plugin", "print-sink", "--topic", "-", "--plugin-dir", kPluginDir}), input);
  CHECK(r.exited_with(0));
  check_printed_exactly(r.out, lines_of(input));
}

TEST_CASE("without --once the host follows the topic, and SIGTERM stops it cleanly after a final commit") {
  TempDir dir;
  fs::copy_file(kDogs, dir.path() / "dogs.jsonl");
  Child child(host({"--plugin", "print-sink", "--plugin-dir", kPluginDir, "--topics", dir.path().string(),
                    "--topic", "dogs", "--log-level", "debug"}));
  auto printed = [](std::size_t n) {
    return [n](const std::string &out, const std::string &) { return count_lines(out) >= n; };
  };
  REQUIRE(child.wait_for(printed(37)));

  write_file(dir / "dogs.jsonl", "{\"appended\":1}\n{\"appended\":2}\n", std::ios::app);
  REQUIRE(child.wait_for(printed(39)));

  child.send_signal(SIGTERM);
  ProcessResult r = child.wait();
  CHECK(r.exited_with(0));
  CHECK(r.err.find("stop requested") != std::string::npos);
  CHECK(r.err.find("committed through offset 38") != std::string::npos);
  check_printed_exactly(r.out, lines_of(read_file(dir.path() / "dogs.jsonl")));
}

TEST_CASE("a source appends to the topic and is acknowledged; a sink reads the records back") {
  TempDir dir;
  write_file(dir / "source.yml",
             "name: numbers\ntype: sequence-source\ntopic: numbers\nparameters:\n  count: 250\n  per_poll: 40\n");
  auto source = host({"--config", dir / "source.yml", "--topics", dir.path().string(), "--once", "--plugin-dir",
                      kPluginDir, "--log-level", "debug"});
  ProcessResult first = run_process(source);
  CHECK(first.exited_with(0));
  CHECK(first.err.find("sequence-source: acknowledged through offset 249") != std::string::npos);

  ProcessResult second = run_process(source);  // a toy source: it starts again from 0
  CHECK(second.exited_with(0));
  CHECK(second.err.find("sequence-source: acknowledged through offset 499") != std::string::npos);

  std::vector<std::string> topic = lines_of(read_file(dir.path() / "numbers.jsonl"));
  REQUIRE(topic.size() == 500);
  CHECK((fs::status(dir.path() / "numbers.jsonl").permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));  // 0600: a topic holds every record
  CHECK(topic[0] == "{\"seq\":0}");
  CHECK(topic[249] == "{\"seq\":249}");
  CHECK(topic[250] == "{\"seq\":0}");

  ProcessResult sink = run_process(host({"--plugin", "print-sink", "--plugin-dir", kPluginDir, "--topics",
                                         dir.path().string(), "--topic", "numbers", "--once"}));
  CHECK(sink.exited_with(0));
  check_printed_exactly(sink.out, topic);
}

TEST_CASE("secret values never appear in the log or in error messages") {
  TempDir dir;
  const std::string file_secret = "postgres://app:TopSecret-1@db:5432/x";
  const std::string env_secret = "env-Secret-42";
  write_file(dir / "connect.yml", "name: leaky\ntopic: dogs\nparameters:\n  url: ${{ secrets.DB_URL }}\n"
                                  "  token: \"Bearer ${{ secrets.API_TOKEN }}\"\nsecrets:\n  DB_URL: " +
                                      file_secret + "\n  API_TOKEN:\n");
  for (const char *format : {"text", "json"}) {
    CAPTURE(format);
    ProcessResult r = run_process(host({"--config", dir / "connect.yml", "--plugin", CN_TEST_LEAKY_PLUGIN, "--topics",
                                        kDogs.parent_path().string(), "--once", "--log-format", format}),
                                  "", {{"API_TOKEN", env_secret}, {"FLUVIO_PG_DATABASE_URL", "postgres://u:PgPass9@h/d"}});
    CHECK(r.exited_with(1));
    std::string log = r.err;
    if (std::string(format) == "json") {  // every line an object; its messages as the text log would have them
      log.clear();
      for (const std::string &line : lines_of(r.err)) {
        rapidjson::Document d;
        d.Parse(line.c_str(), line.size());
        REQUIRE_MESSAGE((!d.HasParseError() && d.IsObject()), line);
        for (const char *field : {"time", "level", "source", "connector", "message"})
          CHECK_MESSAGE((d.HasMember(field) && d[field].IsString()), field << " in " << line);
        log += std::string(d["source"].GetString()) + ": " + d["message"].GetString() + "\n";
      }
    }
    CHECK(log.find("leaky-sink (" + std::string(CN_TEST_LEAKY_PLUGIN) + "): open failed") != std::string::npos);
    CHECK(log.find("\"url\":\"***\"") != std::string::npos);
    for (const std::string &secret : {file_secret, env_secret, std::string("TopSecret-1"), std::string("PgPass9")})
      CHECK_MESSAGE(r.err.find(secret) == std::string::npos, "leaked: " << secret);
  }
}

TEST_CASE("passwords written inline in parameters: are masked, though the plugin declares no parameters") {
  TempDir dir;
  write_file(dir / "connect.yml", "name: leaky\ntopic: dogs\nparameters:\n"
                                  "  url: postgresql://app:Inline-Url-Pw@db:5432/x\n"
                                  "  dsn: host=db user=app password=Inline-Kv-Pw\n"
                                  "  db_password: 31415926\n");
  ProcessResult r = run_process(host({"--config", dir / "connect.yml", "--plugin", CN_TEST_LEAKY_PLUGIN, "--topics",
                                      kDogs.parent_path().string(), "--once"}));
  INFO("stderr:\n" << r.err);
  CHECK(r.exited_with(1));
  CHECK(r.err.find("\"url\":\"postgresql://app:***@db:5432/x\"") != std::string::npos);
  CHECK(r.err.find("\"dsn\":\"host=db user=app password=***\"") != std::string::npos);
  for (const char *secret : {"Inline-Url-Pw", "Inline-Kv-Pw", "31415926"})
    CHECK_MESSAGE(r.err.find(secret) == std::string::npos, "leaked: " << secret);
}

TEST_CASE("bad command lines and configs exit 2 with a message saying what and where") {
  TempDir dir;
  SUBCASE("nothing to run") {
    ProcessResult r = run_process(host({}));
    CHECK(r.exited_with(2));
    CHECK(r.err.find("--config") != std::string::npos);
  }
  SUBCASE("an unknown option") {
    ProcessResult r = run_process(host({"--colour"}));
    CHECK(r.exited_with(2));
    CHECK(r.err.find("colour") != std::string::npos);
  }
  SUBCASE("a bad log level") {
    CHECK(run_process(host({"--plugin", "print-sink", "--log-level", "loud"})).exited_with(2));
  }
  SUBCASE("a secret that is nowhere") {
    write_file(dir / "c.yml", "type: print-sink\ntopic: dogs\nparameters:\n  url: ${{ secrets.NOWHERE }}\n");
    ProcessResult r = run_process(host({"--config", dir / "c.yml"}));
    CHECK(r.exited_with(2));
    CHECK(r.err.find(dir / "c.yml" + ":4:") != std::string::npos);
    CHECK(r.err.find("NOWHERE") != std::string::npos);
  }
  SUBCASE("no topic") {
    write_file(dir / "c.yml", "type: print-sink\n");
    ProcessResult r = run_process(host({"--config", dir / "c.yml"}));
    CHECK(r.exited_with(2));
    CHECK(r.err.find("no topic") != std::string::npos);
  }
  SUBCASE("a config file that is not there: the system's reason") {
    ProcessResult r = run_process(host({"--config", dir / "absent.yml"}));
    CHECK(r.exited_with(2));
    CHECK(r.err.find(dir / "absent.yml" + ": cannot be read: No such file or directory") != std::string::npos);
  }
  SUBCASE("a topic name the topic store does not allow") {
    ProcessResult r = run_process(host({"--plugin", "print-sink", "--plugin-dir", kPluginDir, "--topics",
                                        dir.path().string(), "--topic", "../escape", "--once"}));
    CHECK(r.exited_with(2));
    CHECK(r.err.find("topic name '../escape' is not allowed") != std::string::npos);
  }
  SUBCASE("a misspelled top-level key is a warning that names the likely key") {
    write_file(dir / "c.yml", "type: print-sink\ntopic: dogs\nparamters:\n  x: 1\n");
    ProcessResult r = run_process(host({"--config", dir / "c.yml", "--plugin-dir", kPluginDir, "--topics",
                                        kDogs.parent_path().string(), "--once"}));
    CHECK(r.exited_with(0));
    CHECK(r.err.find(dir / "c.yml" + ":3: key 'paramters' is not used by connector-host and was ignored; did you "
                                     "mean 'parameters'?") != std::string::npos);
  }
}

TEST_CASE("every numeric flag has a range; a value outside it exits 2 saying the range") {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--batch-records", "0"}, "--batch-records must be 1..10000000, got 0"},
      {{"--batch-records=-1"}, "--batch-records must be 1..10000000, got -1"},
      {{"--batch-bytes", "0"}, "--batch-bytes must be 1..1073741824, got 0"},
      {{"--batch-bytes", "99999999999999999999"}, "--batch-bytes must be 1..1073741824, got 99999999999999999999"},
      {{"--commit-interval-ms", "soon"}, "--commit-interval-ms must be a whole number 1..3600000, got 'soon'"},
      {{"--retry-initial-ms", "0"}, "--retry-initial-ms must be 1..3600000, got 0"},
      {{"--retry-max-ms", "3600001"}, "--retry-max-ms must be 1..3600000, got 3600001"},
      {{"--connect-timeout", "0"}, "--connect-timeout must be 1..86400, got 0"},
      {{"--connect-timeout", "1.5"}, "--connect-timeout must be a whole number 1..86400, got '1.5'"},
      {{"--max-record-bytes", "1023"}, "--max-record-bytes must be 1024..4294967296, got 1023"},
      {{"--max-record-bytes", "4294967297"}, "--max-record-bytes must be 1024..4294967296, got 4294967297"},
  };
  for (const auto &[flags, message] : cases) {
    CAPTURE(message);
    std::vector<std::string> args = {"--plugin", "print-sink", "--plugin-dir", kPluginDir, "--topics",
                                     kDogs.parent_path().string(), "--topic", "dogs", "--once"};
    args.insert(args.end(), flags.begin(), flags.end());
    ProcessResult r = run_process(host(args));
    CHECK(r.exited_with(2));
    CHECK(r.err == "connector-host: " + message + " (see --help)\n");
    CHECK(r.out.empty());  // nothing ran
  }
}

TEST_CASE("the ends of a numeric flag's range are accepted") {
  {
    ProcessResult r = run_process(host({"--plugin", "print-sink", "--plugin-dir", kPluginDir, "--topics",
                                        kDogs.parent_path().string(), "--topic", "dogs", "--once", "--batch-records",
                                        "1", "--batch-bytes", "1073741824", "--connect-timeout", "86400",
                                        "--max-record-bytes", "4294967296"}));
    CHECK(r.exited_with(0));
    check_printed_exactly(r.out, lines_of(read_file(kDogs)));
  }
}

namespace {

// A loopback port with nothing listening on it (bound, read, closed).
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace

TEST_CASE("a password written inline in parameters: never reaches the log, while the plugin retries") {
  const std::string password = "Sup3rSecretPw";
  const std::string url = "postgresql://app:" + password + "@127.0.0.1:" + std::to_string(free_port()) + "/db";
  TempDir dir;
  write_file(dir / "connect.yml", "name: inline\ntype: postgres-sink\ntopic: dogs\nparameters:\n  url: " + url + "\n");
  // No --once: retried until stopped, as a daemon waits for its database.
  Child child(host({"--config", dir / "connect.yml", "--plugin-dir", kPluginDir, "--topics",
                    kDogs.parent_path().string(), "--retry-initial-ms", "10"}));
  auto retried = [](std::size_t times) {
    return [times](const std::string &, const std::string &err) {
      std::size_t seen = 0;
      for (const std::string &line : lines_of(err)) seen += line.find("asked to retry") != std::string::npos;
      return seen >= times;
    };
  };
  REQUIRE(child.wait_for(retried(3)));
  child.send_signal(SIGTERM);
  ProcessResult r = child.wait();
  INFO("stderr:\n" << r.err);
  CHECK(r.exited_with(0));
  CHECK(r.out.find(password) == std::string::npos);
  CHECK(r.err.find(password) == std::string::npos);
}

TEST_CASE("an unknown plugin exits 3 naming the directories searched") {
  ProcessResult r = run_process(host({"--plugin", "no-such-plugin", "--topic", "x", "--plugin-dir", kPluginDir}));
  CHECK(r.exited_with(3));
  CHECK(r.err.find("no plugin named 'no-such-plugin'") != std::string::npos);
  CHECK(r.err.find(kPluginDir) != std::string::npos);
}

TEST_CASE("a missing topic file with --once exits 1 naming the file") {
  TempDir dir;
  ProcessResult r = run_process(host({"--plugin", "print-sink", "--plugin-dir", kPluginDir, "--topics",
                                      dir.path().string(), "--topic", "absent", "--once"}));
  CHECK(r.exited_with(1));
  CHECK(r.err.find(dir / "absent.jsonl") != std::string::npos);
}

TEST_CASE("--help and --version") {
  ProcessResult help = run_process(host({"--help"}));
  CHECK(help.exited_with(0));
  for (const char *option : {"--config", "--plugin", "--plugin-dir", "--list-plugins", "--topics", "--once", "--log-level",
                             "--connect-timeout", "(50000; 1..10000000)", "('-': stdin", "--metrics-listen", "--unhealthy-after"})
    CHECK_MESSAGE(help.out.find(option) != std::string::npos, option);
  ProcessResult version = run_process(host({"--version"}));
  CHECK(version.exited_with(0));
  CHECK(version.out.find("plugin ABI 1") != std::string::npos);
}

TEST_CASE("another program embeds plugin loading with the sdk's loader") {
  ProcessResult r = run_process({kEmbedBinary, kPluginDir + "/print-sink.so", kDogs.string()});
  CHECK(r.exited_with(0));
  check_printed_exactly(r.out, lines_of(read_file(kDogs)));
  CHECK(r.err.find("37 records handed to print-sink") != std::string::npos);
}

TEST_CASE("lines of only whitespace are blank: they keep their offset and never reach the sink") {
  TempDir dir;
  write_file(dir / "t.jsonl", "{\"a\":1}\n   \n\t\r\n\r\n{\"b\":2}\n");
  ::chmod((dir / "t.jsonl").c_str(), 0600);
  ProcessResult r = run_process(host({"--plugin", "print-sink", "--plugin-dir", kPluginDir, "--topics",
                                      dir.path().string(), "--topic", "t", "--once"}));
  CHECK(r.exited_with(0));
  CHECK(r.out == "0\t{\"a\":1}\n4\t{\"b\":2}\n");
  CHECK(r.err.find("WARN") == std::string::npos);
}

TEST_CASE("a topic file readable by others is warned about with the chmod that fixes it") {
  TempDir dir;
  write_file(dir / "t.jsonl", "{\"a\":1}\n");
  ::chmod((dir / "t.jsonl").c_str(), 0644);
  ProcessResult r = run_process(host({"--plugin", "print-sink", "--plugin-dir", kPluginDir, "--topics",
                                      dir.path().string(), "--topic", "t", "--once"}));
  CHECK(r.exited_with(0));
  std::vector<std::string> warnings;
  for (const std::string &line : lines_of(r.err))
    if (line.find("WARN") != std::string::npos) warnings.push_back(line);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find(dir / "t.jsonl" + ": the topic file is readable or writable by group or others (mode "
                                           "0644), yet it holds a copy of every record; fix it with: chmod 600 " +
                         dir / "t.jsonl") != std::string::npos);
}

TEST_CASE("a record longer than --max-record-bytes stops the sink with exit 1, after the records before it") {
  TempDir dir;
  write_file(dir / "t.jsonl", "{\"a\":1}\n\"" + std::string(5000, 'x') + "\"\n{\"b\":2}\n");
  ::chmod((dir / "t.jsonl").c_str(), 0600);
  ProcessResult r = run_process(host({"--plugin", "print-sink", "--plugin-dir", kPluginDir, "--topics",
                                      dir.path().string(), "--topic", "t", "--once", "--max-record-bytes", "1024"}));
  CHECK(r.exited_with(1));
  CHECK(r.out == "0\t{\"a\":1}\n");
  CHECK(r.err.find(dir / "t.jsonl" + ": the record at offset 1 is 5002 bytes, more than the maximum of 1024 "
                                     "bytes; raise the limit with --max-record-bytes (up to 4294967296)") !=
        std::string::npos);
}
