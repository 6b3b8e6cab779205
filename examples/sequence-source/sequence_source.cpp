// sequence-source: a source plugin written with the C++ helper. It emits
// `count` records {"seq": N}, up to `per_poll` per poll, then goes idle.
//
// Parameters: count (default 10), per_poll (default 100). A toy: it keeps
// no position, so a restarted instance starts again from 0.
#include <cn/plugin.hpp>

#include <rapidjson/document.h>

#include <string>

namespace {

int64_t int_parameter(const rapidjson::Value &parameters, const char *name, int64_t fallback) {
  if (!parameters.IsObject() || !parameters.HasMember(name)) return fallback;
  const rapidjson::Value &v = parameters[name];
  if (!v.IsInt64() || v.GetInt64() < 0)
    throw std::runtime_error(std::string("parameters.") + name + " must be a whole number >= 0");
  return v.GetInt64();
}

class SequenceSource {
 public:
  SequenceSource(const cn::Host &host, std::string_view config_json) : host_(host) {
    rapidjson::Document config;
    config.Parse(config_json.data(), config_json.size());
    if (config.HasParseError() || !config.IsObject()) throw std::runtime_error("the configuration is not a JSON object");
    const rapidjson::Value &parameters = config["parameters"];
    count_ = int_parameter(parameters, "count", 10);
    per_poll_ = int_parameter(parameters, "per_poll", 100);
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

CN_DEFINE_SOURCE_PLUGIN(SequenceSource, "sequence-source", "1.0.0",
                        "emits {\"seq\": N} records (an example in C++)")
