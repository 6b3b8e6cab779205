// postgres-source and postgres-sink reaching their databases through an SSH
// bastion (a throwaway sshd started by the test), with the real
// connector-host: the round trip through the tunnel across a bastion
// killed -9 and restarted, each hop's failure told apart, the connection
// given as fields or as a URL, and no secret in any log.
#include "source_fixture.hpp"
#include "ports.hpp"
#include "ssh_server.hpp"

#include <doctest/doctest.h>

using namespace cn::test;
using namespace std::chrono_literals;
using Key = SshServer::KeyType;

namespace {

const std::string kPassword = "db-pass-9f3k2";  // a password no log may show

// connect.yml of a postgres plugin reaching database db on f's server as
// fields, through ssh with the key given as the secret SSH_KEY (from the
// environment), plus tunnel_lines under ssh_tunnel: and extra parameters.
std::string tunnel_config(const SourceFixture &f, const SshServer &ssh, const std::string &name,
                          const std::string &type, const std::string &db, const std::vector<std::string> &tunnel_lines,
                          const std::vector<std::string> &extra = {}) {
  const std::string path = f.dir() / (name + ".yml");
  std::ofstream out(path);
  out << "version: 0.1.0\nname: " << name << "\ntype: " << type << "\ntopic: events\nparameters:\n"
      << "  host: 127.0.0.1\n  port: " << f.server().port() << "\n  database: " << db
      << "\n  user: postgres\n  password: ${{ secrets.DB_PASSWORD }}\n"
      << "  ssh_tunnel:\n    host: " << ssh.host() << "\n    port: " << ssh.port() << "\n    user: " << ssh.user()
      << "\n    private_key: ${{ secrets.SSH_KEY }}\n";
  for (const std::string &line : tunnel_lines) out << "    " << line << "\n";
  for (const std::string &line : extra) out << "  " << line << "\n";
  out << "secrets:\n  SSH_KEY:\n  DB_PASSWORD:\n";
  return path;
}

Environment secrets_for(const SshServer &ssh, Key key) {
  return {{"SSH_KEY", ssh.private_key_base64(key)}, {"DB_PASSWORD", kPassword}};
}

// What no log may hold: the key as given, any line of the key file, the
// passphrase, the database password.
void check_no_secret_in(const std::string &log, const SshServer &ssh) {
  CHECK_FALSE(contains(log, kPassword));
  CHECK_FALSE(contains(log, ssh.passphrase()));
  for (Key key : {Key::ed25519, Key::rsa, Key::ed25519_with_passphrase}) {
    CHECK_FALSE(contains(log, ssh.private_key_base64(key)));
    for (const std::string &line : lines_of(ssh.private_key(key)))
      if (line.size() > 20 && !contains(line, "-----")) CHECK_FALSE(contains(log, line));
  }
}

// A sink run to the end of an empty topic through the tunnel: it connects
// (or fails to) and stops.
ProcessResult run_sink_once(const SourceFixture &f, const std::string &config, const Environment &env) {
  std::ofstream(f.topic_path(), std::ios::app);
  return run_process(f.host_args(config, {"--once", "--connect-timeout", "3"}), {}, env, 60s);
}

// The one ERROR line of a run.
std::string error_line(const ProcessResult &r) { return line_with(r.err, {"ERROR"}); }

}  // namespace

