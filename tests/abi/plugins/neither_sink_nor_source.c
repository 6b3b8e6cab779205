/* Broken on purpose: the descriptor has neither a sink nor a source table. */
#include <cn/plugin.h>

static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = "neither-sink-nor-source",
    .version = "1.0.0",
    .description = NULL,
    .sink = NULL,
    .source = NULL,
    .parameters = NULL,
    .check = NULL,
    .teardown = NULL,
};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  (void)host_abi_version;
  return &plugin;
}
