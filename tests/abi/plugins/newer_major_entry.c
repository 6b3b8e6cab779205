/* Broken on purpose (for this host): built for ABI 2, exports only cn_plugin_entry_v2. */
#include "working_callbacks.h"

static const cn_sink_plugin table = {sizeof(cn_sink_plugin), 2u, ok_open, ok_resume_offset,
                                     ok_consume, ok_commit, ok_close};
static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = 2u,
    .name = "newer-major-entry",
    .version = "2.0.0",
    .description = NULL,
    .sink = &table,
    .source = NULL,
    .parameters = NULL,
    .check = NULL,
    .teardown = NULL,
};

CN_EXPORT const cn_plugin *cn_plugin_entry_v2(uint32_t host_abi_version) {
  return host_abi_version == 2u ? &plugin : NULL;
}
