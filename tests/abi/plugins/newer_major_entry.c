/* Broken on purpose (for this host): built for ABI 2, exports only cn_plugin_entry_v2. */
#include "working_callbacks.h"

static const cn_sink_plugin table = {sizeof(cn_sink_plugin), 2u, ok_open, ok_resume_offset,
                                     ok_consume, ok_commit, ok_close};
static const cn_plugin plugin = {sizeof(cn_plugin), 2u, "newer-major-entry", "2.0.0",
                                 NULL, &table, NULL, NULL};

CN_EXPORT const cn_plugin *cn_plugin_entry_v2(uint32_t host_abi_version) {
  return host_abi_version == 2u ? &plugin : NULL;
}
