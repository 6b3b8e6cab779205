/* Broken on purpose: consume reports CN_ERROR (with set_error) at the 5th record, offset 4. */
#include "working_callbacks.h"

#include <stdlib.h>
#include <string.h>

typedef struct instance {
  const cn_host *host;
  void *host_ctx;
} instance;

static cn_status failing_open(const cn_host *host, void *host_ctx, cn_str config_json,
                              void **state) {
  instance *self = malloc(sizeof *self);
  (void)config_json;
  if (!self) return CN_ERROR;
  self->host = host;
  self->host_ctx = host_ctx;
  *state = self;
  return CN_OK;
}

static cn_status failing_consume(void *state, const cn_record_batch *batch) {
  static const char reason[] = "record at offset 4 rejected: the warehouse said no";
  const instance *self = state;
  size_t i;
  for (i = 0; i < batch->count; ++i) {
    if (CN_BATCH_RECORD(batch, i)->offset == 4) {
      cn_str message = {reason, strlen(reason)};
      self->host->set_error(self->host_ctx, message);
      return CN_ERROR;
    }
  }
  return CN_OK;
}

static void failing_close(void *state) { free(state); }

static const cn_sink_plugin table = {sizeof(cn_sink_plugin), CN_ABI_VERSION, failing_open,
                                     ok_resume_offset, failing_consume, ok_commit, failing_close};
static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = "error-status",
    .version = "1.0.0",
    .description = "consume fails at offset 4",
    .sink = &table,
    .source = NULL,
    .parameters = NULL,
    .check = NULL,
    .teardown = NULL,
};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  return host_abi_version == CN_ABI_VERSION ? &plugin : NULL;
}
