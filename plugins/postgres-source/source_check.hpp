// connector-host --check and --drop for the source (cn_plugin.check and
// .teardown, see cn/plugin.h): what the start would find on the source
// server, told finding by finding, and removing what the connector keeps
// there. The SQL they share with the start lives in source_setup.*, so that
// --check says what the start would do.
#ifndef CN_PGSOURCE_SOURCE_CHECK_HPP
#define CN_PGSOURCE_SOURCE_CHECK_HPP

#include "source_config.hpp"

#include <cn/plugin.hpp>

namespace cn::pgsource {

// Over an ordinary connection, changing nothing: the server's version,
// wal_level, the role's right to replicate, the publication (and whether
// the role may create it), the slot and the WAL it retains, and the tables
// the connector would stream. A source that cannot be reached is one FAIL;
// any other failure of a query throws (the host reports it could not look).
void check_source(const SourceConfig &config, cn::Report &report);

// Drops the slot (refused, FAIL, while a connection uses it) and, when the
// connector would have made it (skip_setup false), the publication.
void teardown_source(const SourceConfig &config, cn::Report &report);

}  // namespace cn::pgsource

#endif
