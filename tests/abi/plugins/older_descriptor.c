/* Not broken: a descriptor as plugins built before parameters were added
 * (ABI 1.1: struct_size ends before cn_plugin.parameters). It must load,
 * declare nothing, have its parameters handed over unchecked, and have no
 * check or teardown (they lie beyond struct_size too). */
#include "working_callbacks.h"

#include <stddef.h>

static const cn_sink_plugin table = OK_SINK_TABLE;
static cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = "older-descriptor",
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
  plugin.struct_size = (uint32_t)offsetof(cn_plugin, parameters);
  plugin.parameters = (const cn_param_list *)0x1; /* beyond struct_size: never read */
  plugin.check = (cn_check_fn)0x1;                /* nor these */
  plugin.teardown = (cn_check_fn)0x1;
  return &plugin;
}
