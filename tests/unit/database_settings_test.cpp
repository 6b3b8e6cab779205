// Where a postgres plugin's database is (plugins/common/database_settings):
// a URL or the same as fields, TLS settings with either, an SSH tunnel's
// parameters; each mistake a cn::ConfigError naming the parameter.
#include "base64.hpp"

#include <database_settings.hpp>
#include <postgres_connection.hpp>

#include <doctest/doctest.h>
#include <libssh/libssh.h>

#include <string>

using namespace cn::plugins;
using cn::test::base64;

namespace {

constexpr cn_param kOwn[] = {{"other", CN_PARAM_STRING, "a plugin's own parameter", nullptr, 0, 0, 0, nullptr}};
constexpr auto kAll = with_database_parameters(kOwn);
const cn_param_list kDeclared = parameter_list(kAll);

DatabaseSettings settings_of(const std::string &parameters, const std::string &secrets = "{}") {
  return read_database_settings(
      PluginConfig("{\"name\":\"c\",\"parameters\":{" + parameters + "},\"secrets\":" + secrets + "}", kDeclared),
      "target");
}

std::string config_error(const std::string &parameters, const std::string &secrets = "{}") {
  try {
    settings_of(parameters, secrets);
  } catch (const cn::ConfigError &e) {
    return e.what();
  }
  return "";
}


// A new ed25519 key file's text, encrypted with passphrase unless it is "".
std::string new_key_file(const std::string &passphrase = "") {
  ssh_key key = nullptr;
  REQUIRE(ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) == SSH_OK);
  char *text = nullptr;
  REQUIRE(ssh_pki_export_privkey_base64(key, passphrase.empty() ? nullptr : passphrase.c_str(), nullptr, nullptr,
                                        &text) == SSH_OK);
  std::string file = text;
  ssh_string_free_char(text);
  ssh_key_free(key);
  return file;
}

std::string tunnel(const std::string &fields) { return R"("ssh_tunnel":{)" + fields + "}"; }

}  // namespace

