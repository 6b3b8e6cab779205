/* Not broken: a sink that declares an empty parameter list (ABI 1.2): it
 * takes no parameters at all, so the host refuses any key under
 * parameters:. (A NULL list would mean "declares nothing": unchecked.) */
#include "working_callbacks.h"

static const cn_param_list parameters = {sizeof(cn_param_list), CN_ABI_VERSION, sizeof(cn_param), 0, NULL};

static const cn_sink_plugin table = OK_SINK_TABLE;
static const cn_plugin plugin = {sizeof(cn_plugin), CN_ABI_VERSION, "declares-no-parameters", "1.0.0",
                                 "takes no parameters", &table, NULL, &parameters};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  return host_abi_version == CN_ABI_VERSION ? &plugin : NULL;
}
