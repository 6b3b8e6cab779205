// What the plugins share (plugins/common): the one rule for PostgreSQL
// failures, quoting, schema.table names as users write them, reading the
// configuration a plugin declares, and database URLs as libpq reads them.
#include <byte_scan.hpp>
#include <plugin_config.hpp>
#include <postgres_connection.hpp>
#include <postgres_errors.hpp>
#include <sql_names.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>

using namespace cn::plugins;

TEST_CASE("transient failures by SQLSTATE: connection, rollback, resources, operator intervention, object in use") {
  for (const char *sqlstate : {"08006", "08P01", "40001", "40P01", "53100", "53200", "53300", "57P01", "57P03", "57014",
                               "55006"})
    CHECK_MESSAGE(is_transient_sqlstate(sqlstate), sqlstate);
  for (const char *sqlstate : {"", "23505", "22P02", "42P01", "42501", "42704", "55000", "58P01", "XX000"})
    CHECK_FALSE_MESSAGE(is_transient_sqlstate(sqlstate), sqlstate);
}

TEST_CASE("transient failures by libpqxx's exception types, which carry no SQLSTATE for some classes") {
  CHECK(is_transient(pqxx::broken_connection("server closed the connection unexpectedly")));
  CHECK(is_transient(pqxx::in_doubt_error("commit in doubt")));
  CHECK(is_transient(pqxx::serialization_failure("could not serialize access")));
  CHECK(is_transient(pqxx::deadlock_detected("deadlock detected")));
  CHECK(is_transient(pqxx::sql_error("out of memory", "SELECT 1", "53200")));
  CHECK_FALSE(is_transient(pqxx::unique_violation("duplicate key", "INSERT", "23505")));
  CHECK_FALSE(is_transient(pqxx::sql_error("permission denied", "SELECT 1", "42501")));
}

TEST_CASE("permission denied, by SQLSTATE or by libpqxx's type (which carries none)") {
  CHECK(is_insufficient_privilege(pqxx::sql_error("permission denied", "SET x = 1", "42501")));
  CHECK(is_insufficient_privilege(pqxx::insufficient_privilege("must be owner of table t")));
  CHECK_FALSE(is_insufficient_privilege(pqxx::sql_error("syntax error", "SELEC", "42601")));
}

TEST_CASE("a failed connection attempt is permanent when its message says retrying cannot help") {
  CHECK(connect_failure_is_permanent("FATAL:  password authentication failed for user \"app\""));
  CHECK(connect_failure_is_permanent("FATAL:  database \"shop\" does not exist"));
  CHECK(connect_failure_is_permanent("server does not support SSL, but SSL was required"));
  CHECK_FALSE(connect_failure_is_permanent("connection to server at \"127.0.0.1\", port 5432 failed: Connection refused"));
  CHECK_FALSE(connect_failure_is_permanent("SSL SYSCALL error: EOF detected"));
  CHECK_FALSE(connect_failure_is_permanent("FATAL:  the database system is starting up"));
}

TEST_CASE("messages lose PostgreSQL's trailing newline, and their further lines join the first") {
  CHECK(trimmed_message("ERROR:  boom\n") == "ERROR:  boom");
  CHECK(message_of(std::runtime_error("lost \n \n")) == "lost");
  CHECK(trimmed_message("connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n"
                        "\tIs the server running on that host and accepting TCP/IP connections?\n") ==
        "connection to server at \"127.0.0.1\", port 1 failed: Connection refused; Is the server running on that host"
        " and accepting TCP/IP connections?");
  CHECK(trimmed_message("ERROR:  must be owner of table t\nDETAIL:  why.\nHINT:  how.\n") ==
        "ERROR:  must be owner of table t; DETAIL:  why. HINT:  how.");
}

TEST_CASE("identifiers and literals are quoted whatever they hold") {
  CHECK(quote_ident("dog") == "\"dog\"");
  CHECK(quote_ident("we\"ird") == "\"we\"\"ird\"");
  CHECK(quote_ident("") == "\"\"");
  CHECK(quote_literal("O'Brien") == "'O''Brien'");
  CHECK(quoted(QualifiedName{"my schema", "T\"1"}) == "\"my schema\".\"T\"\"1\"");
  CHECK(display(QualifiedName{"public", "dog"}) == "public.dog");
}

TEST_CASE("schema.table: exactly one dot with a name on each side, used as written") {
  CHECK(parse_qualified_name("public.Dog") == QualifiedName{"public", "Dog"});
  for (const char *bad : {"dog", ".dog", "public.", "db.public.dog", "", "."})
    CHECK_FALSE_MESSAGE(parse_qualified_name(bad).has_value(), bad);
}

