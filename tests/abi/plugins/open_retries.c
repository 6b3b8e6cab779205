/* Not broken: a sink whose open() returns CN_RETRY, with a reason, on its
 * first OPEN_RETRIES calls in the process (its database "is starting up"),
 * then works. The host must back off and open it again. */
#include "working_callbacks.h"

#include <stdio.h>
#include <string.h>

#define OPEN_RETRIES 3

static int open_calls; /* one host process, one instance at a time */

static cn_status open_later(const cn_host *host, void *host_ctx, cn_str config_json, void **state) {
  char reason[64];
  cn_str message;
  if (++open_calls > OPEN_RETRIES) return ok_open(host, host_ctx, config_json, state);
  snprintf(reason, sizeof reason, "the warehouse is starting up (open call %d)", open_calls);
  message.ptr = reason;
  message.len = strlen(reason);
  host->set_error(host_ctx, message);
  return CN_RETRY;
}

static const cn_sink_plugin table = {sizeof(cn_sink_plugin), CN_ABI_VERSION, open_later,
                                     ok_resume_offset, ok_consume, ok_commit, ok_close};
static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = "open-retries",
    .version = "1.0.0",
    .description = "open returns CN_RETRY three times, then works",
    .sink = &table,
    .source = NULL,
    .parameters = NULL,
    .check = NULL,
    .teardown = NULL,
};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  return host_abi_version == CN_ABI_VERSION ? &plugin : NULL;
}
