/* Broken on purpose: the source table's poll and ack are NULL. */
#include "working_callbacks.h"

static const cn_source_plugin table = {sizeof(cn_source_plugin), CN_ABI_VERSION, ok_open, NULL,
                                       NULL, ok_close, NULL};
static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = "null-source-callbacks",
    .version = "1.0.0",
    .description = NULL,
    .sink = NULL,
    .source = &table,
    .parameters = NULL,
    .check = NULL,
    .teardown = NULL,
};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  (void)host_abi_version;
  return &plugin;
}
