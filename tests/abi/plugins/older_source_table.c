/* Not broken: a source table as plugins built before resume() was added
 * (struct_size ends before it). It must load, and resume counts as NULL. */
#include "working_callbacks.h"

#include <stddef.h>

/* The callbacks as the older table had them: filled by position, then
 * struct_size says where the table ends. */
static cn_source_plugin table = OK_SOURCE_TABLE;
static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = "older-source-table",
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
  table.struct_size = (uint32_t)offsetof(cn_source_plugin, resume);
  table.resume = (cn_status(*)(void *, const cn_record *, int *))0x1; /* beyond struct_size: never read */
  return &plugin;
}
