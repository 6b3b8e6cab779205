/* Broken on purpose, twice: open() refuses a configuration whose
 * parameters.url does not start with postgresql:// (CN_INVALID_CONFIG, as
 * it should: the host exits 2); consume returns CN_INVALID_CONFIG too,
 * which only open() may return (the host must treat it as CN_ERROR). */
#include "working_callbacks.h"

#include <string.h>

static void say(const cn_host *host, void *host_ctx, const char *text) {
  cn_str message = {text, strlen(text)};
  host->set_error(host_ctx, message);
}

static cn_status checking_open(const cn_host *host, void *host_ctx, cn_str config_json, void **state) {
  static const char good[] = "\"url\":\"postgresql://";
  size_t i;
  for (i = 0; i + sizeof good - 1 <= config_json.len; ++i)
    if (memcmp(config_json.ptr + i, good, sizeof good - 1) == 0) return ok_open(host, host_ctx, config_json, state);
  say(host, host_ctx, "parameters.url: not a PostgreSQL URL (write postgresql://USER@HOST/DATABASE)");
  return CN_INVALID_CONFIG;
}

static cn_status misplaced_status_consume(void *state, const cn_record_batch *batch) {
  (void)state, (void)batch;
  return CN_INVALID_CONFIG;
}

static const cn_sink_plugin table = {sizeof(cn_sink_plugin), CN_ABI_VERSION, checking_open,
                                     ok_resume_offset, misplaced_status_consume, ok_commit, ok_close};
static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = "invalid-config",
    .version = "1.0.0",
    .description = "open returns CN_INVALID_CONFIG without a postgresql:// url",
    .sink = &table,
    .source = NULL,
    .parameters = NULL,
    .check = NULL,
    .teardown = NULL,
};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  return host_abi_version == CN_ABI_VERSION ? &plugin : NULL;
}
