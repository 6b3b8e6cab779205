/*
 * print-sink: a sink plugin in plain C that prints every record it gets to
 * standard output as "<offset>\t<value>" (or "<value>" with the parameter
 * offsets: false), one per line.
 *
 * It shows the whole ABI from C: one exported entry symbol, a static
 * descriptor and callback table, the parameters it accepts, instance state
 * owned by the plugin, and errors reported through the host. It keeps its
 * position in memory only, so after a restart it starts again from the
 * beginning of the topic.
 */
#include <cn/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct print_sink {
  const cn_host *host;
  void *host_ctx;
  int offsets;       /* print "<offset>\t" before each value */
  int64_t printed;   /* last offset printed */
  int64_t committed; /* last offset flushed */
} print_sink;

/* The parameters print-sink accepts (ABI 1.2), in static storage. The host
 * checks connect.yml's parameters: against them before open(): a key not
 * declared here ("offset: false", say), or a value of the wrong type, is a
 * configuration error that names the file and the line, so a typo cannot
 * silently leave the default in force. Designated initializers leave the
 * fields a parameter does not need (min, max, choices, secret) zero. */
static const cn_param print_sink_params[] = {
    {.name = "offsets",
     .type = CN_PARAM_BOOL,
     .description = "print each record's offset and a tab before its value",
     .default_text = "true"},
};

static const cn_param_list print_sink_parameters = {
    sizeof(cn_param_list), CN_ABI_VERSION, sizeof(cn_param),
    sizeof print_sink_params / sizeof print_sink_params[0], print_sink_params,
};

/* True if the configuration sets offsets to false. The host has checked it
 * against the declaration above, so "offsets" is absent, true, false,
 * "true" or "false", and only a key is followed by ':'; finding
 * "offsets": false (spaces and quotes allowed) is enough here. A plugin with
 * more parameters parses the JSON. */
static int offsets_turned_off(cn_str json) {
  static const char key[] = "\"offsets\"";
  const size_t key_len = sizeof key - 1;
  size_t i, at;
  for (i = 0; i + key_len <= json.len; ++i) {
    if (memcmp(json.ptr + i, key, key_len) != 0) continue;
    at = i + key_len;
    while (at < json.len && json.ptr[at] == ' ') ++at;
    if (at >= json.len || json.ptr[at] != ':') continue; /* a value "offsets", not the key */
    for (++at; at < json.len && (json.ptr[at] == ' ' || json.ptr[at] == '"');) ++at;
    return json.len - at >= 5 && memcmp(json.ptr + at, "false", 5) == 0;
  }
  return 0;
}

static void say(const print_sink *s, cn_log_level level, const char *text) {
  cn_str msg = {text, strlen(text)};
  s->host->log(s->host_ctx, level, msg);
}

static cn_status print_open(const cn_host *host, void *host_ctx, cn_str config_json, void **state) {
  print_sink *s;
  s = calloc(1, sizeof *s);
  if (!s) {
    cn_str msg = {"out of memory", 13};
    host->set_error(host_ctx, msg);
    return CN_ERROR;
  }
  s->host = host;
  s->host_ctx = host_ctx;
  s->offsets = !offsets_turned_off(config_json);
  s->printed = -1;
  s->committed = -1;
  *state = s;
  return CN_OK;
}

static cn_status print_resume_offset(void *state, int64_t *last_applied) {
  *last_applied = ((print_sink *)state)->committed;
  return CN_OK;
}

static cn_status print_consume(void *state, const cn_record_batch *batch) {
  print_sink *s = state;
  size_t i;
  for (i = 0; i < batch->count; ++i) {
    const cn_record *r = CN_BATCH_RECORD(batch, i);
    if (s->offsets) printf("%lld\t", (long long)r->offset);
    printf("%.*s\n", (int)r->value.len, r->value.ptr);
    s->printed = r->offset;
  }
  return CN_OK;
}

static cn_status print_commit(void *state, int64_t offset) {
  print_sink *s = state;
  char line[96];
  if (fflush(stdout) != 0) {
    cn_str msg = {"cannot write to standard output", 31};
    s->host->set_error(s->host_ctx, msg);
    return CN_ERROR;
  }
  s->committed = offset;
  snprintf(line, sizeof line, "committed through offset %lld", (long long)offset);
  say(s, CN_LOG_DEBUG, line);
  return CN_OK;
}

static void print_close(void *state) { free(state); }

static const cn_sink_plugin print_sink_table = {
    sizeof(cn_sink_plugin), CN_ABI_VERSION,
    print_open, print_resume_offset, print_consume, print_commit, print_close,
};

static const cn_plugin print_sink_plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = "print-sink",
    .version = "1.0.0",
    .description = "prints each record to standard output (an example in C)",
    .sink = &print_sink_table,
    .source = NULL,
    .parameters = &print_sink_parameters,
    .check = NULL,
    .teardown = NULL,
};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  return host_abi_version == CN_ABI_VERSION ? &print_sink_plugin : NULL;
}
