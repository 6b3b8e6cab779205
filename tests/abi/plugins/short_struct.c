/* Broken on purpose: the descriptor is a real, truncated struct (it ends after version). */
#include "working_callbacks.h"

struct truncated_plugin {
  uint32_t struct_size;
  uint32_t abi_version;
  const char *name;
  const char *version;
};

static const struct truncated_plugin plugin = {sizeof(struct truncated_plugin), CN_ABI_VERSION,
                                               "short-struct", "1.0.0"};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  (void)host_abi_version;
  return (const cn_plugin *)(const void *)&plugin;
}