TEST_CASE("source and sink through a bastion: the target ends equal, nothing repeated, across the bastion killed -9") {
  SshServer ssh;
  SourceFixture f;
  pgbench_init(f);
  std::mt19937_64 random = seeded_random();
  // The source checks the bastion against known_hosts with an ed25519 key;
  // the sink pins its fingerprint and logs in with an RSA key.
  const std::string source_config = tunnel_config(f, ssh, f.unique("tunneled"), "postgres-source", f.source_db(),
                                                  {"known_hosts: " + ssh.known_hosts_file()});
  const std::string sink_config = tunnel_config(f, ssh, "sink", "postgres-sink", f.target_db(),
                                                {"host_key_sha256: " + ssh.host_key_sha256()});
  Child source(f.host_args(source_config), secrets_for(ssh, Key::ed25519));
  INFO(source.err());
  REQUIRE(source.wait_for(streaming()));
  Child bench(pgbench_stream(f));
  Child sink(f.host_args(sink_config), secrets_for(ssh, Key::rsa));
  INFO(sink.err());
  auto offset = [&] { return stored_offset(f.server(), f.target_db()); };

  int64_t before = -1;
  for (int kill = 1; kill <= 2; ++kill) {
    CAPTURE(kill);
    const int64_t threshold = before + random_between(random, 100, 2000);
    REQUIRE(wait_until({&sink, &source}, [&] { return offset() >= threshold; }));
    ssh.kill9();
    // The source, reading its replication stream, loses it at once. (The
    // sink may be idle, waiting for records: it finds its connection gone
    // at its next write, after the restart.)
    const std::size_t source_retries = occurrences(source.err(), "asked to retry");
    REQUIRE(wait_until({&sink, &source}, [&] { return occurrences(source.err(), "asked to retry") > source_retries; }));
    ssh.start();
    before = offset();
    // Both come back through the restarted bastion and go on.
    REQUIRE(wait_until({&sink, &source}, [&] { return offset() > before; }));
    REQUIRE(source.wait_for(streaming(kill + 1)));
  }

  const std::vector<std::string> lines = finish_stream(f, bench, source, {&sink});
  const TopicCheck c = check_topic(lines);
  check_topic_ok(c);
  CHECK(c.transactions > 0);
  const int64_t last = static_cast<int64_t>(lines.size()) - 1;
  REQUIRE(wait_until({&sink, &source}, [&] { return offset() >= last; }));
  CHECK(offset() == last);
  check_tables_equal(f, kPgbenchTables);
  MESSAGE(c.transactions << " streamed transactions, " << lines.size() << " events through the tunnel");

  const ProcessResult sink_stopped = stop(sink), source_stopped = stop(source);
  CHECK(sink_stopped.exited_with(0));
  CHECK(source_stopped.exited_with(0));
  CHECK(line_with(sink_stopped.err, {"ERROR"}).empty());
  // Each kill closed the sink's connection too, and it came back through the restarted bastion.
  CHECK(occurrences(sink_stopped.err, "asked to retry") >= 2);
  for (const std::string &log : {sink_stopped.err, source_stopped.err, ssh.log()}) check_no_secret_in(log, ssh);
}

