/* Not broken: a sink that declares its parameters (ABI 1.2), one of each
 * type and a secret one, so that the host checks connect.yml against them
 * before open(). Its open() logs the configuration it got (secrets and
 * all, carelessly: the host must mask the secret ones), then it works. */
#include "working_callbacks.h"

static const char *const on_error_choices[] = {"stop", "skip", "dead_letter", NULL};

static const cn_param params[] = {
    {.name = "url", .type = CN_PARAM_STRING, .description = "the warehouse to write to"},
    {.name = "create_tables", .type = CN_PARAM_BOOL, .default_text = "false"},
    {.name = "batch_size", .type = CN_PARAM_INTEGER, .default_text = "100", .min = 1, .max = 1000},
    {.name = "on_error", .type = CN_PARAM_ENUM, .default_text = "stop", .choices = on_error_choices},
    {.name = "tables", .type = CN_PARAM_LIST, .description = "schema.table names"},
    {.name = "api_token", .type = CN_PARAM_STRING, .secret = 1},
};

static const cn_param_list parameters = {sizeof(cn_param_list), CN_ABI_VERSION, sizeof(cn_param),
                                         sizeof params / sizeof params[0], params};

static cn_status logging_open(const cn_host *host, void *host_ctx, cn_str config_json, void **state) {
  host->log(host_ctx, CN_LOG_INFO, config_json);
  return ok_open(host, host_ctx, config_json, state);
}

static const cn_sink_plugin table = {sizeof(cn_sink_plugin), CN_ABI_VERSION, logging_open,
                                     ok_resume_offset, ok_consume, ok_commit, ok_close};
static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = "declares-parameters",
    .version = "1.0.0",
    .description = "declares one parameter of each type",
    .sink = &table,
    .source = NULL,
    .parameters = &parameters,
    .check = NULL,
    .teardown = NULL,
};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  return host_abi_version == CN_ABI_VERSION ? &plugin : NULL;
}
