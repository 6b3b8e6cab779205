/* Not broken: a sink with check() and teardown() (ABI 1.2), for --check and
 * --drop. Built four times (tests/abi/CMakeLists.txt): check_reports
 * reports one finding of each level but FAIL (it can run), and
 * check_reports_fail adds a FAIL; check_reports_invalid_config returns
 * CN_INVALID_CONFIG and check_reports_error CN_ERROR from both callbacks.
 * Findings quote the parameter url, carelessly: the host must mask its
 * password. teardown() reports what it "removes" and changes nothing. */
#include "working_callbacks.h"

#include <stdio.h>
#include <string.h>

static const cn_param params[] = {
    {.name = "url", .type = CN_PARAM_STRING, .description = "where the connector keeps its state"},
};

static const cn_param_list parameters = {
    .struct_size = sizeof(cn_param_list),
    .abi_version = CN_ABI_VERSION,
    .param_size = sizeof(cn_param),
    .count = sizeof params / sizeof params[0],
    .params = params,
};

static cn_str str(const char *s) {
  cn_str r = {s, strlen(s)};
  return r;
}

/* The value of "url" in config_json (enough for this plugin), or "". */
static void url_of(cn_str config_json, char *out, size_t size) {
  static const char key[] = "\"url\":\"";
  out[0] = '\0';
  for (size_t i = 0; i + sizeof key - 1 <= config_json.len; ++i) {
    if (memcmp(config_json.ptr + i, key, sizeof key - 1) != 0) continue;
    size_t start = i + sizeof key - 1, n = 0;
    while (start + n < config_json.len && config_json.ptr[start + n] != '"' && n + 1 < size) ++n;
    memcpy(out, config_json.ptr + start, n);
    out[n] = '\0';
    return;
  }
}

/* Returns the status this build ends both callbacks with, setting the error. */
static cn_status ending(const cn_host *host, void *host_ctx) {
#if defined(CHECK_INVALID_CONFIG)
  host->set_error(host_ctx, str("parameters.url: not a URL this plugin can use"));
  return CN_INVALID_CONFIG;
#elif defined(CHECK_ERROR)
  host->set_error(host_ctx, str("cannot reach the state store"));
  return CN_ERROR;
#else
  (void)host, (void)host_ctx;
  return CN_OK;
#endif
}

static cn_status check(const cn_host *host, void *host_ctx, cn_str config_json, cn_report_fn report,
                       void *report_ctx) {
  char url[256], detail[300];
  url_of(config_json, url, sizeof url);
  snprintf(detail, sizeof detail, "reached %s", url);
  host->log(host_ctx, CN_LOG_INFO, str("checking"));
  report(report_ctx, CN_CHECK_OK, str("state store"), str(detail));
  report(report_ctx, CN_CHECK_INFO, str("server version"), str("42.0"));
  report(report_ctx, CN_CHECK_WARN, str("table public.events"),
         str("no primary key: updates and deletes cannot be applied (fix: add one)"));
#if defined(CHECK_FAIL)
  report(report_ctx, CN_CHECK_FAIL, str("wal_level"), str("replica; logical needed (fix: set wal_level = logical)"));
#endif
  return ending(host, host_ctx);
}

static cn_status teardown(const cn_host *host, void *host_ctx, cn_str config_json, cn_report_fn report,
                          void *report_ctx) {
  (void)config_json;
  report(report_ctx, CN_CHECK_OK, str("offset row"), str("removed"));
  report(report_ctx, CN_CHECK_INFO, str("table public.events"), str("left in place: it holds the data"));
  return ending(host, host_ctx);
}

static const cn_sink_plugin table = OK_SINK_TABLE;

static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = "check-reports",
    .version = "1.0.0",
    .description = "check() and teardown() report findings",
    .sink = &table,
    .source = NULL,
    .parameters = &parameters,
    .check = check,
    .teardown = teardown,
};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  return host_abi_version == CN_ABI_VERSION ? &plugin : NULL;
}
