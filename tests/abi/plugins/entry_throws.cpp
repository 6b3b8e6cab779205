// Broken on purpose: the entry function lets a C++ exception escape.
#include <cn/plugin.h>

#include <stdexcept>

extern "C" CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  if (host_abi_version != 0) throw std::runtime_error("boom from the entry");
  return nullptr;
}
