/* Broken on purpose: the descriptor has both a sink and a source table. */
#include "working_callbacks.h"

static const cn_sink_plugin sink = OK_SINK_TABLE;
static const cn_source_plugin source = OK_SOURCE_TABLE;
static const cn_plugin plugin = {sizeof(cn_plugin), CN_ABI_VERSION, "both-sink-and-source",
                                 "1.0.0", NULL, &sink, &source, NULL};

CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  (void)host_abi_version;
  return &plugin;
}
