// Broken on purpose: consume (plain C ABI, no cn/plugin.hpp) lets a C++ exception escape.
#include "working_callbacks.h"

#include <stdexcept>

extern "C" cn_status throwing_consume(void *, const cn_record_batch *) {
  throw std::runtime_error("boom from consume");
}

static const cn_sink_plugin table = {sizeof(cn_sink_plugin), CN_ABI_VERSION, ok_open,
                                     ok_resume_offset, throwing_consume, ok_commit, ok_close};
static const cn_plugin plugin = {sizeof(cn_plugin), CN_ABI_VERSION, "throwing-callback", "1.0.0",
                                 "consume throws std::runtime_error", &table, nullptr, nullptr,
                                 nullptr, nullptr};

extern "C" CN_EXPORT const cn_plugin *cn_plugin_entry_v1(uint32_t host_abi_version) {
  return host_abi_version == CN_ABI_VERSION ? &plugin : nullptr;
}
