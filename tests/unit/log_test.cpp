// The host's log: what --log-level accepts.
#include "log.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <string>

TEST_CASE("log levels parse by name") {
  CHECK(cn::host::parse_log_level("warn") == CN_LOG_WARN);
  CHECK(cn::host::parse_log_level("trace") == CN_LOG_TRACE);
  CHECK_FALSE(cn::host::parse_log_level("loud").has_value());
}

TEST_CASE("a message with line breaks becomes one line") {
  using cn::host::one_line;
  CHECK(one_line("plain") == "plain");
  CHECK(one_line("ERROR: duplicate key\nDETAIL: Key (id)=(1) exists.\nCONTEXT: COPY dog, line 1\n") ==
        "ERROR: duplicate key | DETAIL: Key (id)=(1) exists. | CONTEXT: COPY dog, line 1");
  CHECK(one_line("a\r\nb\rc\n\nd") == "a | b | c |  | d");
  CHECK(one_line("\r\n") == "");
}

TEST_CASE("the Logger writes one line per message, with secrets masked across line breaks") {
  std::FILE *capture = std::tmpfile();
  REQUIRE(capture);
  std::fflush(stderr);
  int saved = ::dup(STDERR_FILENO);
  ::dup2(::fileno(capture), STDERR_FILENO);
  {
    cn::host::Logger log;
    log.add_secret("pass\nword");
    log.write(CN_LOG_ERROR, "pg-sink", "insert failed\nDETAIL: pass\nword\r\nCONTEXT: line 3\n");
  }
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::rewind(capture);
  std::string out;
  for (int c; (c = std::fgetc(capture)) != EOF;) out += static_cast<char>(c);
  std::fclose(capture);
  CHECK(out.find("ERROR pg-sink: insert failed | DETAIL: *** | CONTEXT: line 3\n") != std::string::npos);
  CHECK(out.find('\n') == out.size() - 1);
  CHECK(out.find('\r') == std::string::npos);
}
