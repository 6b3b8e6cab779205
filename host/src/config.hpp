// connect.yml: the connector configuration, in the Fluvio format.
//
//   version: 0.1.0
//   name: my-sink                # names the connector (its offset row, its logs)
//   type: postgres-sink          # the plugin to run, unless --plugin says otherwise
//   topic: events
//   parameters:                  # handed to the plugin as they are
//     url: ${{ secrets.FLUVIO_PG_DATABASE_URL }}
//   secrets:                     # NAME: value; a name with no value comes from
//     FLUVIO_PG_DATABASE_URL: postgres://...   # the environment
//   topics: nats://host:4222     # optional: where the topics are (topics_config.hpp)
//
// Fluvio's newer layout, with version/name/type/topic/secrets under `meta:`
// (secrets as a list of `- name: NAME`, values from the environment), is read
// too.
#ifndef CN_HOST_CONFIG_HPP
#define CN_HOST_CONFIG_HPP

#include "topics_config.hpp"

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace cn::host {

// A configuration problem. what() names the file, the line and the key.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Looks up an environment variable; injectable for tests.
using Environment = std::function<std::optional<std::string>(const std::string &name)>;
Environment process_environment();

// Secrets that the host offers every connector from the environment, as
// Fluvio's Postgres connectors do, without a `secrets:` entry.
extern const std::vector<std::string> kWellKnownEnvironmentSecrets;

struct ConnectorConfig {
  std::string version;
  std::string name;
  std::string type;
  std::string topic;
  std::string parameters_json = "{}";  // secrets already substituted
  // Where each key directly under parameters: is written, as
  // "FILE:LINE:COL", so that a check of its value can say where to look;
  // a key of a map under it as "map.key".
  std::map<std::string, std::string> parameter_places;
  std::map<std::string, std::string> secrets;
  std::vector<std::string> warnings;  // unknown keys and the like, to log
  // topics: (topics_config.hpp), secrets substituted; none when absent.
  std::optional<TopicsConfig> topics;

  // The JSON object handed to the plugin's open().
  std::string plugin_json() const;
};

// Reads and checks a connect.yml. Throws ConfigError ("PATH: cannot be
// read: WHY" with the system's reason when it cannot be read).
ConnectorConfig load_config(const std::string &path, const Environment &env);

// Parses connect.yml text; path is used in messages only. Throws ConfigError.
ConnectorConfig parse_config(const std::string &yaml_text, const std::string &path,
                             const Environment &env);

// A configuration with no file: only the environment's well-known secrets.
ConnectorConfig config_without_file(const Environment &env);

}  // namespace cn::host

#endif
