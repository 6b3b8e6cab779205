// connector-host: runs one connector plugin between a topic and the world.
#include "check_command.hpp"
#include "config.hpp"
#include "crash_report.hpp"
#include "flag_range.hpp"
#include "log.hpp"
#include "metrics_endpoint.hpp"
#include "open_instance.hpp"
#include "progress_report.hpp"
#include "parameter_check.hpp"
#include "parameter_secrets.hpp"
#include "plugin_path.hpp"
#include "run.hpp"
#include "stop.hpp"
#include "topic.hpp"

#include <cn/loader.hpp>

#include <boost/program_options.hpp>

#include <iostream>

#include <unistd.h>

namespace po = boost::program_options;
using namespace cn::host;

namespace {

constexpr const char *kVersion = "0.1.0";

struct Flags {
  std::string config, plugin, topics, topic, log_level = "info", log_format = "text", format = "text", metrics_listen;
  std::chrono::seconds unhealthy_after{60};
  std::chrono::seconds status_interval{30};  // 0: no progress lines
  int topic_replicas = 0;  // 0: not given
  std::vector<std::string> plugin_dirs;
  bool once = false, list_plugins = false, check = false, drop = false, yes = false;
  std::size_t max_record_bytes = kDefaultMaxRecordBytes;
  RunOptions run;
};

// The ranges of the numeric flags (README, "Running a connector"). Zero or
// a negative number would break the run loops (a batch of no records reads
// the rest of the topic as one), and an absurd maximum is a typo.
constexpr FlagRange kBatchRecords{1, 10'000'000};
constexpr FlagRange kBatchBytes{1, int64_t{1} << 30};
constexpr FlagRange kMilliseconds{1, 3'600'000};
constexpr FlagRange kConnectTimeout{1, 86'400};
constexpr FlagRange kReplicas{1, 5};
constexpr FlagRange kMaxRecordBytes{1024, static_cast<int64_t>(kMaxRecordBytesLimit)};
constexpr FlagRange kUnhealthyAfter{1, 86'400};
constexpr FlagRange kStatusInterval{0, 86'400};

// A numeric flag: checked against range when the command line is read
// (UsageError), then stored in target, whose initial value is the default.
template <class Target>
po::typed_value<std::string> *ranged(const std::string &flag, FlagRange range, Target &target) {
  return po::value<std::string>()->value_name("N")->notifier(
      [flag, range, &target](const std::string &text) { target = Target(parse_flag(flag, text, range)); });
}

// "WHAT (DEFAULT; MIN..MAX)"
std::string ranged_help(const std::string &what, long long default_value, FlagRange range) {
  return what + " (" + std::to_string(default_value) + "; " + to_string(range) + ")";
}

po::options_description describe_options(Flags &f) {
  RunOptions &r = f.run;
  po::options_description o("Options");
  o.add_options()
      ("help,h", "print this help and exit")
      ("version", "print the host and plugin ABI versions and exit")
      ("config,c", po::value(&f.config), "connect.yml to run (version, name, type, topic, parameters, secrets)")
      ("plugin,p", po::value(&f.plugin), "plugin NAME (as it calls itself) or PATH to a .so; overrides type:")
      ("plugin-dir", po::value(&f.plugin_dirs), "also look for plugins in DIR (repeatable; searched first)")
      ("list-plugins", po::bool_switch(&f.list_plugins), "list the plugins found, their parameters, and why any file was refused")
      ("check", po::bool_switch(&f.check), "check the config and ask the plugin whether the connector can run; run nothing")
      ("format", po::value(&f.format)->default_value("text"), "--check and --drop report: text or json")
      ("drop", po::bool_switch(&f.drop), "remove what the connector keeps outside the topic (asks first); the topic stays")
      ("yes", po::bool_switch(&f.yes), "--drop without asking")
      ("topics", po::value(&f.topics)->value_name("DIR|URLS"),
       "where the topics are: a directory of topic logs (DIR/<topic>.jsonl; default: topics), or NATS JetStream servers"
       " (nats://HOST:PORT[,nats://...]); overrides the config's topics:")
      ("topic-replicas", ranged("--topic-replicas", kReplicas, f.topic_replicas),
       "NATS: replicas of a stream the source creates (1; 1..5); overrides the config's topics.replicas")
      ("topic", po::value(&f.topic), "topic to use instead of the config's ('-': stdin for a sink, stdout for a source)")
      ("once", po::bool_switch(&f.once), "stop at the end of the topic (sink) or when the source is idle")
      ("log-level", po::value(&f.log_level)->default_value("info"), "trace, debug, info, warn or error")
      ("log-format", po::value(&f.log_format)->default_value("text"),
       "text, or json: one JSON object per line (time, level, source, connector, offset, message)")
      ("batch-records", ranged("--batch-records", kBatchRecords, r.batch_records),
       ranged_help("records per batch at most", static_cast<long long>(r.batch_records), kBatchRecords).c_str())
      ("batch-bytes", ranged("--batch-bytes", kBatchBytes, r.batch_bytes),
       ranged_help("bytes per batch, roughly, at most", static_cast<long long>(r.batch_bytes), kBatchBytes).c_str())
      ("commit-interval-ms", ranged("--commit-interval-ms", kMilliseconds, r.commit_interval),
       ranged_help("commit at least this often while records flow", r.commit_interval.count(), kMilliseconds).c_str())
      ("retry-initial-ms", ranged("--retry-initial-ms", kMilliseconds, r.retry_initial),
       ranged_help("first backoff after a plugin asks to retry", r.retry_initial.count(), kMilliseconds).c_str())
      ("retry-max-ms", ranged("--retry-max-ms", kMilliseconds, r.retry_max),
       ranged_help("longest backoff between retries", r.retry_max.count(), kMilliseconds).c_str())
      ("max-record-bytes", ranged("--max-record-bytes", kMaxRecordBytes, f.max_record_bytes),
       ranged_help("longest record a sink reads from the topic; a longer one stops it",
                   static_cast<long long>(f.max_record_bytes), kMaxRecordBytes).c_str())
      ("connect-timeout", ranged("--connect-timeout", kConnectTimeout, r.connect_timeout),
       ranged_help("with --once, seconds a connector that never started may keep retrying", r.connect_timeout.count(),
                   kConnectTimeout).c_str())
      ("metrics-listen", po::value(&f.metrics_listen)->value_name("ADDR:PORT"),
       "serve /metrics (Prometheus), /healthz and /readyz on ADDR:PORT, e.g. 127.0.0.1:9187 (off by default)")
      ("unhealthy-after", ranged("--unhealthy-after", kUnhealthyAfter, f.unhealthy_after),
       ranged_help("seconds of retrying after which /healthz answers 503", f.unhealthy_after.count(),
                   kUnhealthyAfter).c_str())
      ("status-interval", ranged("--status-interval", kStatusInterval, f.status_interval),
       ranged_help("seconds between progress lines in the log; 0: none (with --once on a terminal: a status line "
                   "redrawn every second instead)",
                   f.status_interval.count(), kStatusInterval).c_str());
  return o;
}

void print_help(const po::options_description &options) {
  std::cout << "Usage: connector-host --config connect.yml [--plugin NAME|PATH] [options]\n"
               "       connector-host --config connect.yml --check [--format text|json]\n"
               "       connector-host --config connect.yml --drop [--yes]\n"
               "       connector-host --list-plugins [--plugin-dir DIR]\n\n"
               "Runs one connector plugin: a sink reads the topic and applies its records,\n"
               "a source produces records into the topic. Plugins are found in --plugin-dir,\n"
               "then CONNECTOR_PLUGIN_PATH (':'-separated), then "
            << default_plugin_dir().string() << ".\n\n"
            << options
            << "\nExit codes: 0 done or stopped by SIGINT/SIGTERM, 1 the connector failed,\n"
               "2 bad command line or config, 3 plugin not found or refused, 4 crashed (a fatal\n"
               "signal, logged with the plugin and callback; start it again, it resumes after its\n"
               "last commit). --check: 0 can run, 1 cannot run; --drop: 0 done or declined,\n"
               "1 teardown failed.\n";
}

// "  NAME  TYPE[ (RANGE | one of CHOICES)]  [default: D]  [secret]  [- DESCRIPTION]"
std::string describe_parameter(const cn::ParameterSpec &p) {
  std::string line = "      " + p.name + "  " + cn::to_string(p.type);
  if (p.type == cn::ParameterType::integer && !range_text(p).empty()) line += " " + range_text(p);
  if (p.type == cn::ParameterType::enumeration) {
    std::string choices;
    for (const std::string &c : p.choices) choices += (choices.empty() ? "" : "|") + c;
    line += " " + choices;
  }
  if (!p.default_text.empty()) line += "  default: " + p.default_text;
  if (p.secret) line += "  secret";
  if (!p.description.empty()) line += "  - " + p.description;
  return line;
}

int list_plugins(const std::vector<std::filesystem::path> &dirs) {
  for (const auto &dir : dirs) {
    std::cout << dir.string() << ":\n";
    auto entries = cn::scan_plugin_dir(dir);
    if (entries.empty()) std::cout << "  (no plugins)\n";
    for (const auto &e : entries) {
      if (!e.plugin) {
        std::cout << "  refused  " << e.path.string() << ": " << e.refusal << "\n";
        continue;
      }
      std::cout << "  " << e.plugin->name() << "  " << e.plugin->version() << "  " << cn::to_string(e.plugin->kind())
                << "  " << e.path.string()
                << (e.plugin->description().empty() ? "" : "  - " + e.plugin->description()) << "\n";
      if (const auto *parameters = e.plugin->parameters())
        for (const cn::ParameterSpec &p : *parameters) std::cout << describe_parameter(p) << "\n";
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

// Masks every parameter value that must not be printed, then checks the
// parameters against what the plugin declares (if it declares anything),
// logging each problem. Masking comes first: a problem may quote a value.
bool parameters_ok(const ConnectorConfig &config, const cn::Plugin &plugin, Logger &log) {
  SensitiveValues sensitive = sensitive_parameter_values(config, plugin.parameters());
  for (const std::string &value : sensitive.whole) log.add_secret(value);
  for (const std::string &text : sensitive.with_passwords) log.add_passwords_in(text);
  if (!plugin.parameters()) return true;
  std::vector<std::string> problems = parameter_problems(config, *plugin.parameters(), plugin.name());
  for (const std::string &problem : problems) log.error(problem);
  return problems.empty();
}

// What a run, --check and --drop start from: a configuration that passed
// every check made before open(), and its plugin.
struct Connector {
  ConnectorConfig config;
  std::shared_ptr<const cn::Plugin> plugin;
};

// Reads and checks the configuration, finds the plugin. Returns kExitOk, or
// the exit code of what went wrong (logged).
int prepare(const Flags &flags, const std::vector<std::filesystem::path> &dirs, Logger &log, Connector &c) {
  ConnectorConfig &config = c.config;
  config = effective_config(flags, process_environment());
  for (const auto &[name, value] : config.secrets) log.add_secret(value);
  for (const std::string &w : config.warnings) log.warn(w);

  try {
    c.plugin = cn::find_plugin(config.type, dirs);
  } catch (const std::exception &e) {
    log.error(e.what());
    return kExitPluginRefused;
  }
  if (!parameters_ok(config, *c.plugin, log)) return kExitUsage;
  config.type = c.plugin->name();
  if (config.name.empty()) config.name = c.plugin->name();
  return kExitOk;
}

// The progress a person sees (progress_report.hpp), or none.
std::unique_ptr<ProgressReport> progress_report(const Flags &flags, Logger &log, const RunObserver &observer,
                                                std::function<std::optional<double>()> end) {
  if (flags.once && ::isatty(STDERR_FILENO) && flags.log_format == "text")
    return std::make_unique<ProgressReport>(log, observer, std::move(end), std::chrono::seconds(1),
                                            ProgressReport::Style::terminal_line);
  if (flags.status_interval.count() == 0) return nullptr;
  return std::make_unique<ProgressReport>(log, observer, std::move(end), flags.status_interval,
                                          ProgressReport::Style::log_line);
}

// Opens the topic and the plugin and runs the loop that moves records
// between them.
int run_plugin(const Flags &flags, const ConnectorConfig &config, const std::shared_ptr<const cn::Plugin> &plugin,
               const TopicsConfig &where, Metrics &metrics, RunObserver &observer, Logger &log) {
  const RunOptions &run = flags.run;
  auto topics = open_topics(where, [&log](const std::string &w) { log.warn(w); }, flags.max_record_bytes);
  const std::string json = config.plugin_json();
  if (plugin->kind() == cn::PluginKind::sink) {
    auto reader = topics->open_reader(config.topic, !flags.once);
    install_crash_report(plugin->name(), reader->describe());
    auto end_offset = [&reader]() -> std::optional<double> {
      const int64_t end = reader->end_offset();
      return end < 0 ? std::nullopt : std::optional<double>(static_cast<double>(end));
    };
    // Probes before the reader goes: a scrape may be reading them.
    Metrics::Probe end_probe = metrics.probe(
        "connector_topic_end_offset", "The offset the topic's next record will get (the records it holds).",
        end_offset);
    Metrics::Probe lag_probe = metrics.probe(
        "connector_lag_records", "Records in the topic that the sink has not committed yet.",
        [&end_offset, &observer]() -> std::optional<double> {
          std::optional<double> end = end_offset();
          if (!end) return std::nullopt;
          return std::max(0.0, *end - static_cast<double>(observer.committed_offset() + 1));
        });
    std::unique_ptr<ProgressReport> progress = progress_report(flags, log, observer, end_offset);
    std::unique_ptr<cn::SinkInstance> sink = open_sink(plugin, log, json, run, metrics, observer);
    return sink ? run_sink(*sink, *reader, run, log, observer) : kExitOk;
  }
  auto writer = topics->open_writer(config.topic);
  install_crash_report(plugin->name(), writer->describe());
  std::unique_ptr<ProgressReport> progress = progress_report(flags, log, observer, nullptr);
  std::unique_ptr<cn::SourceInstance> source = open_source(plugin, log, json, run, metrics, observer);
  return source ? run_source(*source, *writer, run, log, observer) : kExitOk;
}

int run_connector(const Flags &flags, const std::vector<std::filesystem::path> &dirs, Logger &log) {
  Connector c;
  if (int code = prepare(flags, dirs, log, c); code != kExitOk) return code;
  ConnectorConfig &config = c.config;
  const std::shared_ptr<const cn::Plugin> &plugin = c.plugin;
  const ReportFormat format = *parse_report_format(flags.format);  // checked in main
  install_crash_report(plugin->name(), config.topic);
  log.set_connector(config.name);
  if (flags.check) return check_connector(config, *plugin, format, log);
  if (flags.drop) return drop_connector(config, *plugin, flags.yes, format, log);
  log.info("running " + plugin->name() + " " + plugin->version() + " (" + cn::to_string(plugin->kind()) +
           ", " + plugin->path().string() + ") as connector '" + config.name + "' on topic '" + config.topic + "'");

  TopicsConfig where = config.topics.value_or(TopicsConfig{});
  if (!flags.topics.empty()) where.location = flags.topics;
  if (flags.topic_replicas > 0) where.nats.replicas = flags.topic_replicas;
  where.retry_initial = flags.run.retry_initial;
  where.retry_max = flags.run.retry_max;
  for (const std::string &secret : {where.nats.password, where.nats.token})
    if (!secret.empty()) log.add_secret(secret);
  log.add_passwords_in(where.location);
  auto metrics = std::make_shared<Metrics>(
      MetricLabels{{"connector", config.name}, {"plugin", plugin->name()}, {"topic", config.topic}});
  metrics->gauge("connector_info", "The host's version and plugin ABI (value 1).",
                 {{"version", kVersion}, {"abi", std::to_string(CN_ABI_VERSION) + "." + std::to_string(CN_ABI_MINOR)}})
      .set(1);
  Health health(flags.unhealthy_after);
  RunObserver observer(*metrics, health);
  std::unique_ptr<MetricsEndpoint> endpoint;
  if (!flags.metrics_listen.empty()) {
    endpoint = std::make_unique<MetricsEndpoint>(flags.metrics_listen, metrics, health);
    log.info("metrics on " + endpoint->url() + "/metrics (/healthz, /readyz)");
  }
  int code;
  try {
    code = run_plugin(flags, config, plugin, where, *metrics, observer, log);
  } catch (...) {
    observer.failed();
    throw;
  }
  if (code == kExitOk) observer.state(Health::State::stopped);
  else observer.failed();
  return code;
}

}  // namespace

int main(int argc, char **argv) {
  const auto started = std::chrono::steady_clock::now();  // --connect-timeout counts from here
  Flags flags;
  po::options_description options = describe_options(flags);
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error &e) {
    std::cerr << "connector-host: " << e.what() << " (see --help)\n";
    return kExitUsage;
  } catch (const UsageError &e) {
    std::cerr << "connector-host: " << e.what() << " (see --help)\n";
    return kExitUsage;
  }
  if (vm.count("help")) return print_help(options), kExitOk;
  if (vm.count("version")) {
    std::cout << "connector-host " << kVersion << " (plugin ABI " << CN_ABI_VERSION << "." << CN_ABI_MINOR << ")\n";
    return kExitOk;
  }
  Logger log;
  auto level = parse_log_level(flags.log_level);
  if (!level) {
    std::cerr << "connector-host: --log-level must be trace, debug, info, warn or error\n";
    return kExitUsage;
  }
  log.set_level(*level);
  if (flags.log_format != "text" && flags.log_format != "json") {
    std::cerr << "connector-host: --log-format must be text or json\n";
    return kExitUsage;
  }
  log.set_format(flags.log_format == "json" ? Logger::Format::json : Logger::Format::text);
  auto dirs = plugin_search_path(flags.plugin_dirs, process_environment());
  if (flags.list_plugins) return list_plugins(dirs);
  if (!parse_report_format(flags.format)) {
    std::cerr << "connector-host: --format must be text or json\n";
    return kExitUsage;
  }
  if (flags.check && flags.drop) {
    std::cerr << "connector-host: --check and --drop cannot be combined (see --help)\n";
    return kExitUsage;
  }
  if (flags.config.empty() && flags.plugin.empty()) {
    std::cerr << "connector-host: nothing to run: give --config connect.yml or --plugin NAME (see --help)\n";
    return kExitUsage;
  }
  flags.run.once = flags.once;
  if (flags.once) flags.run.give_up_at = started + flags.run.connect_timeout;

  install_stop_handlers();
  try {
    return run_connector(flags, dirs, log);
  } catch (const ConfigError &e) {
    log.error(e.what());
    return kExitUsage;
  } catch (const TopicNameError &e) {
    log.error(e.what());
    return kExitUsage;
  } catch (const cn::OpenError &e) {  // the plugin's own verdict on the configuration, or a failure
    log.error(e.what());
    return e.status() == CN_INVALID_CONFIG ? kExitUsage : kExitFailed;
  } catch (const std::exception &e) {  // TopicError, a connector that never connected (--connect-timeout), ...
    log.error(e.what());
    return kExitFailed;
  }
}
