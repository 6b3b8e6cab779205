/* Broken on purpose: the sink table's consume is NULL. */
#include "working_callbacks.h"

static const cn_sink_plugin table = {sizeof(cn_sink_plugin), CN_ABI_VERSION, ok_open,
                                     ok_resume_offset, NULL, ok_commit, ok_close};
static const cn_plugin plugin = {sizeof(cn_plugin), CN_ABI_VERSION, "null-required-callback",
                                 "1.0.0", NULL, &table, NULL, NULL};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  (void)host_abi_version;
  return &plugin;
}
