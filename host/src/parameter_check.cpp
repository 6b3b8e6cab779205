#include "parameter_check.hpp"

#include "closest_name.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>

namespace cn::host {

namespace {

using cn::ParameterSpec;
using cn::ParameterType;
using Json = rapidjson::Value;

std::string joined(const std::vector<std::string> &items) {
  std::string out;
  for (const std::string &item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string json_text(const Json &value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return buffer.GetString();
}

std::string string_of(const Json &value) { return std::string(value.GetString(), value.GetStringLength()); }

// The value as a message shows it: "the number 5", "true", "'skip'", "a
// list", "a map". A secret's value is not shown, only its kind.
std::string describe(const Json &value, bool secret) {
  if (value.IsString()) return secret ? "a string" : "'" + string_of(value) + "'";
  if (value.IsNumber()) return secret ? "a number" : "the number " + json_text(value);
  if (value.IsBool()) return secret ? "true or false" : json_text(value);
  if (value.IsArray()) return "a list";
  if (value.IsObject()) return "a map";
  return "nothing";
}

// A scalar written without quotes where a string was wanted: YAML read it
// as a number or a bool, so the plugin would get one.
std::string quote_it(const Json &value, bool secret) {
  if (!value.IsNumber() && !value.IsBool()) return "";
  return secret ? ": quote it" : ": quote it (\"" + json_text(value) + "\")";
}

// An optional sign and digits: a whole number as text, whether or not it
// fits in 64 bits.
bool is_whole_number(const std::string &text) {
  std::size_t first_digit = !text.empty() && (text[0] == '+' || text[0] == '-') ? 1 : 0;
  return text.size() > first_digit && text.find_first_not_of("0123456789", first_digit) == std::string::npos;
}

bool fits_int64(const std::string &text) {
  const char *begin = text.data() + (text[0] == '+');
  int64_t ignored = 0;
  auto [end, ec] = std::from_chars(begin, text.data() + text.size(), ignored);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string string_problem(const Json &value, bool secret) {
  if (value.IsString()) return "";
  return "must be a string; got " + describe(value, secret) + quote_it(value, secret);
}

std::string bool_problem(const Json &value, bool secret) {
  if (value.IsBool()) return "";
  if (value.IsString() && (string_of(value) == "true" || string_of(value) == "false")) return "";
  return "must be true or false; got " + describe(value, secret);
}

std::string integer_problem(const Json &value, const ParameterSpec &spec) {
  const std::string range = range_text(spec);
  const std::string wanted = "must be an integer" + (range.empty() ? "" : " (" + range + ")") + "; got ";
  const std::string outside = "must be " + (range.empty() ? "a 64-bit integer" : range) + "; got ";
  if (value.IsString()) {
    const std::string text = string_of(value);
    if (!is_whole_number(text)) return wanted + describe(value, spec.secret);
    // YAML keeps a number too large for 64 bits as text.
    if (!fits_int64(text)) return outside + (spec.secret ? "a number outside it" : text);
    return wanted + "the string " + describe(value, spec.secret) + ": write it without quotes";
  }
  if (value.IsInt64() && value.GetInt64() >= spec.min && value.GetInt64() <= spec.max) return "";
  if (value.IsInt64() || value.IsUint64()) return outside + (spec.secret ? "a number outside it" : json_text(value));
  return wanted + describe(value, spec.secret);
}

std::string enum_problem(const Json &value, const ParameterSpec &spec) {
  if (value.IsString() &&
      std::find(spec.choices.begin(), spec.choices.end(), string_of(value)) != spec.choices.end())
    return "";
  std::string problem = "must be one of " + joined(spec.choices) + "; got " + describe(value, spec.secret);
  if (spec.secret) return problem;
  if (!value.IsString()) {
    bool is_a_choice = std::find(spec.choices.begin(), spec.choices.end(), json_text(value)) != spec.choices.end();
    return problem + (is_a_choice ? quote_it(value, false) : "");
  }
  std::string suggestion = closest_name(string_of(value), spec.choices);
  return suggestion.empty() ? problem : problem + ": did you mean '" + suggestion + "'?";
}

// A list of strings, or one (comma-separated) string. Names the first item
// that is not a string.
std::string list_problem(const Json &value, bool secret) {
  if (value.IsString()) return "";
  if (!value.IsArray()) return "must be a list of strings, or one comma-separated string; got " + describe(value, secret);
  for (rapidjson::SizeType i = 0; i < value.Size(); ++i)
    if (!value[i].IsString())
      return "item " + std::to_string(i + 1) + " of the list must be a string; got " + describe(value[i], secret) +
             quote_it(value[i], secret);
  return "";
}

std::string value_problem(const Json &value, const ParameterSpec &spec) {
  if (value.IsNull()) return "";  // not given: the plugin's default applies
  switch (spec.type) {
    case ParameterType::string: return string_problem(value, spec.secret);
    case ParameterType::boolean: return bool_problem(value, spec.secret);
    case ParameterType::integer: return integer_problem(value, spec);
    case ParameterType::enumeration: return enum_problem(value, spec);
    case ParameterType::list: return list_problem(value, spec.secret);
  }
  return "";
}

// key: "name" directly under parameters:, or "map.name" inside the map
// `map` (then map is "map."). What it may be instead: the names at its
// level (a map once, by its name).
std::string unknown_key_problem(const std::string &key, const std::string &map, const std::vector<ParameterSpec> &specs,
                                const std::string &plugin) {
  if (map.empty() && std::any_of(specs.begin(), specs.end(), [&](const ParameterSpec &s) { return s.name == key; })) {
    const std::size_t dot = key.find('.');
    return "a key inside a map: write " + key.substr(0, dot) + ": with " + key.substr(dot + 1) +
           ": indented under it";
  }
  std::vector<std::string> names;
  for (const ParameterSpec &spec : specs) {
    if (spec.name.rfind(map, 0) != 0) continue;
    const std::string name = spec.name.substr(0, spec.name.find('.', map.size()));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  std::string problem = "not a parameter of " + plugin;
  if (names.empty()) return problem + ", which takes none";
  std::string suggestion = closest_name(key, names);
  if (!suggestion.empty()) return problem + "; did you mean '" + suggestion + "'?";
  return problem + " (its parameters: " + joined(names) + ")";
}

// A plugin declares the keys of a map as "map.key" (cn_param's contract).
bool is_map_of_parameters(const std::string &key, const std::vector<ParameterSpec> &specs) {
  return std::any_of(specs.begin(), specs.end(), [&](const ParameterSpec &s) { return s.name.rfind(key + ".", 0) == 0; });
}

}  // namespace

std::string range_text(const ParameterSpec &spec) {
  constexpr int64_t kLowest = std::numeric_limits<int64_t>::min(), kHighest = std::numeric_limits<int64_t>::max();
  if (spec.min == kLowest && spec.max == kHighest) return "";
  if (spec.min == kLowest) return "at most " + std::to_string(spec.max);
  if (spec.max == kHighest) return "at least " + std::to_string(spec.min);
  return std::to_string(spec.min) + ".." + std::to_string(spec.max);
}

std::vector<std::string> parameter_problems(const ConnectorConfig &config, const std::vector<ParameterSpec> &specs,
                                            const std::string &plugin) {
  rapidjson::Document parameters;
  parameters.Parse(config.parameters_json.c_str(), config.parameters_json.size());
  std::vector<std::string> problems;
  if (!parameters.IsObject()) return problems;  // the parser writes an object; nothing else to look at
  auto report = [&](const std::string &key, const std::string &problem) {
    if (problem.empty()) return;
    auto place = config.parameter_places.find(key);
    problems.push_back((place == config.parameter_places.end() ? std::string() : place->second + ": ") + "parameters." +
                       key + ": " + problem);
  };
  for (const auto &member : parameters.GetObject()) {
    const std::string key = string_of(member.name);
    // "map.key" is declared for the key inside the map, never for a key written with a dot.
    auto spec = key.find('.') != std::string::npos
                    ? specs.end()
                    : std::find_if(specs.begin(), specs.end(), [&](const ParameterSpec &s) { return s.name == key; });
    if (spec != specs.end()) {
      report(key, value_problem(member.value, *spec));
    } else if (!is_map_of_parameters(key, specs)) {
      report(key, unknown_key_problem(key, "", specs, plugin));
    } else if (!member.value.IsObject()) {
      if (!member.value.IsNull()) report(key, "must be a map (" + key + ": with NAME: value lines under it); got " +
                                                  describe(member.value, true));
    } else {
      for (const auto &inner : member.value.GetObject()) {
        const std::string inner_key = key + "." + string_of(inner.name);
        auto inner_spec =
            std::find_if(specs.begin(), specs.end(), [&](const ParameterSpec &s) { return s.name == inner_key; });
        report(inner_key, inner_spec == specs.end() ? unknown_key_problem(inner_key, key + ".", specs, plugin)
                                                    : value_problem(inner.value, *inner_spec));
      }
    }
  }
  return problems;
}

}  // namespace cn::host
