// The test plugins' reading of their configuration: the value of "key":
// "..." or "key": N in the JSON open() gets, found by text (enough for
// test plugins, whose values hold no quotes, commas or braces).
#ifndef CN_TEST_ABI_CONFIG_PARAMETER_HPP
#define CN_TEST_ABI_CONFIG_PARAMETER_HPP

#include <string>
#include <string_view>

inline std::string parameter(std::string_view json, const std::string &key) {
  std::size_t at = json.find("\"" + key + "\":");
  if (at == std::string_view::npos) return {};
  at += key.size() + 3;
  if (at < json.size() && json[at] == '"') {
    std::size_t end = json.find('"', at + 1);
    return std::string(json.substr(at + 1, end - at - 1));
  }
  std::size_t end = json.find_first_of(",}", at);
  return std::string(json.substr(at, end - at));
}

#endif
