// The postgres-source's parameters (connect.yml `parameters:`).
#ifndef CN_PGSOURCE_SOURCE_CONFIG_HPP
#define CN_PGSOURCE_SOURCE_CONFIG_HPP

#include <cn/plugin.h>
#include <database_settings.hpp>
#include <sql_names.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace cn::pgsource {

struct SourceConfig {
  std::string connector;    // the connector's name
  plugins::DatabaseSettings database;  // where the source is; secrets inside
  std::string publication;  // default: the connector's name, as an identifier
  std::string slot;         // default: the connector's name, as an identifier
  bool skip_setup = false;  // create neither the slot nor the publication
  bool initial_load = true;  // emit the published tables' rows first
  std::vector<plugins::QualifiedName> tables;  // the publication is made FOR these (parameters.schema applied)
  std::vector<std::string> schemas;  // whole schemas (FOR TABLES IN SCHEMA)
};

// The parameters the source accepts (its descriptor's cn_param_list):
// exactly those parse_source_config reads, declared beside it.
extern const cn_param_list kSourceParameters;

// Reads the host's configuration JSON (the source as
// plugins::read_database_settings reads it). Throws cn::ConfigError naming
// the parameter at fault (a malformed URL included).
SourceConfig parse_source_config(std::string_view config_json);

}  // namespace cn::pgsource

#endif
