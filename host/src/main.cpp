// connector-host: runs one connector plugin between a topic and the world.
#include "config.hpp"
#include "log.hpp"
#include "open_instance.hpp"
#include "plugin_path.hpp"
#include "run.hpp"
#include "stop.hpp"
#include "topic.hpp"

#include <cn/loader.hpp>

#include <boost/program_options.hpp>

#include <iostream>

namespace po = boost::program_options;
using namespace cn::host;

namespace {

constexpr const char *kVersion = "0.1.0";

struct Flags {
  std::string config, plugin, topics_dir = "topics", topic, log_level = "info";
  std::vector<std::string> plugin_dirs;
  bool once = false, list_plugins = false;
  RunOptions run;
};

po::options_description describe_options(Flags &f) {
  po::options_description o("Options");
  auto ms = [](std::chrono::milliseconds &target) {
    return po::value<long>()->notifier([&target](long v) { target = std::chrono::milliseconds(v); });
  };
  o.add_options()
      ("help,h", "print this help and exit")
      ("version", "print the host and plugin ABI versions and exit")
      ("config,c", po::value(&f.config), "connect.yml to run (version, name, type, topic, parameters, secrets)")
      ("plugin,p", po::value(&f.plugin), "plugin NAME (as it calls itself) or PATH to a .so; overrides type:")
      ("plugin-dir", po::value(&f.plugin_dirs), "also look for plugins in DIR (repeatable; searched first)")
      ("list-plugins", po::bool_switch(&f.list_plugins), "list the plugins found, and why any file was refused")
      ("topics", po::value(&f.topics_dir)->default_value("topics"), "directory of the topic logs (DIR/<topic>.jsonl)")
      ("topic", po::value(&f.topic), "topic to use instead of the config's topic: ('-' = stdin/stdout)")
      ("once", po::bool_switch(&f.once), "stop at the end of the topic (sink) or when the source is idle")
      ("log-level", po::value(&f.log_level)->default_value("info"), "trace, debug, info, warn or error")
      ("batch-records", po::value(&f.run.batch_records)->default_value(f.run.batch_records), "records per batch at most")
      ("batch-bytes", po::value(&f.run.batch_bytes)->default_value(f.run.batch_bytes), "bytes per batch, roughly, at most")
      ("commit-interval-ms", ms(f.run.commit_interval), "commit at least this often while records flow (1000)")
      ("retry-initial-ms", ms(f.run.retry_initial), "first backoff after a plugin asks to retry (100)")
      ("retry-max-ms", ms(f.run.retry_max), "longest backoff between retries (30000)");
  return o;
}

void print_help(const po::options_description &options) {
  std::cout << "Usage: connector-host --config connect.yml [--plugin NAME|PATH] [options]\n"
               "       connector-host --list-plugins [--plugin-dir DIR]\n\n"
               "Runs one connector plugin: a sink reads the topic and applies its records,\n"
               "a source produces records into the topic. Plugins are found in --plugin-dir,\n"
               "then CONNECTOR_PLUGIN_PATH (':'-separated), then "
            << default_plugin_dir().string() << ".\n\n"
            << options
            << "\nExit codes: 0 done or stopped by SIGINT/SIGTERM, 1 the connector failed,\n"
               "2 bad command line or config, 3 plugin not found or refused.\n";
}

int list_plugins(const std::vector<std::filesystem::path> &dirs) {
  for (const auto &dir : dirs) {
    std::cout << dir.string() << ":\n";
    auto entries = cn::scan_plugin_dir(dir);
    if (entries.empty()) std::cout << "  (no plugins)\n";
    for (const auto &e : entries) {
      if (e.plugin)
        std::cout << "  " << e.plugin->name() << "  " << e.plugin->version() << "  "
                  << cn::to_string(e.plugin->kind()) << "  " << e.path.string()
                  << (e.plugin->description().empty() ? "" : "  - " + e.plugin->description()) << "\n";
      else
        std::cout << "  refused  " << e.path.string() << ": " << e.refusal << "\n";
    }
  }
  return kExitOk;
}

// The configuration with the command line's overrides applied.
ConnectorConfig effective_config(const Flags &f, const Environment &env) {
  ConnectorConfig config = f.config.empty() ? config_without_file(env) : load_config(f.config, env);
  if (!f.topic.empty()) config.topic = f.topic;
  if (!f.plugin.empty()) config.type = f.plugin;
  std::string where = f.config.empty() ? "the command line" : f.config;
  if (config.type.empty()) throw ConfigError(where + ": no plugin to run: give type: in the config or --plugin");
  if (config.topic.empty()) throw ConfigError(where + ": no topic: give topic: in the config or --topic");
  return config;
}

int run_connector(const Flags &flags, const std::vector<std::filesystem::path> &dirs, Logger &log) {
  ConnectorConfig config = effective_config(flags, process_environment());
  for (const auto &[name, value] : config.secrets) log.add_secret(value);
  for (const std::string &w : config.warnings) log.warn(w);

  std::shared_ptr<const cn::Plugin> plugin;
  try {
    plugin = cn::find_plugin(config.type, dirs);
  } catch (const std::exception &e) {
    log.error(e.what());
    return kExitPluginRefused;
  }
  config.type = plugin->name();
  if (config.name.empty()) config.name = plugin->name();
  log.info("running " + plugin->name() + " " + plugin->version() + " (" + cn::to_string(plugin->kind()) +
           ", " + plugin->path().string() + ") as connector '" + config.name + "' on topic '" + config.topic + "'");

  RunOptions run = flags.run;
  run.once = flags.once;
  auto topics = open_topics(flags.topics_dir, [&log](const std::string &w) { log.warn(w); });
  const std::string json = config.plugin_json();
  if (plugin->kind() == cn::PluginKind::sink) {
    auto reader = topics->open_reader(config.topic, !flags.once);
    std::unique_ptr<cn::SinkInstance> sink = open_sink(plugin, log, json, run);
    return sink ? run_sink(*sink, *reader, run, log) : kExitOk;
  }
  auto writer = topics->open_writer(config.topic);
  std::unique_ptr<cn::SourceInstance> source = open_source(plugin, log, json, run);
  return source ? run_source(*source, *writer, run, log) : kExitOk;
}

}  // namespace

int main(int argc, char **argv) {
  Flags flags;
  po::options_description options = describe_options(flags);
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error &e) {
    std::cerr << "connector-host: " << e.what() << " (see --help)\n";
    return kExitUsage;
  }
  if (vm.count("help")) return print_help(options), kExitOk;
  if (vm.count("version")) {
    std::cout << "connector-host " << kVersion << " (plugin ABI " << CN_ABI_VERSION << ")\n";
    return kExitOk;
  }
  Logger log;
  auto level = parse_log_level(flags.log_level);
  if (!level) {
    std::cerr << "connector-host: --log-level must be trace, debug, info, warn or error\n";
    return kExitUsage;
  }
  log.set_level(*level);
  auto dirs = plugin_search_path(flags.plugin_dirs, process_environment());
  if (flags.list_plugins) return list_plugins(dirs);
  if (flags.config.empty() && flags.plugin.empty()) {
    std::cerr << "connector-host: nothing to run: give --config connect.yml or --plugin NAME (see --help)\n";
    return kExitUsage;
  }

  install_stop_handlers();
  try {
    return run_connector(flags, dirs, log);
  } catch (const ConfigError &e) {
    log.error(e.what());
    return kExitUsage;
  } catch (const std::exception &e) {  // TopicError, an open() that returned CN_ERROR, ...
    log.error(e.what());
    return kExitFailed;
  }
}
