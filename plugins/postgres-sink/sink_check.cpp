#include "sink_check.hpp"

#include "bookkeeping.hpp"

#include <connection_check.hpp>
#include <postgres_errors.hpp>

#include <memory>
#include <set>

namespace cn::pgsink {

namespace {

// CREATE on each schema the sink writes (its bookkeeping's, and those of
// the tables it knows), or on the database for a schema still to be made.
void check_rights(pqxx::transaction_base &tx, const std::set<std::string> &schemas,
                  cn::Report &report) {
  const std::string role = tx.conn().username();
  for (const std::string &schema : schemas) {
    const pqxx::row r = tx.exec_params(
        "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1),"
        "       has_database_privilege(current_database(), 'CREATE'),"
        "       CASE WHEN EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)"
        "            THEN has_schema_privilege($1, 'CREATE') END",
        schema)[0];
    const std::string subject = "schema " + schema;
    if (!r[0].as<bool>()) {
      if (r[1].as<bool>())
        report.ok(subject, "does not exist; the role may create it (CREATE on the database)");
      else
        report.fail(subject, "does not exist, and the role may not create it (fix: GRANT CREATE ON DATABASE " +
                                 quote_ident(tx.conn().dbname()) + " TO " + quote_ident(role) +
                                 ", or create the schema beforehand and GRANT CREATE ON SCHEMA to the role)");
    } else if (r[2].as<bool>()) {
      report.ok(subject, "the role may create tables in it");
    } else {
      report.fail(subject, "the role may not create tables in it (fix: GRANT CREATE ON SCHEMA " + quote_ident(schema) +
                               " TO " + quote_ident(role) + ")");
    }
  }
}

}  // namespace

void check_sink(const SinkConfig &config, cn::Report &report) {
  std::shared_ptr<pqxx::connection> connection = plugins::connect_for_check(config.database, "target", report);
  if (!connection) return;
  pqxx::read_transaction tx(*connection);
  const Bookkeeping bookkeeping(config);
  const std::optional<StoredBookkeeping> stored = bookkeeping.load_if_present(tx);

  std::set<std::string> schemas = {config.offset_table.schema, config.relations_table.schema,
                                   config.dead_letter_table.schema};
  if (stored && config.create_tables)
    for (const auto &[id, relation] : stored->relations) schemas.insert(relation.namespace_);
  check_rights(tx, schemas, report);

  if (tx.exec("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0][0].as<bool>())
    report.ok("session_replication_role", "a superuser: applied as replica, as PostgreSQL's apply worker does (the target's triggers and"
                                        " foreign-key checks do not fire)");
  else
    report.info("session_replication_role", "the role may not set it (not a superuser): triggers and foreign keys"
                                            " fire, so tables are written in foreign-key order");

  const std::string offset = "offset";
  if (!stored || stored->offset < 0)
    report.info(offset, "connector '" + config.connector + "': nothing applied yet");
  else
    report.info(offset, "connector '" + config.connector + "': applied through offset " +
                            std::to_string(stored->offset));
  if (!stored) return;
  for (const auto &[id, relation] : stored->relations) {
    const QualifiedName name{relation.namespace_, relation.name};
    const std::string subject = "table " + display(name);
    if (tx.exec_params("SELECT to_regclass($1)", quoted(name))[0][0].is_null()) {
      if (config.create_tables)
        report.info(subject, "known from a relation event, missing in the target: made again at the next change");
      else
        report.warn(subject, "known from a relation event, missing in the target, and create_tables is false: its"
                             " changes will fail (fix: create it, or set create_tables: true)");
    } else {
      report.info(subject, "known from a relation event, in the target");
    }
  }
}

void teardown_sink(const SinkConfig &config, cn::Report &report) {
  std::shared_ptr<pqxx::connection> connection = plugins::connect_for_check(config.database, "target", report);
  if (!connection) return;
  pqxx::work tx(*connection);
  const Bookkeeping bookkeeping(config);
  if (!bookkeeping.try_lock(tx))
    return report.fail("connector " + config.connector,
                       "an instance is applying (its advisory lock is taken), stop the connector first;"
                       " nothing was deleted");
  const Bookkeeping::Forgotten f = bookkeeping.forget(tx);
  tx.commit();
  report.ok("offset", "deleted " + std::to_string(f.offsets) + " offset row and " + std::to_string(f.relations) +
                          " relation rows of connector '" + config.connector + "' (" + display(config.offset_table) +
                          ", " + display(config.relations_table) + ")");
  if (f.dead_letters > 0)
    report.info("dead letters", "kept " + std::to_string(f.dead_letters) + " rows in " +
                                    display(config.dead_letter_table) + " (delete them with DELETE FROM " +
                                    quoted(config.dead_letter_table) + " WHERE connector = " +
                                    plugins::quote_literal(config.connector) + ")");
  else
    report.info("dead letters", "none for connector '" + config.connector + "'");
  report.info("target tables", "never dropped: the data the connector applied stays");
}

}  // namespace cn::pgsink
