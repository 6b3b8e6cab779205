/* Not broken: a sink that declares an empty parameter list (ABI 1.2): it
 * takes no parameters at all, so the host refuses any key under
 * parameters:. (A NULL list would mean "declares nothing": unchecked.) */
#include "working_callbacks.h"

static const cn_param_list parameters = {sizeof(cn_param_list), CN_ABI_VERSION, sizeof(cn_param), 0, NULL};

static const cn_sink_plugin table = OK_SINK_TABLE;
static const cn_plugin plugin = {
    .struct_size = sizeof(cn_plugin),
    .abi_version = CN_ABI_VERSION,
    .name = "declares-no-parameters",
    .version = "1.0.0",
    .description = "takes no parameters",
    .sink = &table,
    .source = NULL,
    .parameters = &parameters,
    .check = NULL,
    .teardown = NULL,
};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  return host_abi_version == CN_ABI_VERSION ? &plugin : NULL;
}