TEST_CASE("each hop's failure at the first connection: exit 1 and a message naming the hop") {
  SshServer ssh;
  SourceFixture f;
  auto config = [&](const std::string &name, const std::vector<std::string> &tunnel_lines,
                    const std::vector<std::string> &extra = {}) {
    return tunnel_config(f, ssh, name, "postgres-sink", f.target_db(), tunnel_lines, extra);
  };
  const std::string known_hosts = "known_hosts: " + ssh.known_hosts_file();
  std::vector<ProcessResult> runs;

  SUBCASE("a key the bastion refuses") {
    const ProcessResult r = run_sink_once(f, config("refused", {known_hosts}), secrets_for(ssh, Key::unauthorized));
    INFO(r.err);
    CHECK(r.exited_with(1));
    CHECK(contains(error_line(r), "the SSH bastion " + ssh.host() + ":" + std::to_string(ssh.port()) +
                                      " refused the key (ssh_tunnel.private_key) for the user '" + ssh.user() + "'"));
    runs.push_back(r);
  }
  SUBCASE("a pinned fingerprint the bastion's key does not have: the offered one is printed") {
    const ProcessResult r = run_sink_once(
        f, config("pinned", {"host_key_sha256: SHA256:AAAAC3NzaC1lZDI1NTE5AAAAIObviouslyNotTheKey"}),
        secrets_for(ssh, Key::ed25519));
    INFO(r.err);
    CHECK(r.exited_with(1));
    CHECK(contains(error_line(r), "offered the ssh-ed25519 host key " + ssh.host_key_sha256() +
                                      ", not the one ssh_tunnel.host_key_sha256 pins"));
    runs.push_back(r);
  }
  SUBCASE("a bastion that known_hosts does not list, or lists with another key") {
    const std::string empty = f.dir() / "empty_known_hosts";
    std::ofstream{empty};
    ProcessResult r = run_sink_once(f, config("unknown", {"known_hosts: " + empty}), secrets_for(ssh, Key::ed25519));
    INFO(r.err);
    CHECK(r.exited_with(1));
    CHECK(contains(error_line(r), "offered the ssh-ed25519 host key " + ssh.host_key_sha256() + ", which " + empty +
                                      " does not list"));
    CHECK(contains(error_line(r), "pin it with ssh_tunnel.host_key_sha256: " + ssh.host_key_sha256()));
    runs.push_back(r);
    r = run_sink_once(f, config("changed", {"known_hosts: " + ssh.other_known_hosts_file()}),
                      secrets_for(ssh, Key::ed25519));
    CHECK(r.exited_with(1));
    CHECK(contains(error_line(r), "lists another key for it"));
    runs.push_back(r);
  }
  SUBCASE("an unreachable bastion: retried until --connect-timeout, then exit 1") {
    const std::string path = config("no_bastion", {known_hosts});
    // Nothing listens where the bastion should be.
    ssh.kill9();
    const ProcessResult r = run_sink_once(f, path, secrets_for(ssh, Key::ed25519));
    INFO(r.err);
    CHECK(r.exited_with(1));
    CHECK(contains(r.err, "cannot open the SSH tunnel to the target at 127.0.0.1:" + std::to_string(f.server().port()) +
                              ": cannot reach the SSH bastion " + ssh.host() + ":" + std::to_string(ssh.port())));
    runs.push_back(r);
  }
  SUBCASE("a database the bastion cannot reach: retried until --connect-timeout, then exit 1") {
    const int closed_port = free_loopback_port();
    const std::string path = tunnel_config(f, ssh, "no_database", "postgres-sink", f.target_db(), {known_hosts});
    std::string text = read_file(path);
    text.replace(text.find("port: " + std::to_string(f.server().port())), 6 + std::to_string(f.server().port()).size(),
                 "port: " + std::to_string(closed_port));
    std::ofstream(path) << text;
    const ProcessResult r = run_sink_once(f, path, secrets_for(ssh, Key::ed25519));
    INFO(r.err);
    CHECK(r.exited_with(1));
    CHECK(contains(r.err, "cannot reach the database 127.0.0.1:" + std::to_string(closed_port) +
                              " behind the SSH bastion " + ssh.host() + ":" + std::to_string(ssh.port())));
    runs.push_back(r);
  }
  SUBCASE("no host key check, asked for explicitly: it connects, with a warning") {
    const ProcessResult r = run_sink_once(f, config("insecure", {"insecure_skip_host_key_check: true"}),
                                          secrets_for(ssh, Key::ed25519));
    INFO(r.err);
    CHECK(r.exited_with(0));
    CHECK(contains(line_with(r.err, {"WARN", "insecure_skip_host_key_check"}), ssh.host_key_sha256()));
    runs.push_back(r);
  }
  SUBCASE("a key with a passphrase, given as a secret too") {
    const std::string path = config("passphrase", {known_hosts, "passphrase: ${{ secrets.SSH_PASSPHRASE }}"});
    std::ofstream(path, std::ios::app) << "  SSH_PASSPHRASE:\n";
    Environment env = secrets_for(ssh, Key::ed25519_with_passphrase);
    env["SSH_PASSPHRASE"] = ssh.passphrase();
    const ProcessResult r = run_sink_once(f, path, env);
    INFO(r.err);
    CHECK(r.exited_with(0));
    runs.push_back(r);
  }
  for (const ProcessResult &r : runs) check_no_secret_in(r.out + r.err, ssh);
  check_no_secret_in(ssh.log(), ssh);
}