TEST_CASE("a database URL libpq cannot read is refused without connecting, and the reason leaves the URL out") {
  for (const char *bad : {"postgresql://u:secret@[127.0.0.1/db", "postgresql://h/db?no_such_option=1",
                          "host=h no_such_option=1", "host=h port", "postgresql://h:abc/db", "host=h port=5432,x"}) {
    CAPTURE(bad);
    const std::optional<std::string> problem = url_problem(bad);
    REQUIRE(problem.has_value());
    CHECK(!problem->empty());
    CHECK(problem->find("secret") == std::string::npos);
    CHECK(problem->find('\n') == std::string::npos);
  }
  CHECK(url_problem("postgresql://h/db?no_such_option=1")->find("no_such_option") != std::string::npos);
  CHECK(url_problem("host=h no_such_option=1")->find("no_such_option") != std::string::npos);
  for (const char *good : {"postgresql://postgres@127.0.0.1:5432/db", "postgres://u:p@host/db?sslmode=verify-full",
                           "postgresql:///db?host=/tmp", "postgresql://[::1]:5433/db", "postgresql://a:1,b:2/db",
                           "host=127.0.0.1 port=5432 dbname=db user=u", "dbname=db", ""})
    CHECK_MESSAGE(!url_problem(good).has_value(), good);
}

TEST_CASE("the server a URL names, for messages: host:port, with libpq's defaults") {
  ::unsetenv("PGHOST");
  ::unsetenv("PGPORT");
  CHECK(server_address("postgresql://postgres@127.0.0.1:5433/db") == "127.0.0.1:5433");
  CHECK(server_address("postgresql://db.example/shop") == "db.example:5432");
  CHECK(server_address("host=a,b port=1,2") == "a:1, b:2");
  CHECK(server_address("hostaddr=10.0.0.1 port=6000") == "10.0.0.1:6000");
  CHECK(server_address("dbname=x") == "localhost:5432");
}

TEST_CASE("a failed connection attempt: 'cannot reach' when trying again may help, else what to check") {
  const ConnectError refused = ConnectError::from_libpq(
      "target", "127.0.0.1:5999", "parameters.url",
      "connection to server at \"127.0.0.1\", port 5999 failed: Connection refused");
  CHECK_FALSE(refused.permanent());
  CHECK(std::string(refused.what()) ==
        "cannot reach the target at 127.0.0.1:5999: connection to server at \"127.0.0.1\", port 5999 failed: "
        "Connection refused");
  const ConnectError password = ConnectError::from_libpq("source", "db:5432", "parameters.url",
                                                         "FATAL:  password authentication failed for user \"app\"");
  CHECK(password.permanent());
  CHECK(std::string(password.what()) ==
        "cannot connect to the source at db:5432 (check parameters.url): FATAL:  password authentication failed for"
        " user \"app\"");
}

// ---- PluginConfig -------------------------------------------------------------

