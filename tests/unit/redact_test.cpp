// Secret values never reach the log.
#include "config.hpp"
#include "parameter_secrets.hpp"
#include "redactor.hpp"

#include <doctest/doctest.h>

using namespace cn::host;

TEST_CASE("every occurrence of a secret is masked") {
  Redactor r;
  r.add("hunter2");
  CHECK(r.redact("password hunter2 and again hunter2.") == "password *** and again ***.");
  CHECK(r.redact("nothing here") == "nothing here");
}

TEST_CASE("a URL secret is masked whole, and its password alone too") {
  Redactor r;
  r.add("postgres://app:Pa55word@db.internal:5432/orders");
  CHECK(r.redact("connecting to postgres://app:Pa55word@db.internal:5432/orders failed") ==
        "connecting to *** failed");
  CHECK(r.redact("host=db.internal password=Pa55word") == "host=db.internal password=***");
}

TEST_CASE("a secret that contains another is masked whole") {
  Redactor r;
  r.add("abc");
  r.add("xxabcxx");
  CHECK(r.redact("[xxabcxx] [abc]") == "[***] [***]");
}

TEST_CASE("tiny values are not treated as secrets") {
  Redactor r;
  r.add("");
  r.add("a");
  CHECK(r.redact("a banana") == "a banana");
}

TEST_CASE("the password of a URL is masked wherever the URL is, not the rest of it") {
  Redactor r;
  r.add_passwords_in("postgresql://app:Sup3rSecretPw@127.0.0.1:5999/db");
  CHECK(r.redact("connection to postgresql://app:Sup3rSecretPw@127.0.0.1:5999/db failed") ==
        "connection to postgresql://app:***@127.0.0.1:5999/db failed");
  CHECK(r.redact("password Sup3rSecretPw") == "password ***");
}

TEST_CASE("several URLs in one value, and a percent-encoded password in both forms") {
  Redactor r;
  r.add_passwords_in("primary=postgres://a:First-pw@h1/db standby=postgres://b:p%40ss%2Fword@h2/db");
  CHECK(r.redact("First-pw p%40ss%2Fword p@ss/word") == "*** *** ***");
}

TEST_CASE("what is not a URL's password is left alone") {
  Redactor r;
  r.add_passwords_in("postgresql://app@db.internal:5432/orders");     // no password
  r.add_passwords_in("postgresql://db.internal:5432/orders?x=a@b:c");  // an '@' after the host
  r.add_passwords_in("see https://example.com/a:b@c");
  CHECK(r.redact("app db.internal 5432 orders a@b:c b@c") == "app db.internal 5432 orders a@b:c b@c");
}

TEST_CASE("the password of a key=value connection string is masked, quoted or not") {
  Redactor r;
  r.add_passwords_in("host=db user=app password=kv-Secret-1 dbname=shop");
  r.add_passwords_in("host=db PASSWORD = 'quoted secret' port=5432");
  r.add_passwords_in("postgresql://db/shop?user=app&password=query-Secret&sslmode=require");
  CHECK(r.redact("auth failed for kv-Secret-1") == "auth failed for ***");
  CHECK(r.redact("auth failed for quoted secret") == "auth failed for ***");
  CHECK(r.redact("auth failed for query-Secret") == "auth failed for ***");
  CHECK(r.redact("host=db user=app dbname=shop sslmode=require") == "host=db user=app dbname=shop sslmode=require");
}

TEST_CASE("a secret value is masked whole, and a password inside it alone too") {
  Redactor r;
  r.add("host=db password=inner-Pw");
  CHECK(r.redact("[host=db password=inner-Pw] [inner-Pw]") == "[***] [***]");
}

TEST_CASE("which parameter values are masked: declared secrets, names with 'password', passwords in URLs") {
  auto none = [](const std::string &) { return std::optional<std::string>(); };
  ConnectorConfig config = parse_config(R"(
parameters:
  url: postgresql://app:Url-Pw1@db/shop
  api_key: key-123
  db_password: 987654
  tls: {client_Password: tls-pw, ca: ca.pem}
  note: plain text
  ssh_tunnel: {host: bastion, private_key: S3cretKeyB64}
)", "c.yml", none);
  std::vector<cn::ParameterSpec> specs = {{"api_key", cn::ParameterType::string, "", "", true, 0, 0, {}},
                                          {"ssh_tunnel.private_key", cn::ParameterType::string, "", "", true, 0, 0, {}}};

  SensitiveValues declared = sensitive_parameter_values(config, &specs);
  CHECK(declared.whole == std::vector<std::string>{"key-123", "987654", "tls-pw", "S3cretKeyB64"});
  CHECK(declared.with_passwords == std::vector<std::string>{"postgresql://app:Url-Pw1@db/shop", "key-123", "tls-pw",
                                                            "ca.pem", "plain text", "bastion", "S3cretKeyB64"});

  SensitiveValues undeclared = sensitive_parameter_values(config, nullptr);
  CHECK(undeclared.whole == std::vector<std::string>{"987654", "tls-pw"});
}
