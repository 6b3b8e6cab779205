/* Not broken: a source whose poll() always asks to retry (its upstream is
 * never reachable), so that it never starts. The host retries it forever,
 * or, with --once, until --connect-timeout. */
#include "working_callbacks.h"

#include <string.h>

typedef struct instance {
  const cn_host *host;
  void *host_ctx;
} instance;

static instance the_instance; /* one instance at a time in these tests */

static cn_status keeping_open(const cn_host *host, void *host_ctx, cn_str config_json, void **state) {
  (void)config_json;
  the_instance.host = host;
  the_instance.host_ctx = host_ctx;
  *state = &the_instance;
  return CN_OK;
}

static cn_status retrying_poll(void *state, cn_emit_fn emit, void *emit_ctx, uint32_t timeout_ms) {
  static const char reason[] = "upstream is not reachable";
  const instance *self = state;
  cn_str message = {reason, strlen(reason)};
  (void)emit, (void)emit_ctx, (void)timeout_ms;
  self->host->set_error(self->host_ctx, message);
  return CN_RETRY;
}

static const cn_source_plugin table = {sizeof(cn_source_plugin), CN_ABI_VERSION, keeping_open, retrying_poll,
                                       ok_ack, ok_close, NULL};
static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = "poll-retries",
    .version = "1.0.0",
    .description = "poll always asks to retry",
    .sink = NULL,
    .source = &table,
    .parameters = NULL,
    .check = NULL,
    .teardown = NULL,
};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  return host_abi_version == CN_ABI_VERSION ? &plugin : NULL;
}
