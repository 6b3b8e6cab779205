/* Broken on purpose: the source table's poll and ack are NULL. */
#include "working_callbacks.h"

static const cn_source_plugin table = {sizeof(cn_source_plugin), CN_ABI_VERSION, ok_open, NULL,
                                       NULL, ok_close, NULL};
static const cn_plugin plugin = {sizeof(cn_plugin), CN_ABI_VERSION, "null-source-callbacks",
                                 "1.0.0", NULL, NULL, &table, NULL};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  (void)host_abi_version;
  return &plugin;
}