TEST_CASE("the same database as a URL or as fields gives the same connection string") {
  const DatabaseSettings from_url = settings_of(R"("url":"postgresql://app:s3cret@db.example:5433/shop")");
  const DatabaseSettings from_fields = settings_of(
      R"("host":"db.example","port":5433,"database":"shop","user":"app","password":"s3cret")");
  CHECK(from_url.conninfo == from_fields.conninfo);
  CHECK(from_url.given_as == "parameters.url");
  CHECK(from_fields.given_as == "parameters host, port, database, user and password");
  CHECK(conninfo_options(from_fields.conninfo) ==
        ConninfoOptions{{"dbname", "shop"}, {"host", "db.example"}, {"password", "s3cret"}, {"port", "5433"}, {"user", "app"}});
  CHECK(settings_of(R"("host":"db")").conninfo == "host='db'");  // libpq's defaults for the rest
  CHECK(settings_of("", R"({"FLUVIO_PG_DATABASE_URL":"host=h"})").given_as == "the secret FLUVIO_PG_DATABASE_URL");
}

TEST_CASE("url and fields together, fields without host, or no database at all: a config error naming them") {
  CHECK(config_error(R"("url":"host=a","host":"b")") ==
        "parameters.url: give the target database as url or as host, port, database, user and password, not both"
        " (parameters.host is given too)");
  CHECK(config_error(R"("url":"host=a","password":"p")").find("(parameters.password is given too)") != std::string::npos);
  CHECK(config_error(R"("port":5433,"user":"u")") == "parameters.host: missing: parameters.port is given without it");
  CHECK(config_error("") == "parameters.url: no target database: set parameters.url, parameters.host (with port,"
                            " database, user and password) or the secret FLUVIO_PG_DATABASE_URL");
}

TEST_CASE("a URL libpq cannot read is a config error saying where it came from, without the URL") {
  const std::string from_parameter = config_error(R"("url":"postgresql://u:secret@[127.0.0.1/db")");
  CHECK(from_parameter.rfind("parameters.url: not a PostgreSQL URL or key=value string libpq can read: ", 0) == 0);
  CHECK(from_parameter.find("secret") == std::string::npos);
  const std::string from_secret = config_error("", R"({"FLUVIO_PG_DATABASE_URL":"host=h bogus=1"})");
  CHECK(from_secret.rfind("the secret FLUVIO_PG_DATABASE_URL: not a PostgreSQL URL", 0) == 0);
  CHECK(from_secret.find("bogus") != std::string::npos);
}

TEST_CASE("TLS settings join either form; set twice is a config error") {
  const ConninfoOptions fields = conninfo_options(
      settings_of(R"("host":"db","sslmode":"verify-full","sslrootcert":"/etc/ca.crt")").conninfo);
  CHECK(fields.at("sslmode") == "verify-full");
  CHECK(fields.at("sslrootcert") == "/etc/ca.crt");
  CHECK(conninfo_options(settings_of(R"("url":"postgresql://db/x","sslmode":"require")").conninfo).at("sslmode") ==
        "require");
  CHECK(config_error(R"("url":"postgresql://db/x?sslmode=disable","sslmode":"require")") ==
        "parameters.sslmode: given twice: parameters.url sets sslmode too");
}

TEST_CASE("an SSH tunnel: the bastion, the user, the key (base64 of the key file, or its text)") {
  const std::string key = new_key_file();
  const DatabaseSettings s = settings_of(R"("url":"postgresql://u@db.internal:6432/x",)" +
                                         tunnel(R"("host":"bastion","user":"jump","private_key":")" + base64(key) + "\""));
  REQUIRE(s.tunnel);
  CHECK(s.tunnel->host == "bastion");
  CHECK(s.tunnel->port == 22);
  CHECK(s.tunnel->user == "jump");
  CHECK(s.tunnel->private_key == key);
  CHECK(s.tunnel_to_host == "db.internal");
  CHECK(s.tunnel_to_port == 6432);
  CHECK_FALSE(settings_of(R"("url":"host=db")").tunnel);
  CHECK(private_key_text(key) == key);
  CHECK(private_key_text(base64(key)) == key);
  CHECK_FALSE(private_key_text("not a key"));
  CHECK_FALSE(private_key_text(base64("text that is not a key file")));
}

TEST_CASE("an SSH tunnel's mistakes are config errors naming the parameter, and never quoting the key") {
  const std::string key = base64(new_key_file());
  const std::string url = R"("url":"host=db",)";
  CHECK(config_error(url + tunnel(R"("user":"jump")")) ==
        "parameters.ssh_tunnel.host: the bastion to tunnel through is missing");
  CHECK(config_error(url + tunnel(R"("host":"b","private_key":")" + key + "\"")) ==
        "parameters.ssh_tunnel.user: the user to log in to the bastion as is missing");
  CHECK(config_error(url + tunnel(R"("host":"b","user":"u")")) ==
        "parameters.ssh_tunnel.private_key: the user's private key is missing (base64 of the key file)");
  const std::string garbage = config_error(url + tunnel(R"("host":"b","user":"u","private_key":"c2VjcmV0")"));
  CHECK(garbage == "parameters.ssh_tunnel.private_key: neither base64 nor a key file's text");
  const std::string locked = base64(new_key_file("pass phrase"));
  CHECK(config_error(url + tunnel(R"("host":"b","user":"u","private_key":")" + locked + "\"")) ==
        "parameters.ssh_tunnel.private_key: not a private key libssh can read (an OpenSSH or PEM key file), or its"
        " passphrase is missing (ssh_tunnel.passphrase)");
  CHECK(config_error(url + tunnel(R"("host":"b","user":"u","passphrase":"wrong","private_key":")" + locked + "\"")) ==
        "parameters.ssh_tunnel.private_key: not a private key libssh can read (an OpenSSH or PEM key file), or its"
        " passphrase is wrong");
  CHECK(config_error(url + tunnel(R"("host":"b","user":"u","passphrase":"pass phrase","private_key":")" + locked +
                                  "\"")) == "");
  const std::string pin = "SHA256:DYRfPqKQJ2ZGi5AYCMapdoOW7+6NTUcMhQg181Gg4LM";
  CHECK(config_error(url + tunnel(R"("host":"b","user":"u","host_key_sha256":"SHA256:x","private_key":")" + key + "\"")) ==
        "parameters.ssh_tunnel.host_key_sha256: 'SHA256:x' is not a SHA256 fingerprint as ssh-keygen -l prints it"
        " (SHA256: and 43 characters of base64)");
  CHECK(config_error(url + tunnel(R"("host":"b","user":"u","host_key_sha256":")" + pin + R"(","private_key":")" + key + "\"")) == "");
  CHECK(config_error(url + tunnel(R"("port":2222)")) ==
        "parameters.ssh_tunnel.host: the bastion to tunnel through is missing");
  CHECK(config_error(R"("url":"host=db port=99999",)" + tunnel(R"("host":"b","user":"u","private_key":")" + key + "\"")) ==
        "parameters.ssh_tunnel: the port 99999 that parameters.url names is not 1..65535");
  const std::string both_checks = R"("host":"b","user":"u","known_hosts":"/k","host_key_sha256":")" + pin + R"(","private_key":")";
  CHECK(config_error(url + tunnel(both_checks + key + "\"")) ==
        "parameters.ssh_tunnel.host_key_sha256: give it or ssh_tunnel.known_hosts, not both");
  const std::string insecure = R"("host":"b","user":"u","insecure_skip_host_key_check":true,"known_hosts":"/k","private_key":")";
  CHECK(config_error(url + tunnel(insecure + key + "\"")) ==
        "parameters.ssh_tunnel.insecure_skip_host_key_check: true, yet ssh_tunnel.known_hosts says how to check the key");
  const std::string good = tunnel(R"("host":"b","user":"u","private_key":")" + key + "\"");
  CHECK(config_error(R"("url":"host=/var/run/postgresql",)" + good) ==
        "parameters.ssh_tunnel: the tunnel forwards to a host and port; parameters.url names a Unix socket"
        " (/var/run/postgresql)");
  CHECK(config_error(R"("url":"host=a,b",)" + good) ==
        "parameters.ssh_tunnel: the tunnel forwards to one server; parameters.url names several");
}
