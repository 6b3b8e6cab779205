// The postgres-sink's parameters (connect.yml `parameters:`).
#ifndef CN_PGSINK_SINK_CONFIG_HPP
#define CN_PGSINK_SINK_CONFIG_HPP

#include "sql.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace cn::pgsink {

enum class OnError { stop, skip, dead_letter };

struct SinkConfig {
  std::string connector;  // the connector's name: its row in the offset table
  std::string url;        // libpq URL or key=value string; a secret
  bool create_tables = true;  // create and evolve target tables from relation events
  OnError on_error = OnError::stop;
  QualifiedName offset_table{"fluvio", "offset"};
  QualifiedName relations_table{"fluvio", "relations"};
  QualifiedName dead_letter_table{"fluvio", "dead_letter"};
  std::size_t max_rows_per_statement = 2000;
};

// Reads the host's configuration JSON. parameters.url, else the secret
// FLUVIO_PG_DATABASE_URL, gives the target. Throws std::runtime_error
// naming the parameter at fault.
SinkConfig parse_sink_config(std::string_view config_json);

}  // namespace cn::pgsink

#endif
