#include "source_check.hpp"

#include "replication.hpp"
#include "source_setup.hpp"

#include <connection_check.hpp>
#include <postgres_errors.hpp>
#include <sql_names.hpp>

#include <cmath>
#include <memory>

namespace cn::pgsource {

namespace {

using plugins::display;
using plugins::quote_ident;

std::string slot_text(const std::string &slot, const SlotState &state) {
  std::string text = "slot '" + slot + "' exists (" +
                     (state.active ? "in use by PID " + std::to_string(state.active_pid) : std::string("not in use"));
  if (state.retained) text += ", retains " + megabytes(*state.retained) + " of WAL";
  return text + ")";
}

void check_slot(pqxx::connection &conn, const SourceConfig &config, cn::Report &report) {
  const std::string subject = "slot " + config.slot;
  const std::optional<SlotState> state = slot_state(conn, config.slot);
  if (!state) {
    if (config.skip_setup)
      report.fail(subject, "slot '" + config.slot + "' does not exist and skip_setup is true (fix: run SELECT"
                           " pg_create_logical_replication_slot('" + config.slot + "', 'pgoutput'); on the source,"
                           " or set skip_setup: false)");
    else
      report.info(subject, "slot '" + config.slot + "' will be created at the first start" +
                               (config.initial_load ? ", and the tables loaded from its snapshot" : ""));
    return;
  }
  if (state->database != conn.dbname())
    return report.fail(subject, slot_text(config.slot, *state) + " but is for database '" + state->database +
                                    "' (fix: give this connector its own parameters.slot)");
  if (state->active)
    return report.warn(subject, slot_text(config.slot, *state) +
                                    ": the start waits until that connection lets go (is this connector running?)");
  // As plan_start decides with the topic, which --check does not read.
  if (config.initial_load)
    report.warn(subject, slot_text(config.slot, *state) +
                             ": the connector streams from it if the topic holds its changes; with an empty topic"
                             " the start refuses, as initial_load needs a slot it makes itself (fix: drop the slot"
                             " with connector-host --drop, or set initial_load: false)");
  else
    report.info(subject, slot_text(config.slot, *state) + "; the connector streams from its confirmed position");
}

void check_publication(pqxx::connection &conn, const SourceConfig &config, bool exists, cn::Report &report) {
  const std::string subject = "publication " + config.publication;
  if (exists) {
    pqxx::nontransaction tx(conn);
    const bool all = tx.exec_params("SELECT puballtables FROM pg_publication WHERE pubname = $1",
                                    config.publication)[0][0].as<bool>();
    return report.ok(subject, "publication '" + config.publication + "' exists, " +
                                  (all ? std::string("FOR ALL TABLES") : "for the tables listed below") +
                                  "; it is used as it is");
  }
  if (config.skip_setup) return report.fail(subject, missing_publication_message(config));
  const std::string create = create_publication_sql(config);
  report.info(subject, "publication '" + config.publication + "' does not exist; the start runs " + create);
  if (const std::optional<PublicationDenial> denial = publication_denial(conn, config))
    report.fail(subject, "the role may not create it (" + publication_fix(conn, *denial, create) + ")");
  else
    report.ok(subject, "the role may create it");
}

std::string identity_text(const TableFacts &t) {
  switch (t.replica_identity) {
    case 'f': return "replica identity full";
    case 'n': return "replica identity nothing";
    case 'i': return "replica identity index";
    default: return "replica identity default";
  }
}

void check_tables(pqxx::connection &conn, const SourceConfig &config, bool exists, cn::Report &report) {
  const std::vector<TableFacts> tables = selected_tables(conn, config, exists);
  if (!exists)  // a named table that is missing fails the CREATE PUBLICATION
    for (const plugins::QualifiedName &name : config.tables) {
      bool found = false;
      for (const TableFacts &t : tables) found = found || t.name == name;
      if (!found) report.fail("table " + display(name), "does not exist (fix: create it, or correct parameters.tables)");
    }
  if (tables.empty())
    report.warn("tables", "no table is selected: the connector streams nothing until one is");
  for (const TableFacts &t : tables) {
    const std::string subject = "table " + display(t.name);
    const std::string rows = t.estimated_rows < 0 ? "rows not yet estimated"
                                                  : "about " + std::to_string(std::llround(t.estimated_rows)) + " rows";
    report.info(subject, identity_text(t) + ", " + (t.has_primary_key ? "a primary key" : "no primary key") + ", " +
                             rows);
    if (t.replica_identity == 'n' || (t.replica_identity == 'd' && !t.has_primary_key))
      report.warn(subject, "its updates and deletes cannot be replicated (PostgreSQL refuses them once the table is"
                           " published) (fix: ALTER TABLE " + plugins::quoted(t.name) +
                           " REPLICA IDENTITY FULL; or add a primary key)");
  }
}

}  // namespace

void check_source(const SourceConfig &config, cn::Report &report) {
  std::shared_ptr<pqxx::connection> connection = plugins::connect_for_check(config.database, "source", report);
  if (!connection) return;
  pqxx::connection &conn = *connection;
  report.info("server", "PostgreSQL " + std::string(pqxx::nontransaction(conn).exec("SHOW server_version")[0][0].c_str()));
  const std::string level = wal_level(conn);
  if (level == "logical")
    report.ok("wal_level", "logical");
  else
    report.fail("wal_level", wal_level_fix(level));
  const RoleRights rights = role_rights(conn);
  if (rights.superuser)
    report.ok("role " + rights.name, "a superuser: may replicate");
  else if (rights.replication)
    report.ok("role " + rights.name, "has REPLICATION");
  else
    report.fail("role " + rights.name, "may not replicate: it has neither REPLICATION nor superuser (" +
                                           replication_fix(rights.name) + ")");
  const bool exists = publication_exists(conn, config.publication);
  check_publication(conn, config, exists, report);
  check_slot(conn, config, report);
  check_tables(conn, config, exists, report);
}

void teardown_source(const SourceConfig &config, cn::Report &report) {
  std::shared_ptr<pqxx::connection> connection = plugins::connect_for_check(config.database, "source", report);
  if (!connection) return;
  pqxx::connection &conn = *connection;
  const std::string subject = "slot " + config.slot;
  if (const std::optional<SlotState> state = slot_state(conn, config.slot)) {
    if (state->active) {
      report.fail(subject, "in use by PID " + std::to_string(state->active_pid) +
                               ", stop the connector first; nothing was dropped");
      return;  // the publication stays with the slot that streams it
    }
    drop_slot(conn, config.slot);
    report.ok(subject, "dropped slot '" + config.slot + "'" +
                           (state->retained ? ", which retained " + megabytes(*state->retained) + " of WAL" : ""));
  } else {
    report.info(subject, "no slot '" + config.slot + "' to drop");
  }
  const std::string publication = "publication " + config.publication;
  if (config.skip_setup)
    return report.info(publication, "kept: skip_setup is true, so the connector did not make it");
  if (!publication_exists(conn, config.publication))
    return report.info(publication, "no publication '" + config.publication + "' to drop");
  pqxx::nontransaction(conn).exec("DROP PUBLICATION " + quote_ident(config.publication));
  report.ok(publication, "dropped publication '" + config.publication + "'");
}

}  // namespace cn::pgsource
