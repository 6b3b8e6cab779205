// embed-sink: a program of its own that embeds plugin loading with the sdk's
// loader library, without connector-host. It loads a sink plugin and hands
// it the lines of a file as records, in one batch, then commits.
//
//   embed-sink PLUGIN.so FILE.jsonl
#include <cn/loader.hpp>

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

// Prints the plugin's log lines on stderr.
class StderrLog : public cn::LogSink {
 public:
  void write(cn_log_level, std::string_view plugin, std::string_view message) override {
    std::cerr << plugin << ": " << message << "\n";
  }
};

}  // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    std::cerr << "usage: embed-sink PLUGIN.so FILE.jsonl\n";
    return 2;
  }
  try {
    auto plugin = cn::Plugin::load(argv[1]);
    if (plugin->kind() != cn::PluginKind::sink) throw std::runtime_error(plugin->name() + " is not a sink");

    std::ifstream in(argv[2]);
    if (!in) throw std::runtime_error(std::string(argv[2]) + ": cannot be read");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    std::vector<cn_record> records;
    for (std::size_t i = 0; i < lines.size(); ++i)
      records.push_back(cn_record{static_cast<int64_t>(i), 0, {nullptr, 0}, {lines[i].data(), lines[i].size()}});

    StderrLog log;
    cn::SinkInstance sink(plugin, log, R"({"name":"embed","topic":"file","parameters":{},"secrets":{}})");
    for (cn::CallResult r : {sink.consume(records.data(), records.size()),
                             sink.commit(records.empty() ? -1 : records.back().offset)})
      if (!r.ok()) throw std::runtime_error(plugin->name() + ": " + r.error);
    std::cerr << "embed-sink: " << records.size() << " records handed to " << plugin->name() << "\n";
    return 0;
  } catch (const std::exception &e) {
    std::cerr << "embed-sink: " << e.what() << "\n";
    return 1;
  }
}
