// The first findings of a postgres plugin's --check and --drop: whether its
// database can be reached, hop by hop, so that a user behind a bastion sees
// which hop fails: "ssh tunnel" (with a tunnel), then "connection".
#ifndef CN_PLUGINS_CONNECTION_CHECK_HPP
#define CN_PLUGINS_CONNECTION_CHECK_HPP

#include "database_settings.hpp"

#include <cn/plugin.hpp>
#include <pqxx/connection>

#include <memory>

namespace cn::plugins {

// A connection to the database settings name, through its tunnel, after an
// OK for each hop; nullptr after a FAIL naming the hop that failed (an
// unreachable database is a finding, not an error). The tunnel lives as
// long as the connection. what: "source" or "target".
std::shared_ptr<pqxx::connection> connect_for_check(const DatabaseSettings &settings, const char *what,
                                                    cn::Report &report);

}  // namespace cn::plugins

#endif
