/*
 * Callbacks that work, for the deliberately broken plugins of tests/abi to
 * build on, so that each of them breaks exactly one thing. They do nothing:
 * the sink drops what it gets, the source never has anything.
 */
#ifndef CN_ABI_WORKING_CALLBACKS_H
#define CN_ABI_WORKING_CALLBACKS_H

#include <cn/plugin.h>

static inline cn_status ok_open(const cn_host *host, void *host_ctx, cn_str config_json,
                                void **state) {
  (void)host, (void)host_ctx, (void)config_json;
  *state = NULL;
  return CN_OK;
}
static inline cn_status ok_resume_offset(void *state, int64_t *last_applied) {
  (void)state;
  *last_applied = -1;
  return CN_OK;
}
static inline cn_status ok_consume(void *state, const cn_record_batch *batch) {
  (void)state, (void)batch;
  return CN_OK;
}
static inline cn_status ok_commit(void *state, int64_t offset) {
  (void)state, (void)offset;
  return CN_OK;
}
static inline void ok_close(void *state) { (void)state; }
static inline cn_status ok_poll(void *state, cn_emit_fn emit, void *emit_ctx, uint32_t timeout_ms) {
  (void)state, (void)emit, (void)emit_ctx, (void)timeout_ms;
  return CN_OK;
}
static inline cn_status ok_ack(void *state, int64_t offset) {
  (void)state, (void)offset;
  return CN_OK;
}

#define OK_SINK_TABLE                                                          \
  { sizeof(cn_sink_plugin), CN_ABI_VERSION, ok_open, ok_resume_offset,         \
    ok_consume, ok_commit, ok_close }
#define OK_SOURCE_TABLE                                                        \
  { sizeof(cn_source_plugin), CN_ABI_VERSION, ok_open, ok_poll, ok_ack, ok_close, NULL }

#endif
