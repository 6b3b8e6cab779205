/* Broken on purpose: exports "cn_plugin_entry" instead of cn_plugin_entry_v1. */
#include "working_callbacks.h"

static const cn_sink_plugin table = OK_SINK_TABLE;
static const cn_plugin plugin = {sizeof(cn_plugin), CN_ABI_VERSION, "no-entry-symbol", "1.0.0",
                                 NULL, &table, NULL, NULL};

CN_EXPORT const cn_plugin *cn_plugin_entry(uint32_t host_abi_version) {
  return host_abi_version == CN_ABI_VERSION ? &plugin : NULL;
}
