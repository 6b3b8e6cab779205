/* Broken on purpose: the descriptor says abi_version 99 behind the v1 entry symbol. */
#include "working_callbacks.h"

static const cn_sink_plugin table = OK_SINK_TABLE;
static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = 99u,
    .name = "wrong-abi-version",
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
