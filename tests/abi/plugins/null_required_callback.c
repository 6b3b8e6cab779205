/* Broken on purpose: the sink table's consume is NULL. */
#include "working_callbacks.h"

static const cn_sink_plugin table = {sizeof(cn_sink_plugin), CN_ABI_VERSION, ok_open,
                                     ok_resume_offset, NULL, ok_commit, ok_close};
static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = "null-required-callback",
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
