#include "config.hpp"

#include "closest_name.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>

namespace cn::host {

const std::vector<std::string> kWellKnownEnvironmentSecrets = {"FLUVIO_PG_DATABASE_URL"};

Environment process_environment() {
  return [](const std::string &name) -> std::optional<std::string> {
    const char *value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

std::string trimmed(const std::string &s) {
  std::size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

bool is_identifier(const std::string &s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// The whole text as a decimal 64-bit integer (an optional sign, digits).
std::optional<int64_t> as_integer(const std::string &text) {
  const char *begin = text.data() + (text.size() > 1 && text[0] == '+');
  if (begin != text.data() && *begin == '-') return std::nullopt;  // "+-5" is text
  int64_t value = 0;
  auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The whole text as a YAML 1.2 float with a '.' or an exponent (not inf/nan).
// One too large for a double (1e999) stays text, as a too large integer
// does: JSON has no infinity, and RapidJSON's writer would write nothing.
std::optional<double> as_float(const std::string &text) {
  if (text.find_first_of(".eE") == std::string::npos) return std::nullopt;
  if (text.find_first_not_of("0123456789+-.eE") != std::string::npos) return std::nullopt;
  char *end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || text == "." || !std::isfinite(value)) return std::nullopt;
  return value;
}

class Parser {
 public:
  Parser(const std::string &path, const Environment &env) : path_(path), env_(env) {}

  ConnectorConfig parse(const std::string &text);

 private:
  // "PATH:LINE:COL", or PATH alone for a null mark.
  std::string place(const YAML::Mark &mark) const {
    if (mark.is_null()) return path_;
    return path_ + ':' + std::to_string(mark.line + 1) + ':' + std::to_string(mark.column + 1);
  }

  [[noreturn]] void fail(const YAML::Mark &mark, const std::string &key, const std::string &why) const {
    throw ConfigError(place(mark) + ": " + (key.empty() ? "" : key + ": ") + why);
  }

  std::string scalar(const YAML::Node &node, const std::string &key) const {
    if (!node || node.IsNull()) return {};
    if (!node.IsScalar()) fail(node.Mark(), key, "must be a single value");
    return node.Scalar();
  }

  void read_secrets(const YAML::Node &node, const std::string &key);
  std::string secret(const std::string &name, const YAML::Mark &mark, const std::string &key);
  std::string substitute(const std::string &text, const YAML::Mark &mark, const std::string &key);
  void write_json(JsonWriter &out, const YAML::Node &node, const std::string &key, int depth = 0);
  TopicsConfig read_topics(const YAML::Node &node, const std::string &key);
  int64_t integer(const YAML::Node &node, const std::string &key, int64_t min, int64_t max) const;

  // What parameters: may make once its aliases are expanded: an alias inside
  // the node it names repeats forever, and aliases of aliases multiply (ten
  // levels of ten make 10^10 values). Far more than any plugin needs.
  static constexpr int kMaxDepth = 64;
  static constexpr std::size_t kMaxValues = 100000;
  static constexpr std::size_t kMaxTextBytes = std::size_t{16} << 20;
  std::size_t values_ = 0, text_bytes_ = 0;
  void count_text(const YAML::Mark &mark, const std::string &key, std::size_t bytes) {
    if ((text_bytes_ += bytes) > kMaxTextBytes)
      fail(mark, key, "more than 16 MiB of text, counting each alias as what it names");
  }

  std::string path_;
  const Environment &env_;
  std::map<std::string, std::string> declared_;  // secrets: entries with a value
  std::set<std::string> from_environment_;       // secrets: entries without one
  std::map<std::string, std::string> resolved_;
};

void Parser::read_secrets(const YAML::Node &node, const std::string &key) {
  if (!node || node.IsNull()) return;
  if (node.IsMap()) {
    for (const auto &entry : node) {
      std::string name = entry.first.Scalar();
      if (entry.second.IsNull() || (entry.second.IsScalar() && entry.second.Scalar().empty()))
        from_environment_.insert(name);
      else
        declared_[name] = scalar(entry.second, key + "." + name);
    }
  } else if (node.IsSequence()) {  // Fluvio's newer `- name: NAME` list
    for (const auto &entry : node) {
      std::string name = entry.IsMap() ? scalar(entry["name"], key + "[].name") : scalar(entry, key + "[]");
      if (name.empty()) fail(entry.Mark(), key, "each entry needs a name");
      from_environment_.insert(name);
    }
  } else {
    fail(node.Mark(), key, "must be a map of NAME: value (or a list of names)");
  }
}

std::string Parser::secret(const std::string &name, const YAML::Mark &mark, const std::string &key) {
  if (auto it = resolved_.find(name); it != resolved_.end()) return it->second;
  if (auto it = declared_.find(name); it != declared_.end()) return resolved_[name] = it->second;
  if (auto value = env_(name)) return resolved_[name] = *value;
  fail(mark, key,
       "secret '" + name + "' is not defined: add it under secrets: or set the environment variable " + name);
}

// Replaces each ${{ secrets.NAME }} (spaces inside the braces optional).
std::string Parser::substitute(const std::string &text, const YAML::Mark &mark, const std::string &key) {
  static constexpr std::string_view kOpen = "${{", kClose = "}}", kPrefix = "secrets.";
  std::string out;
  std::size_t copied = 0;
  for (std::size_t open = text.find(kOpen); open != std::string::npos; open = text.find(kOpen, open + 1)) {
    std::size_t close = text.find(kClose, open + kOpen.size());
    if (close == std::string::npos) break;
    std::string inner = trimmed(text.substr(open + kOpen.size(), close - open - kOpen.size()));
    if (inner.compare(0, kPrefix.size(), kPrefix) != 0) continue;
    std::string name = inner.substr(kPrefix.size());
    if (!is_identifier(name)) fail(mark, key, "'" + inner + "' is not a valid secret reference");
    out.append(text, copied, open - copied);
    out += secret(name, mark, key);
    copied = close + kClose.size();
  }
  out.append(text, copied, std::string::npos);
  return out;
}

// YAML scalars are untyped; a plain (unquoted) one that reads as a YAML 1.2
// bool, null, integer or float becomes that JSON type, anything quoted stays
// a string.
void Parser::write_json(JsonWriter &out, const YAML::Node &node, const std::string &key, int depth) {
  if (++values_ > kMaxValues)
    fail(node.Mark(), key, "more than " + std::to_string(kMaxValues) + " values, counting each alias as what it names");
  if (depth > kMaxDepth && (node.IsSequence() || node.IsMap()))
    fail(node.Mark(), key.substr(0, key.find_last_of("[.", 80)) + "...",
         "nested deeper than " + std::to_string(kMaxDepth) + " levels (is an alias inside what it names?)");
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      out.Null();
      return;
    case YAML::NodeType::Sequence: {
      out.StartArray();
      std::size_t i = 0;
      for (const auto &item : node) write_json(out, item, key + "[" + std::to_string(i++) + "]", depth + 1);
      out.EndArray();
      return;
    }
    case YAML::NodeType::Map:
      out.StartObject();
      for (const auto &entry : node) {
        std::string name = entry.first.Scalar();
        count_text(entry.first.Mark(), key, name.size());
        out.Key(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
        write_json(out, entry.second, key + "." + name, depth + 1);
      }
      out.EndObject();
      return;
    case YAML::NodeType::Scalar:
      break;
  }
  const std::string &text = node.Scalar();
  if (node.Tag() != "!") {  // plain scalar
    if (text == "true" || text == "True" || text == "TRUE") return void(out.Bool(true));
    if (text == "false" || text == "False" || text == "FALSE") return void(out.Bool(false));
    if (text == "null" || text == "Null" || text == "NULL" || text == "~") return void(out.Null());
    if (auto number = as_integer(text)) return void(out.Int64(*number));
    if (auto number = as_float(text)) return void(out.Double(*number));
  }
  std::string value = substitute(text, node.Mark(), key);
  count_text(node.Mark(), key, value.size());
  out.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

int64_t Parser::integer(const YAML::Node &node, const std::string &key, int64_t min, int64_t max) const {
  std::optional<int64_t> value = as_integer(scalar(node, key));
  if (!value || *value < min || *value > max)
    fail(node.Mark(), key, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
  return *value;
}

TopicsConfig Parser::read_topics(const YAML::Node &node, const std::string &key) {
  TopicsConfig topics;
  if (node.IsScalar()) {
    topics.location = substitute(node.Scalar(), node.Mark(), key);
    return topics;
  }
  if (!node.IsMap()) fail(node.Mark(), key, "must be a directory, a nats:// URL list, or a map with url:");
  static const std::vector<std::string> known = {"url",    "user",     "password", "token",           "credentials",
                                                 "tls_ca", "tls_cert", "tls_key",  "replicas",        "max_age_seconds",
                                                 "max_bytes"};
  NatsSettings &nats = topics.nats;
  for (const auto &entry : node) {
    const std::string name = entry.first.Scalar(), where = key + "." + name;
    const YAML::Node &value = entry.second;
    auto text = [&] { return substitute(scalar(value, where), value.Mark(), where); };
    if (name == "url") topics.location = text();
    else if (name == "user") nats.user = text();
    else if (name == "password") nats.password = text();
    else if (name == "token") nats.token = text();
    else if (name == "credentials") nats.credentials_file = text();
    else if (name == "tls_ca") nats.tls_ca = text();
    else if (name == "tls_cert") nats.tls_cert = text();
    else if (name == "tls_key") nats.tls_key = text();
    else if (name == "replicas") nats.replicas = static_cast<int>(integer(value, where, 1, 5));
    else if (name == "max_age_seconds") nats.max_age_seconds = integer(value, where, 0, int64_t{1} << 32);
    else if (name == "max_bytes") nats.max_bytes = integer(value, where, -1, INT64_MAX);
    else {
      std::string suggestion = closest_name(name, known);
      fail(entry.first.Mark(), where,
           "is not a topics setting" + (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?"));
    }
  }
  if (!node["url"]) fail(node.Mark(), key, "needs url: (a directory, or nats://HOST:PORT,...)");
  return topics;
}

ConnectorConfig Parser::parse(const std::string &text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception &e) {
    fail(e.mark, "", "not valid YAML: " + e.msg);
  }
  ConnectorConfig config;
  if (!root || root.IsNull()) fail(YAML::Mark::null_mark(), "", "is empty");
  if (!root.IsMap()) fail(root.Mark(), "", "must be a map of keys (version, name, type, topic, parameters, secrets)");

  static const std::vector<std::string> known = {"version", "name", "type",         "topic",     "parameters",
                                                 "secrets", "meta", "create_topic", "apiVersion", "topics"};
  for (const auto &entry : root) {
    std::string key = entry.first.Scalar();
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    // Not an error: Fluvio's files carry keys of their own (transforms, ...).
    std::string suggestion = closest_name(key, known);
    config.warnings.push_back(path_ + ":" + std::to_string(entry.first.Mark().line + 1) + ": key '" + key +
                              "' is not used by connector-host and was ignored" +
                              (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?"));
  }

  YAML::Node meta = root["meta"];
  if (meta && !meta.IsMap()) fail(meta.Mark(), "meta", "must be a map");
  YAML::Node top = meta ? meta : root;
  std::string prefix = meta ? "meta." : "";
  config.version = scalar(top["version"], prefix + "version");
  config.name = scalar(top["name"], prefix + "name");
  config.type = scalar(top["type"], prefix + "type");
  config.topic = scalar(top["topic"], prefix + "topic");
  read_secrets(top["secrets"], prefix + "secrets");
  if (meta && root["secrets"]) read_secrets(root["secrets"], "secrets");

  if (YAML::Node topics = top["topics"] ? top["topics"] : root["topics"]; topics && !topics.IsNull())
    config.topics = read_topics(topics, "topics");

  YAML::Node parameters = root["parameters"];
  if (parameters && !parameters.IsNull() && !parameters.IsMap())
    fail(parameters.Mark(), "parameters", "must be a map of NAME: value");
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  if (parameters && parameters.IsMap()) {
    write_json(writer, parameters, "parameters");
    for (const auto &entry : parameters) {
      config.parameter_places[entry.first.Scalar()] = place(entry.first.Mark());
      if (entry.second.IsMap())  // a map of parameters (ssh_tunnel:), whose keys are checked one by one
        for (const auto &inner : entry.second)
          config.parameter_places[entry.first.Scalar() + "." + inner.first.Scalar()] = place(inner.first.Mark());
    }
  } else
    writer.StartObject(), writer.EndObject();
  config.parameters_json = buffer.GetString();

  // Everything the plugin may ask for by name: declared values, names meant
  // for the environment that are set, and the well-known ones.
  for (const auto &[name, value] : declared_) resolved_.emplace(name, value);
  std::set<std::string> wanted = from_environment_;
  wanted.insert(kWellKnownEnvironmentSecrets.begin(), kWellKnownEnvironmentSecrets.end());
  for (const std::string &name : wanted)
    if (!resolved_.count(name))
      if (auto value = env_(name)) resolved_[name] = *value;
  config.secrets = resolved_;
  return config;
}

}  // namespace

std::string ConnectorConfig::plugin_json() const {
  rapidjson::StringBuffer buffer;
  JsonWriter out(buffer);
  auto field = [&](const char *key, const std::string &value) {
    out.Key(key);
    out.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  };
  out.StartObject();
  field("version", version);
  field("name", name);
  field("type", type);
  field("topic", topic);
  out.Key("parameters");
  out.RawValue(parameters_json.c_str(), parameters_json.size(), rapidjson::kObjectType);
  out.Key("secrets");
  out.StartObject();
  for (const auto &[key, value] : secrets) field(key.c_str(), value);
  out.EndObject();
  out.EndObject();
  return buffer.GetString();
}

ConnectorConfig parse_config(const std::string &yaml_text, const std::string &path,
                             const Environment &env) {
  return Parser(path, env).parse(yaml_text);
}

ConnectorConfig load_config(const std::string &path, const Environment &env) {
  // stdio rather than a stream: its failures leave errno, which tells a
  // missing file from an unreadable one or a directory.
  std::unique_ptr<std::FILE, int (*)(std::FILE *)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  auto cannot_read = [&] { return ConfigError(path + ": cannot be read: " + std::strerror(errno)); };
  if (!file) throw cannot_read();
  std::string text;
  char chunk[65536];
  for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, file.get())) > 0;) text.append(chunk, n);
  if (std::ferror(file.get())) throw cannot_read();
  return parse_config(text, path, env);
}

ConnectorConfig config_without_file(const Environment &env) {
  return parse_config("{}", "(command line)", env);
}

}  // namespace cn::host
