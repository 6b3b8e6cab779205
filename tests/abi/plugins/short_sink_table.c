/* Broken on purpose: the sink table is a real, truncated struct (no commit, no close). */
#include "working_callbacks.h"

struct truncated_sink {
  uint32_t struct_size;
  uint32_t abi_version;
  cn_status (*open)(const cn_host *, void *, cn_str, void **);
  cn_status (*resume_offset)(void *, int64_t *);
  cn_status (*consume)(void *, const cn_record_batch *);
};

static const struct truncated_sink table = {sizeof(struct truncated_sink), CN_ABI_VERSION,
                                            ok_open, ok_resume_offset, ok_consume};
static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = "short-sink-table",
    .version = "1.0.0",
    .description = NULL,
    .sink = (const cn_sink_plugin *)(const void *)&table,
    .source = NULL,
    .parameters = NULL,
    .check = NULL,
    .teardown = NULL,
};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  (void)host_abi_version;
  return &plugin;
}
