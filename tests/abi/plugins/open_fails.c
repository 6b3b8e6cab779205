/* Broken on purpose: open reports CN_ERROR with a reason. */
#include "working_callbacks.h"

#include <string.h>

static cn_status failing_open(const cn_host *host, void *host_ctx, cn_str config_json,
                              void **state) {
  static const char reason[] = "cannot reach the warehouse: connection refused";
  cn_str message = {reason, strlen(reason)};
  (void)config_json, (void)state;
  host->set_error(host_ctx, message);
  return CN_ERROR;
}

static const cn_sink_plugin table = {sizeof(cn_sink_plugin), CN_ABI_VERSION, failing_open,
                                     ok_resume_offset, ok_consume, ok_commit, ok_close};
static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = "open-fails",
    .version = "1.0.0",
    .description = "open returns CN_ERROR",
    .sink = &table,
    .source = NULL,
    .parameters = NULL,
    .check = NULL,
    .teardown = NULL,
};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  return host_abi_version == CN_ABI_VERSION ? &plugin : NULL;
}
