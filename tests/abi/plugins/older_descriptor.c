/* Not broken: a descriptor as plugins built before parameters were added
 * (ABI 1.1: struct_size ends before cn_plugin.parameters). It must load,
 * declare nothing, and have its parameters handed over unchecked. */
#include "working_callbacks.h"

#include <stddef.h>

static const cn_sink_plugin table = OK_SINK_TABLE;
static cn_plugin plugin = {sizeof(cn_plugin), CN_ABI_VERSION, "older-descriptor", "1.0.0", NULL,
                           &table, NULL, NULL};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  (void)host_abi_version;
  plugin.struct_size = (uint32_t)offsetof(cn_plugin, parameters);
  plugin.parameters = (const cn_param_list *)0x1; /* beyond struct_size: never read */
  return &plugin;
}