namespace {

const char *const kColours[] = {"red", "green", "blue", nullptr};
const cn_param kDeclared[] = {
    {"text", CN_PARAM_STRING, "a string", nullptr, 0, 0, 0, nullptr},
    {"flag", CN_PARAM_BOOL, "a flag", "false", 0, 0, 0, nullptr},
    {"count", CN_PARAM_INTEGER, "a count", "10", 0, 1, 100, nullptr},
    {"colour", CN_PARAM_ENUM, "a colour", "red", 0, 0, 0, kColours},
    {"names", CN_PARAM_LIST, "names", nullptr, 0, 0, 0, nullptr},
    {"url", CN_PARAM_STRING, "a database", nullptr, 1, 0, 0, nullptr},
};
const cn_param_list kDeclaredList = cn::parameter_list(kDeclared);

PluginConfig config_with(const std::string &parameters) {
  return PluginConfig("{\"name\":\"c\",\"parameters\":{" + parameters + "}}", kDeclaredList);
}

// The cn::ConfigError message of reading a parameter, or "" if none was thrown.
template <class Read>
std::string config_error(Read &&read) {
  try {
    read();
  } catch (const cn::ConfigError &e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("PluginConfig reads each parameter as declared, with its fallback when absent") {
  const PluginConfig given = config_with(
      R"("text":"t","flag":"true","count":100,"colour":"blue","names":" a, b ,,c","url":"host=h")");
  CHECK(given.string_parameter("text", "") == "t");
  CHECK(given.bool_parameter("flag", false));
  CHECK(given.integer_parameter("count", 10) == 100);
  CHECK(given.enum_parameter("colour", "red") == "blue");
  CHECK(given.list_parameter("names") == std::vector<std::string>{"a", "b", "c"});
  CHECK(config_with(R"("names":["x"," y "])").list_parameter("names") == std::vector<std::string>{"x", "y"});

  const PluginConfig empty = config_with("");
  CHECK(empty.string_parameter("text", "fallback") == "fallback");
  CHECK_FALSE(empty.bool_parameter("flag", false));
  CHECK(empty.integer_parameter("count", 10) == 10);
  CHECK(empty.enum_parameter("colour", "red") == "red");
  CHECK(empty.list_parameter("names").empty());
}

TEST_CASE("reading a parameter not declared, or as another type, is a programming error") {
  const PluginConfig config = config_with(R"("text":"t")");
  CHECK_THROWS_AS(config.string_parameter("undeclared", ""), std::logic_error);
  CHECK_THROWS_AS(config.bool_parameter("text", false), std::logic_error);
  CHECK_THROWS_AS(config.string_parameter("count", ""), std::logic_error);
  CHECK_THROWS_AS(config.list_parameter("colour"), std::logic_error);
}

TEST_CASE("a value the plugin cannot use is a cn::ConfigError naming the parameter and why") {
  CHECK(config_error([] { config_with(R"("text":5)").string_parameter("text", ""); }) ==
        "parameters.text: must be a string (quote it)");
  CHECK(config_error([] { config_with(R"("flag":"yes")").bool_parameter("flag", false); }) ==
        "parameters.flag: must be true or false");
  CHECK(config_error([] { config_with(R"("count":0)").integer_parameter("count", 10); }) ==
        "parameters.count: must be a whole number from 1 to 100");
  CHECK(config_error([] { config_with(R"("count":"5")").integer_parameter("count", 10); }) ==
        "parameters.count: must be a whole number from 1 to 100");
  CHECK(config_error([] { config_with(R"("colour":"rde")").enum_parameter("colour", "red"); }) ==
        "parameters.colour: must be red, green or blue, got 'rde'");
  CHECK(config_error([] { config_with(R"("names":[1])").list_parameter("names"); }) ==
        "parameters.names: must be a list of names");
  CHECK(config_error([] { PluginConfig("{}", kDeclaredList); }) == "the connector has no name (name: in connect.yml)");
  CHECK(config_error([] { PluginConfig("[]", kDeclaredList); }) == "the connector configuration is not a JSON object");
}

TEST_CASE("with_connect_timeout: the same connection, with connect_timeout unless it sets one") {
  CHECK(with_connect_timeout("postgresql://app:pa'ss@db.example:5433/shop?sslmode=require", 5) ==
        "connect_timeout='5' dbname='shop' host='db.example' password='pa\\'ss' port='5433' sslmode='require' "
        "user='app'");
  CHECK(with_connect_timeout("host=db connect_timeout=20", 5) == "connect_timeout='20' host='db'");
  CHECK_FALSE(url_problem(with_connect_timeout("postgresql://u@h/d", 5)).has_value());
}

TEST_CASE("find_first_of finds the first byte of its set, 8 bytes at a time, as a byte loop would") {
  using Json = cn::plugins::ByteSet<true, '"', '\\'>;
  using Copy = cn::plugins::ByteSet<false, '\\', '\t', '\n', '\r'>;
  std::mt19937 random(11);
  const std::string alphabet = std::string("abc \x7f\xc3\xa9\x01\x1f \"\\\t\n\r") + '\0';
  for (int i = 0; i < 20000; ++i) {
    // Mostly plain text of every length around a word, a special or none at any place.
    std::string s(random() % 40, 'x');
    for (char &c : s)
      if (random() % 8 == 0) c = alphabet[random() % alphabet.size()];
    const auto exact = std::make_unique<char[]>(s.size());  // no slack: a read past the end is the sanitizer's
    std::memcpy(exact.get(), s.data(), s.size());
    const char *begin = exact.get(), *end = begin + s.size();
    CAPTURE(s);
    CHECK(cn::plugins::find_first_of(begin, end, Json{}) - begin ==
          std::find_if(begin, end, [](char c) { return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20; }) - begin);
    CHECK(cn::plugins::find_first_of(begin, end, Copy{}) - begin ==
          std::find_if(begin, end, [](char c) { return c == '\\' || c == '\t' || c == '\n' || c == '\r'; }) - begin);
  }
}

TEST_CASE("a word's leading digits and their value, as a byte loop reads them") {
  std::mt19937 random(13);
  // Digits, and the bytes on either side of '0'..'9' and the high ones.
  const std::string others = std::string("/:,]-.eE \x80\xff\xb0\xb9") + '\0';
  for (int i = 0; i < 20000; ++i) {
    char word[8];
    for (char &c : word) c = random() % 3 ? static_cast<char>('0' + random() % 10) : others[random() % others.size()];
    unsigned expected_count = 0;
    uint64_t expected_value = 0;
    while (expected_count < 8 && word[expected_count] >= '0' && word[expected_count] <= '9')
      expected_value = expected_value * 10 + static_cast<unsigned>(word[expected_count++] - '0');
    const uint64_t w = cn::plugins::load_word(word);
    CAPTURE(std::string(word, 8));
    REQUIRE(cn::plugins::leading_digits(w) == expected_count);
    if (expected_count) CHECK(cn::plugins::digits_value(w, expected_count) == expected_value);
  }
  CHECK(cn::plugins::digits_value(cn::plugins::load_word("99999999"), 8) == 99999999);
  CHECK(cn::plugins::digits_value(cn::plugins::load_word("00000001"), 8) == 1);
}
