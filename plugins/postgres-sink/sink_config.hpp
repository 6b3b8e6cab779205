// The postgres-sink's parameters (connect.yml `parameters:`).
#ifndef CN_PGSINK_SINK_CONFIG_HPP
#define CN_PGSINK_SINK_CONFIG_HPP

#include "sql.hpp"

#include <database_settings.hpp>

#include <cn/plugin.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace cn::pgsink {

enum class OnError { stop, skip, dead_letter };

struct SinkConfig {
  std::string connector;  // the connector's name: its row in the offset table
  plugins::DatabaseSettings database;  // where the target is; secrets inside
  bool create_tables = true;  // create and evolve target tables from relation events
  OnError on_error = OnError::stop;
  QualifiedName offset_table{"fluvio", "offset"};
  QualifiedName relations_table{"fluvio", "relations"};
  QualifiedName dead_letter_table{"fluvio", "dead_letter"};
  std::size_t max_rows_per_statement = 2000;
};

// The parameters the sink accepts (its descriptor's cn_param_list): exactly
// those parse_sink_config reads, declared beside it.
extern const cn_param_list kSinkParameters;

// Reads the host's configuration JSON (the target as
// plugins::read_database_settings reads it). Throws cn::ConfigError naming
// the parameter at fault (a malformed URL included).
SinkConfig parse_sink_config(std::string_view config_json);

}  // namespace cn::pgsink

#endif
