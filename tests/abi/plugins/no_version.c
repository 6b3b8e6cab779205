/* Broken on purpose: the descriptor's version is the empty string. */
#include "working_callbacks.h"

static const cn_sink_plugin table = OK_SINK_TABLE;
static const cn_plugin plugin = {sizeof(cn_plugin), CN_ABI_VERSION, "no-version", "", NULL,
                                 &table, NULL, NULL};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  (void)host_abi_version;
  return &plugin;
}
