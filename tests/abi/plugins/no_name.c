/* Broken on purpose: the descriptor's name is NULL. */
#include "working_callbacks.h"

static const cn_sink_plugin table = OK_SINK_TABLE;
static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = NULL,
    .version = "1.0.0",
    .description = NULL,
    .sink = &table,
    .source = NULL,
    .parameters = NULL,
    .check = NULL,
    .teardown = NULL,
};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  (void)host_abi_version;
  return &plugin;
}
