/* Broken on purpose: consume returns 7, which is not a cn_status. */
#include "working_callbacks.h"

static cn_status bad_consume(void *state, const cn_record_batch *batch) {
  (void)state, (void)batch;
  return (cn_status)7;
}

static const cn_sink_plugin table = {sizeof(cn_sink_plugin), CN_ABI_VERSION, ok_open,
                                     ok_resume_offset, bad_consume, ok_commit, ok_close};
static const cn_plugin plugin = {sizeof(cn_plugin), CN_ABI_VERSION, "bad-status-value", "1.0.0",
                                 "consume returns 7", &table, NULL, NULL};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  return host_abi_version == CN_ABI_VERSION ? &plugin : NULL;
}
