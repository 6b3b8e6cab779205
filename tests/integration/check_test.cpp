// connector-host --check and --drop with the real postgres-source and
// postgres-sink against throwaway PostgreSQL servers: what each reports,
// the exit codes, and what --drop removes and keeps. Also the warning a
// source gives at close about the slot it leaves.
#include "sink_fixture.hpp"
#include "source_fixture.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

using namespace cn::test;
using namespace std::chrono_literals;

namespace {

// A finding as the host prints it: "  LEVEL SUBJECT: DETAIL".
std::string finding(const ProcessResult &r, const std::string &level, const std::string &part) {
  return line_with(r.out, {"  " + level + " ", part});
}

ProcessResult check(const SourceFixture &f, const std::string &config, const std::vector<std::string> &extra = {}) {
  std::vector<std::string> args = {"--check"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_process(f.host_args(config, args), {}, {}, 60s);
}

std::string url_as(const SourceFixture &f, const std::string &role, const std::string &db) {
  return "postgresql://" + role + "@127.0.0.1:" + std::to_string(f.server().port()) + "/" + db;
}

}  // namespace

TEST_CASE("--check of a good source: exit 0, wal_level and REPLICATION OK, the tables listed, a keyless one warned") {
  SourceFixture f;
  const std::string role = f.unique("check_repl");
  f.src("create role " + role + " login replication; grant create on database " + f.source_db() + " to " + role +
        "; create table keyed (id int primary key, v text); create table keyless (v text);"
        " alter table keyed owner to " + role + "; alter table keyless owner to " + role +
        "; insert into keyed select g, 'x' from generate_series(1, 100) g; analyze keyed");
  const std::string config =
      f.source_config(f.unique("good"), {"tables: [public.keyed, public.keyless]"}, url_as(f, role, f.source_db()));
  ProcessResult r = check(f, config);
  INFO(r.out, r.err);
  CHECK(r.exited_with(0));
  CHECK(contains(finding(r, "OK", "wal_level"), "logical"));
  CHECK(contains(finding(r, "OK", "role " + role), "has REPLICATION"));
  CHECK(contains(finding(r, "INFO", "server"), "PostgreSQL 15"));
  CHECK(contains(finding(r, "INFO", "publication"), "does not exist; the start runs CREATE PUBLICATION"));
  CHECK(contains(finding(r, "OK", "publication"), "the role may create it"));
  CHECK(contains(finding(r, "INFO", "slot"), "will be created at the first start"));
  CHECK(contains(finding(r, "INFO", "table public.keyed"), "about 100 rows"));
  CHECK(contains(finding(r, "INFO", "table public.keyless"), "no primary key"));
  CHECK(contains(finding(r, "WARN", "table public.keyless"), "REPLICA IDENTITY FULL"));
  CHECK(finding(r, "WARN", "table public.keyed").empty());
  CHECK(f.src("select count(*) from pg_publication") == "0\n");  // changed nothing
  CHECK(f.src("select count(*) from pg_replication_slots where database = current_database()") == "0\n");

  SUBCASE("--format json: one object, its findings and can_run") {
    ProcessResult j = check(f, config, {"--format", "json"});
    INFO(j.out);
    CHECK(j.exited_with(0));
    rapidjson::Document doc;
    REQUIRE_FALSE(doc.Parse(j.out.c_str()).HasParseError());
    REQUIRE(doc.IsObject());
    CHECK(doc["can_run"].GetBool());
    bool wal_ok = false;
    for (const auto &finding : doc["findings"].GetArray())
      wal_ok = wal_ok || (std::string(finding["subject"].GetString()) == "wal_level" &&
                          std::string(finding["level"].GetString()) == "ok");
    CHECK(wal_ok);
  }
  f.src("drop table keyed, keyless; revoke all on database " + f.source_db() + " from " + role + "; drop role " + role);
}

TEST_CASE("--check of a source that cannot run: exit 1 and a FAIL naming the fix") {
  SUBCASE("wal_level = replica") {
    PostgresServer::Options options = source_server_options();
    options.settings["wal_level"] = "replica";
    PostgresServer server(options);
    SourceFixture f(server);
    ProcessResult r = check(f, f.source_config(f.unique("replica")));
    INFO(r.out, r.err);
    CHECK(r.exited_with(1));
    CHECK(contains(finding(r, "FAIL", "wal_level"), "ALTER SYSTEM SET wal_level = logical"));
  }
  SUBCASE("a role without REPLICATION") {
    SourceFixture f;
    const std::string role = f.unique("check_plain");
    f.src("create role " + role + " login");
    ProcessResult r = check(f, f.source_config(f.unique("no_repl"), {}, url_as(f, role, f.source_db())));
    INFO(r.out, r.err);
    CHECK(r.exited_with(1));
    CHECK(contains(finding(r, "FAIL", "role " + role), "ALTER ROLE \"" + role + "\" REPLICATION"));
    CHECK(contains(finding(r, "FAIL", "publication"), "superuser"));  // FOR ALL TABLES
    f.src("drop role " + role);
  }
  SUBCASE("a missing publication with skip_setup") {
    SourceFixture f;
    ProcessResult r = check(f, f.source_config(f.unique("skip"), {"skip_setup: true"}));
    INFO(r.out, r.err);
    CHECK(r.exited_with(1));
    CHECK(contains(finding(r, "FAIL", "publication"), "does not exist, and skip_setup is true"));
    CHECK(contains(finding(r, "FAIL", "slot"), "does not exist and skip_setup is true"));
  }
  SUBCASE("a source nobody listens at") {
    SourceFixture f;
    ProcessResult r = check(f, f.source_config(f.unique("nowhere"), {}, "postgresql://postgres@127.0.0.1:1/x"));
    INFO(r.out, r.err);
    CHECK(r.exited_with(1));
    CHECK(contains(finding(r, "FAIL", "connection"), "cannot reach the source at 127.0.0.1:1"));
  }
}

TEST_CASE("a source run with --once warns that its slot stays; --drop --yes removes the slot and the publication") {
  SourceFixture f;
  const std::string name = f.unique("dropped");
  f.src("create table t (id int primary key); insert into t values (1)");
  const std::string config = f.source_config(name);
  ProcessResult run = run_process(f.host_args(config, {"--once"}), {}, {}, 120s);
  INFO(run.err);
  REQUIRE(run.exited_with(0));
  const std::string warning = line_with(run.err, {"WARN", "replication slot '" + name + "' stays on the source"});
  CHECK(contains(warning, "MB of WAL until the connector runs again"));
  CHECK(contains(warning, "--drop"));
  CHECK(occurrences(run.err, "stays on the source") == 1);

  ProcessResult checked = check(f, config);
  INFO(checked.out);
  CHECK(contains(finding(checked, "OK", "publication " + name), "exists, FOR ALL TABLES"));
  CHECK(contains(finding(checked, "WARN", "slot " + name), "not in use, retains"));

  ProcessResult r = run_process(f.host_args(config, {"--drop", "--yes"}), {}, {}, 60s);
  INFO(r.out, r.err);
  CHECK(r.exited_with(0));
  CHECK(contains(finding(r, "OK", "slot " + name), "dropped slot '" + name + "', which retained"));
  CHECK(contains(finding(r, "OK", "publication " + name), "dropped publication"));
  CHECK(f.src("select count(*) from pg_replication_slots where slot_name = '" + name + "'") == "0\n");
  CHECK(f.src("select count(*) from pg_publication where pubname = '" + name + "'") == "0\n");

  ProcessResult again = run_process(f.host_args(config, {"--drop", "--yes"}), {}, {}, 60s);
  CHECK(again.exited_with(0));
  CHECK(contains(finding(again, "INFO", "slot " + name), "no slot"));
}

TEST_CASE("--check of a sink: a good one, then one whose role may create nothing") {
  SinkFixture f;
  SUBCASE("good: exit 0, nothing applied yet") {
    ProcessResult r = run_process(f.host_args(f.write_config(), {"--check"}), {}, {}, 60s);
    INFO(r.out, r.err);
    CHECK(r.exited_with(0));
    CHECK(!finding(r, "OK", "connection").empty());
    CHECK(contains(finding(r, "OK", "schema fluvio"), "may create it"));
    CHECK(contains(finding(r, "OK", "session_replication_role"), "superuser"));
    CHECK(contains(finding(r, "INFO", "offset"), "nothing applied yet"));
  }
  SUBCASE("a role without CREATE: exit 1, FAIL with the GRANT") {
    const std::string role = "check_nocreate_" + std::to_string(::getpid());
    f.sql("create role " + role + " login");
    const std::string url = "postgresql://" + role + "@127.0.0.1:" + std::to_string(f.server().port()) + "/" +
                            f.database();
    ProcessResult r = run_process(f.host_args(f.write_config({}, "sink", "events", url), {"--check"}), {}, {}, 60s);
    INFO(r.out, r.err);
    CHECK(r.exited_with(1));
    CHECK(contains(finding(r, "FAIL", "schema fluvio"), "GRANT CREATE ON DATABASE"));
    CHECK(contains(finding(r, "INFO", "session_replication_role"), "foreign-key order"));
    f.sql("drop role " + role);
  }
}

TEST_CASE("a sink that applied: --check tells its offset and tables; --drop --yes deletes its rows, keeps its tables") {
  SinkFixture f;
  f.write_topic(read_lines(sample_topics_dir() / "dogs.jsonl"));
  ProcessResult run = f.run_sink();
  INFO(run.err);
  REQUIRE(run.exited_with(0));

  ProcessResult checked = run_process(f.host_args(f.write_config(), {"--check"}), {}, {}, 60s);
  INFO(checked.out);
  CHECK(checked.exited_with(0));
  CHECK(contains(finding(checked, "INFO", "offset"), "applied through offset 36"));
  CHECK(contains(finding(checked, "INFO", "table public.dog"), "in the target"));

  f.sql("drop table dog");
  ProcessResult missing = run_process(f.host_args(f.write_config({"create_tables: false"}), {"--check"}), {}, {}, 60s);
  CHECK(contains(finding(missing, "WARN", "table public.dog"), "create_tables is false"));
  f.sql("create table dog (name text)");

  ProcessResult r = run_process(f.host_args(f.write_config(), {"--drop", "--yes"}), {}, {}, 60s);
  INFO(r.out, r.err);
  CHECK(r.exited_with(0));
  CHECK(contains(finding(r, "OK", "offset"), "deleted 1 offset row"));
  CHECK(contains(finding(r, "INFO", "target tables"), "never dropped"));
  CHECK(f.sql("select count(*) from fluvio.offset where connector = 'sink'") == "0\n");
  CHECK(f.sql("select count(*) from fluvio.relations where connector = 'sink'") == "0\n");
  CHECK(f.sql("select to_regclass('public.dog') is not null") == "t\n");
}
