// libFuzzer target: connect.yml. The input is the file's text. It goes the
// way a run takes it: parse_config (YAML, secrets:, ${{ secrets.X }}), the
// host's checks of parameters: against what postgres-sink and
// postgres-source declare (parameter_problems, sensitive_parameter_values),
// then, when the host finds nothing wrong, the plugin's own reading of the
// configuration it would be given.
//
// Besides "nothing crashes, every refusal is a ConfigError": the
// parameters and the configuration handed to a plugin are JSON objects;
// and a configuration the host lets through is one the plugin takes or
// refuses with cn::ConfigError (a std::logic_error would mean that what it
// declares and what it reads disagree).
#include "fuzz_check.hpp"

#include <cn/plugin.hpp>
#include <config.hpp>
#include <loader_parameters.hpp>
#include <parameter_check.hpp>
#include <parameter_secrets.hpp>
#include <sink_config.hpp>
#include <source_config.hpp>

#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

using cn::host::ConfigError;
using cn::host::ConnectorConfig;

// A fixed environment: a reference may find its secret there, or not.
std::optional<std::string> environment(const std::string &name) {
  if (name == "FLUVIO_PG_DATABASE_URL") return std::string("postgresql://app:pw@127.0.0.1:5432/shop");
  if (name == "DB_PASSWORD") return std::string("s3cret");
  if (name == "EMPTY") return std::string();
  return std::nullopt;
}

// A plugin's declared parameters, read as the loader reads them from the .so.
std::vector<cn::ParameterSpec> specs_of(const cn_param_list &list) {
  std::vector<cn::ParameterSpec> specs;
  const std::string problem = cn::detail::read_parameters(list, specs);
  FUZZ_CHECK(problem.empty(), "the plugin's parameters load: " + problem);
  return specs;
}

bool is_json_object(const std::string &text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  return !doc.HasParseError() && doc.IsObject();
}

// What a run does with config for one plugin, after parse_config.
template <class Parse>
void check_for_plugin(const ConnectorConfig &config, const std::vector<cn::ParameterSpec> &specs,
                      const char *plugin, Parse &&parse) {
  const std::vector<std::string> problems = cn::host::parameter_problems(config, specs, plugin);
  cn::host::sensitive_parameter_values(config, &specs);
  if (!problems.empty()) return;  // exit 2 before the plugin is opened
  try {
    parse(config.plugin_json());
  } catch (const cn::ConfigError &) {
    // the plugin's own refusal: CN_INVALID_CONFIG
  } catch (const std::logic_error &e) {
    cn::fuzz::broken(__FILE__, __LINE__, "the plugin reads what the host let through", e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
  static const std::vector<cn::ParameterSpec> sink_specs = specs_of(cn::pgsink::kSinkParameters);
  static const std::vector<cn::ParameterSpec> source_specs = specs_of(cn::pgsource::kSourceParameters);

  const std::string text(reinterpret_cast<const char *>(data), size);
  ConnectorConfig config;
  try {
    config = cn::host::parse_config(text, "connect.yml", environment);
  } catch (const ConfigError &) {
    return 0;  // refused, as it may be
  }
  FUZZ_CHECK(is_json_object(config.parameters_json), "parameters is a JSON object: " + config.parameters_json);
  FUZZ_CHECK(is_json_object(config.plugin_json()), "the plugin's configuration is a JSON object: " + config.plugin_json());
  cn::host::sensitive_parameter_values(config, nullptr);  // a plugin that declares nothing
  check_for_plugin(config, sink_specs, "postgres-sink", [](const std::string &json) { cn::pgsink::parse_sink_config(json); });
  check_for_plugin(config, source_specs, "postgres-source",
                   [](const std::string &json) { cn::pgsource::parse_source_config(json); });
  return 0;
}
