/* Broken on purpose: the entry declines every host (returns NULL). */
#include <cn/plugin.h>

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  (void)host_abi_version;
  return NULL;
}
