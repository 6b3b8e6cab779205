// sequence-source: a source plugin written with the C++ helper. It emits
// `count` records {"seq": N}, up to `per_poll` per poll, then goes idle.
//
// It declares its parameters (kParameters), so the host refuses a
// misspelled key or a value out of range before open(); open() checks them
// too (a host of ABI 1.1 does not) and throws cn::ConfigError, which the
// host reports as a configuration error (exit 2). A toy: it keeps no
// position, so a restarted instance starts again from 0.
#include <cn/plugin.hpp>

#include <rapidjson/document.h>

#include <string>

namespace {

// name, type, description, default_text, secret, min, max, choices
const cn_param kParameters[] = {
    {"count", CN_PARAM_INTEGER, "how many records to emit", "10", 0, 0, 1000000000, nullptr},
    {"per_poll", CN_PARAM_INTEGER, "the most records one poll emits", "100", 0, 1, 1000000, nullptr},
};

int64_t int_parameter(const rapidjson::Value &parameters, const cn_param &p, int64_t fallback) {
  if (!parameters.IsObject() || !parameters.HasMember(p.name)) return fallback;
  const rapidjson::Value &v = parameters[p.name];
  if (!v.IsInt64() || v.GetInt64() < p.min || v.GetInt64() > p.max)
    throw cn::ConfigError(std::string("parameters.") + p.name + ": must be a whole number from " +
                          std::to_string(p.min) + " to " + std::to_string(p.max));
  return v.GetInt64();
}

class SequenceSource {
 public:
  SequenceSource(const cn::Host &host, std::string_view config_json) : host_(host) {
    rapidjson::Document config;
    config.Parse(config_json.data(), config_json.size());
    if (config.HasParseError() || !config.IsObject()) throw cn::ConfigError("the configuration is not a JSON object");
    const rapidjson::Value &parameters = config["parameters"];
    count_ = int_parameter(parameters, kParameters[0], 10);
    per_poll_ = int_parameter(parameters, kParameters[1], 100);
  }

  void poll(cn::Emitter &emit, uint32_t /*timeout_ms*/) {
    for (int64_t i = 0; i < per_poll_ && next_ < count_; ++i, ++next_)
      emit.emit("{\"seq\":" + std::to_string(next_) + "}");
  }

  void ack(int64_t offset) { host_.debug("acknowledged through offset " + std::to_string(offset)); }

 private:
  const cn::Host &host_;
  int64_t count_ = 0, per_poll_ = 0, next_ = 0;
};

}  // namespace

CN_DEFINE_SOURCE_PLUGIN_WITH_PARAMETERS(SequenceSource, "sequence-source", "1.0.0",
                                        "emits {\"seq\": N} records (an example in C++)", kParameters)
