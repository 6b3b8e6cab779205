// The loader (cn/loader.hpp), reading the parameter list a plugin declares.
#include "loader_parameters.hpp"

#include <cstddef>
#include <cstring>
#include <set>
#include <type_traits>

namespace cn {

const char *to_string(ParameterType type) noexcept {
  switch (type) {
    case ParameterType::string: return "string";
    case ParameterType::boolean: return "bool";
    case ParameterType::integer: return "integer";
    case ParameterType::enumeration: return "enum";
    case ParameterType::list: return "list";
  }
  return "?";
}

namespace detail {

namespace {

// cn_param has no struct_size: a list's param_size is the stride, and every
// field of 1.2 (the first cn_param) must fit in it.
constexpr std::size_t kParamFirstPublished = offsetof(cn_param, choices) + sizeof(cn_param::choices);

// The type as the plugin wrote it, read as a number: a value outside
// cn_param_type must be refused, not loaded into the enum.
using RawType = std::underlying_type_t<cn_param_type>;

RawType raw_type(const void *param) {
  RawType type;
  std::memcpy(&type, static_cast<const char *>(param) + offsetof(cn_param, type), sizeof type);
  return type;
}

std::optional<ParameterType> type_of(RawType raw) {
  switch (raw) {
    case CN_PARAM_STRING: return ParameterType::string;
    case CN_PARAM_BOOL: return ParameterType::boolean;
    case CN_PARAM_INTEGER: return ParameterType::integer;
    case CN_PARAM_ENUM: return ParameterType::enumeration;
    case CN_PARAM_LIST: return ParameterType::list;
    default: return std::nullopt;
  }
}

std::string text(const char *s) { return s ? s : ""; }

// Reads one parameter into spec; returns the problem, or "".
std::string read_one(const void *at, std::size_t index, ParameterSpec &spec) {
  cn_param param;
  std::memcpy(&param, at, sizeof param);  // param.type is read only through raw_type()
  if (!param.name || !*param.name) return "parameter " + std::to_string(index) + " has no name";
  spec.name = param.name;
  std::optional<ParameterType> type = type_of(raw_type(at));
  if (!type) return "parameter '" + spec.name + "' has type " + std::to_string(raw_type(at)) + ", which is not a cn_param_type";
  spec.type = *type;
  spec.description = text(param.description);
  spec.default_text = text(param.default_text);
  spec.secret = param.secret != 0;
  if (spec.type == ParameterType::integer) {
    if (param.min > param.max)
      return "parameter '" + spec.name + "' (integer) has min " + std::to_string(param.min) + " above max " +
             std::to_string(param.max);
    spec.min = param.min;
    spec.max = param.max;
  }
  if (spec.type == ParameterType::enumeration) {
    for (const char *const *choice = param.choices; choice && *choice; ++choice) spec.choices.emplace_back(*choice);
    if (spec.choices.empty()) return "parameter '" + spec.name + "' (enum) has no choices";
  }
  return {};
}

}  // namespace

std::string read_parameters(const cn_param_list &list, std::vector<ParameterSpec> &specs) {
  if (list.param_size < kParamFirstPublished)
    return "the parameter list's param_size is " + std::to_string(list.param_size) + ", smaller than the " +
           std::to_string(kParamFirstPublished) + " bytes of a cn_param of ABI 1.2 (a corrupt list)";
  if (list.count > 0 && !list.params)
    return "the parameter list has " + std::to_string(list.count) + " parameters but params is NULL";
  std::set<std::string> seen;
  for (std::size_t i = 0; i < list.count; ++i) {
    ParameterSpec spec;
    if (std::string problem = read_one(CN_PARAM_AT(&list, i), i, spec); !problem.empty()) return problem;
    if (!seen.insert(spec.name).second) return "parameter '" + spec.name + "' is declared twice";
    specs.push_back(std::move(spec));
  }
  return {};
}

}  // namespace detail
}  // namespace cn
