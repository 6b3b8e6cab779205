/* leaky-sink: a careless sink that logs its whole configuration and then
 * fails to open with the configuration in its error text. The host must
 * mask every secret value in both. */
#include <cn/plugin.h>

#include <string.h>

static cn_status leaky_open(const cn_host *host, void *host_ctx, cn_str config_json, void **state) {
  (void)state;
  host->log(host_ctx, CN_LOG_INFO, config_json);
  host->set_error(host_ctx, config_json);
  return CN_ERROR;
}
static cn_status leaky_resume(void *s, int64_t *last) { (void)s; *last = -1; return CN_OK; }
static cn_status leaky_consume(void *s, const cn_record_batch *b) { (void)s; (void)b; return CN_OK; }
static cn_status leaky_commit(void *s, int64_t o) { (void)s; (void)o; return CN_OK; }
static void leaky_close(void *s) { (void)s; }

static const cn_sink_plugin table = {sizeof(cn_sink_plugin), CN_ABI_VERSION, leaky_open,
                                     leaky_resume, leaky_consume, leaky_commit, leaky_close};
static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = "leaky-sink",
    .version = "0.0.1",
    .description = "logs its secrets (a test)",
    .sink = &table,
    .source = NULL,
    .parameters = NULL,
    .check = NULL,
    .teardown = NULL,
};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi) {
  return host_abi == CN_ABI_VERSION ? &plugin : NULL;
}
