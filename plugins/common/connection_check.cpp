#include "connection_check.hpp"

#include "database_endpoint.hpp"
#include "postgres_errors.hpp"

namespace cn::plugins {

std::shared_ptr<pqxx::connection> connect_for_check(const DatabaseSettings &settings, const char *what,
                                                    cn::Report &report) {
  auto endpoint = std::make_shared<DatabaseEndpoint>(settings, what, [&report](bool warning, const std::string &text) {
    if (warning) report.warn("ssh tunnel", text);
  });
  if (endpoint->has_tunnel()) {
    try {
      endpoint->conninfo();
    } catch (const ConnectError &e) {
      report.fail("ssh tunnel", e.what());
      return nullptr;
    }
    report.ok("ssh tunnel", endpoint->tunnel_description());
  }
  try {
    std::unique_ptr<pqxx::connection> conn = endpoint->connect();
    report.ok("connection", "connected to " + endpoint->address() + ", database '" + conn->dbname() + "', as '" +
                                conn->username() + "'");
    // The endpoint (and its tunnel) goes with the connection.
    pqxx::connection *raw = conn.release();
    return std::shared_ptr<pqxx::connection>(raw, [endpoint](pqxx::connection *c) { delete c; });
  } catch (const ConnectError &e) {
    report.fail("connection", e.what());
    return nullptr;
  }
}

}  // namespace cn::plugins
