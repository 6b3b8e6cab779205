// The lines of an events file (.jsonl, or .jsonl.gz read through zcat), for
// the bench programs. Empty when the file cannot be read.
#ifndef CN_BENCH_EVENT_LINES_HPP
#define CN_BENCH_EVENT_LINES_HPP

#include <cstdio>
#include <string>
#include <vector>

inline std::vector<std::string> read_event_lines(const std::string &path) {
  const bool gz = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  FILE *in = gz ? popen(("zcat '" + path + "'").c_str(), "r") : std::fopen(path.c_str(), "r");
  std::vector<std::string> lines;
  if (!in) return lines;
  std::string line;
  for (int c; (c = std::fgetc(in)) != EOF;) {
    if (c != '\n') {
      line += static_cast<char>(c);
    } else if (!line.empty()) {
      lines.push_back(std::move(line));
      line.clear();
    }
  }
  gz ? pclose(in) : std::fclose(in);
  return lines;
}

#endif
