/* Broken on purpose, one way per build: the parameter list (ABI 1.2).
 * tests/abi/CMakeLists.txt builds this file once per case, as
 * bad_parameters_<case>.so with BREAK_<case> defined; each breaks the one
 * thing its case names, in an otherwise good list of three parameters. */
#include "working_callbacks.h"

#include <stddef.h>

static const char *const modes[] = {"fast", "safe", NULL};

#define URL {.name = "url", .type = CN_PARAM_STRING}
#define MODE {.name = "mode", .type = CN_PARAM_ENUM, .choices = modes}
#define SIZE {.name = "size", .type = CN_PARAM_INTEGER, .min = 1, .max = 10}

static const cn_param params[] = {
#if defined(BREAK_unnamed)
    URL, {.name = "", .type = CN_PARAM_BOOL}, SIZE,
#elif defined(BREAK_duplicate_name)
    URL, MODE, {.name = "url", .type = CN_PARAM_STRING},
#elif defined(BREAK_unknown_type)
    URL, {.name = "mode", .type = (cn_param_type)9}, SIZE,
#elif defined(BREAK_enum_without_choices)
    URL, {.name = "mode", .type = CN_PARAM_ENUM}, SIZE,
#elif defined(BREAK_inverted_range)
    URL, MODE, {.name = "size", .type = CN_PARAM_INTEGER, .min = 10, .max = 5},
#else
    URL, MODE, SIZE,
#endif
};

static const cn_param_list parameters = {
#if defined(BREAK_list_wrong_abi)
    sizeof(cn_param_list), 99u,
#elif defined(BREAK_list_too_short)
    (uint32_t)offsetof(cn_param_list, count), CN_ABI_VERSION,
#else
    sizeof(cn_param_list), CN_ABI_VERSION,
#endif
#if defined(BREAK_param_size_too_small)
    offsetof(cn_param, secret),
#else
    sizeof(cn_param),
#endif
    3,
#if defined(BREAK_params_null)
    NULL,
#else
    params,
#endif
};

static const cn_sink_plugin table = OK_SINK_TABLE;
static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = "bad-parameters",
    .version = "1.0.0",
    .description = NULL,
    .sink = &table,
    .source = NULL,
    .parameters = &parameters,
    .check = NULL,
    .teardown = NULL,
};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  (void)host_abi_version;
  (void)modes, (void)params; /* unused in some cases */
  return &plugin;
}