TEST_CASE("--check reports the tunnel hop apart from the database hop") {
  SshServer ssh;
  SourceFixture f;
  const std::string good = tunnel_config(f, ssh, "good", "postgres-sink", f.target_db(),
                                         {"host_key_sha256: " + ssh.host_key_sha256()});
  ProcessResult r = run_process(f.host_args(good, {"--check"}), {}, secrets_for(ssh, Key::ed25519), 60s);
  INFO(r.out, r.err);
  CHECK(r.exited_with(0));
  CHECK(contains(line_with(r.out, {"OK", "ssh tunnel"}), "logged in to the SSH bastion " + ssh.host() + ":" +
                                                           std::to_string(ssh.port()) + " as '" + ssh.user() + "'"));
  CHECK(contains(line_with(r.out, {"OK", "connection"}), "through the SSH bastion"));

  r = run_process(f.host_args(good, {"--check"}), {}, secrets_for(ssh, Key::unauthorized), 60s);
  CHECK(r.exited_with(1));
  CHECK(contains(line_with(r.out, {"FAIL", "ssh tunnel"}), "refused the key"));
  CHECK(line_with(r.out, {"connection"}).empty());
  check_no_secret_in(r.out + r.err, ssh);
}

TEST_CASE("the same database as fields or as a URL; both given is exit 2") {
  SourceFixture f;
  const std::string port = std::to_string(f.server().port());
  const std::string as_url = f.sink_config({}, "as_url");
  const std::string path = f.dir() / "as_fields.yml";
  std::ofstream(path) << "version: 0.1.0\nname: as_fields\ntype: postgres-sink\ntopic: events\nparameters:\n"
                      << "  host: 127.0.0.1\n  port: " << port << "\n  database: " << f.target_db()
                      << "\n  user: postgres\n  password: " << kPassword << "\n";
  for (const std::string &config : {as_url, path}) {
    const ProcessResult r = run_process(f.host_args(config, {"--check"}), {}, {}, 60s);
    INFO(r.out, r.err);
    CHECK(r.exited_with(0));
    CHECK(contains(line_with(r.out, {"OK", "connection"}),
                   "connected to 127.0.0.1:" + port + ", database '" + f.target_db() + "', as 'postgres'"));
    CHECK_FALSE(contains(r.out + r.err, kPassword));
  }
  std::ofstream(path, std::ios::app) << "  url: " << f.target_url() << "\n";
  std::ofstream(f.topic_path(), std::ios::app);  // an empty topic: the plugin's open() is what fails
  const ProcessResult both = run_process(f.host_args(path, {"--once"}), {}, {}, 60s);
  INFO(both.err);
  CHECK(both.exited_with(2));
  CHECK(contains(both.err, "parameters.url: give the target database as url or as host, port, database, user and"
                           " password, not both"));
  CHECK_FALSE(contains(both.out + both.err, kPassword));
}

TEST_CASE("TLS through the tunnel: verify-full checks the database's name, not the tunnel's loopback address") {
  SshServer ssh;
  PostgresServer tls_server(PostgresServer::Options{{}, true});
  SourceFixture f(tls_server);
  // host: localhost, as the bastion resolves it and as the certificate
  // names it; libpq itself connects to the tunnel's port on 127.0.0.1.
  const std::string path = tunnel_config(f, ssh, "verified", "postgres-sink", f.target_db(), {"known_hosts: " + ssh.known_hosts_file()},
                                         {"sslmode: verify-full", "sslrootcert: " + tls_server.ca_certificate()});
  std::string text = read_file(path);
  text.replace(text.find("host: 127.0.0.1"), 15, "host: localhost");
  std::ofstream(path) << text;
  const ProcessResult r = run_process(f.host_args(path, {"--check"}), {}, secrets_for(ssh, Key::ed25519), 60s);
  INFO(r.out, r.err);
  CHECK(r.exited_with(0));
  CHECK(contains(line_with(r.out, {"OK", "connection"}), "connected to localhost:" + std::to_string(tls_server.port()) +
                                                           " through the SSH bastion"));
}
