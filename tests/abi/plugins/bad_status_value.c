/* Broken on purpose: consume returns 7, which is not a cn_status. */
#include "working_callbacks.h"

static cn_status bad_consume(void *state, const cn_record_batch *batch) {
  (void)state, (void)batch;
  return (cn_status)7;
}

static const cn_sink_plugin table = {sizeof(cn_sink_plugin), CN_ABI_VERSION, ok_open,
                                     ok_resume_offset, bad_consume, ok_commit, ok_close};
static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = "bad-status-value",
    .version = "1.0.0",
    .description = "consume returns 7",
    .sink = &table,
    .source = NULL,
    .parameters = NULL,
    .check = NULL,
    .teardown = NULL,
};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  return host_abi_version == CN_ABI_VERSION ? &plugin : NULL;
}
