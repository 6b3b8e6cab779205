// connector-host --check and --drop for the sink (cn_plugin.check and
// .teardown, see cn/plugin.h): what the sink would find in the target, and
// removing what it keeps there about the connector. The bookkeeping SQL is
// Bookkeeping's (bookkeeping.hpp); this file only reads and reports.
#ifndef CN_PGSINK_SINK_CHECK_HPP
#define CN_PGSINK_SINK_CHECK_HPP

#include "sink_config.hpp"

#include <cn/plugin.hpp>

namespace cn::pgsink {

// Changing nothing: the connection, the role's right to create the schemas
// and tables it writes, session_replication_role, the connector's stored
// offset, and the target tables it already knows (from relation events
// applied before). A target that cannot be reached is one FAIL; any other
// failed query throws (the host reports it could not look).
void check_sink(const SinkConfig &config, cn::Report &report);

// Deletes the connector's offset row and relation rows (refused, FAIL,
// while an instance is applying); keeps its dead-letter rows and every
// target table, and says so.
void teardown_sink(const SinkConfig &config, cn::Report &report);

}  // namespace cn::pgsink

#endif
