/* Broken on purpose: the descriptor has neither a sink nor a source table. */
#include <cn/plugin.h>

static const cn_plugin plugin = {sizeof(cn_plugin), CN_ABI_VERSION, "neither-sink-nor-source",
                                 "1.0.0", NULL, NULL, NULL, NULL};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  (void)host_abi_version;
  return &plugin;
}
