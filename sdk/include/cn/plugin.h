/*
 * cn/plugin.h - the whole plugin ABI of connector-host, in C99.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * CN_ENTRY_SYMBOL ("cn_plugin_entry_v1"), of type cn_plugin_entry_fn. The
 * host calls it once after loading; it returns a descriptor (cn_plugin) that
 * points at a table of callbacks, either a sink (topic -> somewhere) or a
 * source (somewhere -> topic).
 *
 * Versions, and how the ABI grows
 *   - Every struct that crosses the boundary as a table (cn_host,
 *     cn_record_batch, cn_sink_plugin, cn_source_plugin, cn_plugin) starts
 *     with uint32_t struct_size, the sizeof its writer was compiled with,
 *     and abi_version. Within a major version, such structs grow only at the
 *     end; nothing is removed, moved, retyped or given a new meaning.
 *   - Each field appended after the first publication (1.0) is tagged where
 *     it is declared with the minor version that brought it ("Since 1.1"),
 *     and CN_ABI_MINOR is the newest of them. The minor is never exchanged
 *     at run time: struct_size alone says which fields a struct holds.
 *   - A writer provides at least every field of 1.0 (connector-host refuses
 *     a plugin table that does not). Before touching a field tagged "Since",
 *     a reader checks with CN_HAS_FIELD that the writer's struct holds it; a
 *     field it does not hold is absent, and an absent callback or service
 *     counts as NULL. So an old host loads a new plugin and a new host an
 *     old one.
 *   - Any other change makes a new major version (CN_ABI_VERSION) with a new
 *     entry symbol (cn_plugin_entry_v2), so that a host and a plugin of
 *     different majors never find each other's entry and never misread each
 *     other's structs.
 *   - cn_record has no struct_size: in a batch, its size is
 *     cn_record_batch.record_size. A record passed alone (emit, resume)
 *     carries no size, so a field appended to cn_record reaches the other
 *     side only in a batch, or through a callback that passes the size too.
 *
 * Ownership rules
 *   - Every pointer passed across (strings, records, tables) is borrowed for
 *     the duration of the call only, unless a comment says otherwise. Copy
 *     what you keep.
 *   - Memory is freed on the side that allocated it. Plugin state is opaque
 *     to the host and released only by the plugin's close().
 *
 * Threading rules
 *   - The host never calls one plugin instance from two threads at once. Calls
 *     to one instance may come from different threads over its life.
 *   - Distinct instances of the same plugin may run concurrently; keep no
 *     mutable global state.
 *   - cn_host.log may be called from any thread of the plugin at any time
 *     while the instance is open; cn_host.set_error only from inside a
 *     callback, on the thread that called it.
 *
 * Errors
 *   - Callbacks return cn_status. CN_OK is 0 (so "if (status)" means trouble).
 *   - Before returning CN_RETRY or CN_ERROR, a plugin should describe the
 *     problem with cn_host.set_error; the host copies the text and adds the
 *     plugin name, the callback and the offset when it reports it.
 *   - No C++ exception may leave a callback. (The host catches any that do
 *     and treats them as CN_ERROR, but that relies on unwinding through C
 *     frames, which the C++ standard does not promise.)
 */
#ifndef CN_PLUGIN_H
#define CN_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI major version this header describes: the value of every
 * abi_version field, and the argument the host passes to the entry. */
#define CN_ABI_VERSION 1u

/* The ABI minor version this header describes: how far its structs have
 * grown within the major. 0: as first published. 1: cn_source_plugin.resume
 * appended. 2: cn_plugin.parameters, .check and .teardown appended (with
 * cn_param_list and cn_report_fn) and the status CN_INVALID_CONFIG. 3: the
 * metric services appended to cn_host (with cn_metric_spec). For people and
 * #if; nothing passes it at run time. */
#define CN_ABI_MINOR 3u

/* The name of the one symbol a plugin exports: "cn_plugin_entry_v" followed
 * by CN_ABI_VERSION. */
#define CN_ENTRY_SYMBOL "cn_plugin_entry_v1"

/* True when the struct that ptr points at holds field entirely, as its
 * struct_size (its first member) says; type is the struct's type and ptr
 * must not be NULL. Use it before reading a field tagged "Since", e.g.
 *   if (CN_HAS_FIELD(table, cn_source_plugin, resume) && table->resume) ... */
#define CN_HAS_FIELD(ptr, type, field)                                         \
  ((size_t)(ptr)->struct_size >=                                               \
   offsetof(type, field) + sizeof(((const type *)0)->field))

/* Marks the entry symbol as exported when the plugin is built with
 * -fvisibility=hidden (recommended: then nothing else leaks). */
#if defined(__GNUC__)
#define CN_EXPORT __attribute__((visibility("default")))
#else
#define CN_EXPORT
#endif

/* ------------------------------------------------------------------------ */
/* Basic types                                                              */
/* ------------------------------------------------------------------------ */

typedef enum cn_status {
  CN_OK = 0,
  /* A transient failure (a lost connection, a full disk): the host backs off
   * and recovers as described at each callback. */
  CN_RETRY = 1,
  /* A permanent failure: the host stops the connector and exits non-zero. */
  CN_ERROR = 2,
  /* Since 1.2, from open() only: the configuration is wrong (a parameter
   * value the plugin cannot use, a malformed URL); set_error says which
   * parameter and why. connector-host exits 2, as for any configuration
   * error, instead of 1. A host of 1.1 or older reads it as not a cn_status
   * and stops the connector as on CN_ERROR. */
  CN_INVALID_CONFIG = 3
} cn_status;

typedef enum cn_log_level {
  CN_LOG_TRACE = 0,
  CN_LOG_DEBUG = 1,
  CN_LOG_INFO = 2,
  CN_LOG_WARN = 3,
  CN_LOG_ERROR = 4
} cn_log_level;

/* A byte string that is not NUL-terminated. Borrowed: valid only for the
 * call it is passed to. ptr may be NULL when len is 0. */
typedef struct cn_str {
  const char *ptr;
  size_t len;
} cn_str;

/* One record of a topic. A borrowed view: its bytes belong to the host (for
 * a sink) or to the plugin (for a source) and are valid only during the call
 * that passes it. Grows only at the end: a reader finds the size that the
 * writer used in cn_record_batch.record_size. */
typedef struct cn_record {
  /* Position in the topic, 0-based, strictly increasing within a topic (but
   * not necessarily dense: a topic may skip offsets). In a record a source
   * emits, the host ignores it and assigns the offset itself. */
  int64_t offset;
  /* Microseconds since 1970-01-01 UTC when the record entered the topic; 0
   * when the topic does not keep it. */
  int64_t timestamp_us;
  /* Partitioning key; empty when the topic has none. */
  cn_str key;
  /* The payload (for the Postgres connectors: one JSON change event). */
  cn_str value;
} cn_record;

/* A run of consecutive records handed to a sink. Records are in offset
 * order. Index them with CN_BATCH_RECORD, never with records[i], so that a
 * plugin keeps working when cn_record grows. */
typedef struct cn_record_batch {
  uint32_t struct_size;
  uint32_t abi_version;
  size_t record_size; /* stride between records, >= the size this header knows */
  size_t count;
  const cn_record *records;
} cn_record_batch;

#define CN_BATCH_RECORD(batch, i)                                              \
  ((const cn_record *)(const void *)((const char *)(batch)->records +          \
                                     (size_t)(i) * (batch)->record_size))

/* ------------------------------------------------------------------------ */
/* Services the host offers a plugin                                        */
/* ------------------------------------------------------------------------ */

/* Since 1.3: the kinds of metric a plugin may keep (cn_host.metric_register). */
typedef enum cn_metric_kind {
  CN_METRIC_COUNTER = 0,   /* a count that only grows: metric_add(delta >= 0) */
  CN_METRIC_GAUGE = 1,     /* a level: metric_set, or metric_add(any delta) */
  CN_METRIC_HISTOGRAM = 2  /* a distribution: metric_observe(value) */
} cn_metric_kind;

/* Since 1.3: one fixed label of a series, e.g. {"kind", "insert"}. */
typedef struct cn_metric_label {
  cn_str name;
  cn_str value;
} cn_metric_label;

/* Since 1.3: what a plugin registers (cn_host.metric_register). Everything
 * is borrowed for the call; the host copies what it keeps. */
typedef struct cn_metric_spec {
  uint32_t struct_size; /* sizeof(cn_metric_spec) of the plugin */
  cn_metric_kind kind;
  /* The Prometheus name, [a-zA-Z_:][a-zA-Z0-9_:]*, in base units, prefixed
   * by the plugin's name with '-' as '_' (postgres-sink:
   * postgres_sink_rows_total; connector-host refuses another prefix); a
   * counter's ends in _total. */
  cn_str name;
  cn_str help; /* one line: what it counts */
  /* The series' fixed labels (the host adds connector, plugin and topic).
   * Registering one name with other label values makes another series of
   * the same metric; keep their number small. */
  const cn_metric_label *labels;
  size_t label_count;
  /* A histogram's bucket upper bounds, finite and strictly increasing (the
   * host adds +Inf); ignored for the other kinds. */
  const double *buckets;
  size_t bucket_count;
} cn_metric_spec;

/* Since 1.3: a series the host keeps for the plugin. Opaque. */
typedef struct cn_metric cn_metric;

/* Owned by the host; valid from open() until close() returns. host_ctx is
 * the opaque pointer passed to open() beside it and must be passed back. */
typedef struct cn_host {
  uint32_t struct_size;
  uint32_t abi_version;

  /* Writes one line to the host's log, if level passes the host's filter.
   * The host removes secret values from the text. Thread-safe. */
  void (*log)(void *host_ctx, cn_log_level level, cn_str message);

  /* Describes the failure that the current callback is about to report with
   * CN_RETRY or CN_ERROR. The host copies the text (a later call replaces
   * it) and removes secret values from it. Call only inside a callback. */
  void (*set_error)(void *host_ctx, cn_str message);

  /* Since 1.3. Registers a series of a metric that the host exposes (for
   * connector-host: Prometheus, --metrics-listen) and returns its handle,
   * valid until close() returns. The same name and labels give the same
   * handle again. NULL when the host keeps no metrics, or refuses the spec
   * (a bad name, a name registered with another kind or help, buckets not
   * increasing): the host logs why, and the plugin carries on without it
   * (the update functions ignore a NULL handle). Registration allocates and
   * locks: do it once, in open(), not per record. Thread-safe. */
  cn_metric *(*metric_register)(void *host_ctx, const cn_metric_spec *spec);
  /* Since 1.3. Updates a series: lock-free and allocation-free, from any
   * thread of the plugin, while the instance is open. metric_add: a
   * counter's delta must be >= 0 (a negative one is ignored); a gauge's may
   * be anything. metric_set: gauges only. metric_observe: histograms only.
   * A call that does not fit the kind is ignored. */
  void (*metric_add)(cn_metric *metric, double delta);
  void (*metric_set)(cn_metric *metric, double value);
  void (*metric_observe)(cn_metric *metric, double value);
} cn_host;

/* ------------------------------------------------------------------------ */
/* Sink: the host reads a topic and hands its records to the plugin          */
/* ------------------------------------------------------------------------ */

/*
 * Life of a sink instance, as the host drives it:
 *
 *   open+ -> resume_offset -> (consume* commit)* -> close
 *
 * open() is called again after a backoff for as long as it returns CN_RETRY
 * (see open). On CN_RETRY from resume_offset, consume or commit the host
 * backs off, then calls resume_offset again and hands over the records that
 * follow the offset it returns. So a plugin that returns CN_RETRY must first
 * drop every record it has not made durable; it will see them again.
 */
typedef struct cn_sink_plugin {
  uint32_t struct_size;
  uint32_t abi_version;

  /* Creates an instance. config_json is the connector configuration as one
   * JSON object: {"name", "type", "version", "topic", "parameters": {...},
   * "secrets": {...}}, with ${{ secrets.NAME }} references in parameters
   * already replaced. host and host_ctx stay valid until close() returns
   * (if open() fails, until it returns).
   * On CN_OK, *state is the instance (may be NULL if the plugin needs none)
   * and the host will call close() exactly once. On any other status the
   * plugin has released everything it took, *state is ignored and close()
   * is not called.
   * CN_RETRY means "not now, maybe later" (say, the database is not up
   * yet): the host backs off as after any other CN_RETRY (connector-host:
   * --retry-initial-ms, doubling up to --retry-max-ms) and calls open()
   * again, until it returns CN_OK or CN_ERROR or the host is asked to stop
   * (connector-host then exits 0, as on any stop). CN_ERROR: the host stops
   * the connector. Required. */
  cn_status (*open)(const cn_host *host, void *host_ctx, cn_str config_json,
                    void **state);

  /* Tells where to resume: *last_applied is the offset of the last record
   * that the plugin has durably applied, or -1 if none. The host then hands
   * over records from *last_applied + 1. A sink that keeps its position in
   * its target (in the same transaction as the data) is exactly-once.
   * Required. */
  cn_status (*resume_offset)(void *state, int64_t *last_applied);

  /* Hands over the next records of the topic, in order, without gaps other
   * than the topic's own. The plugin may apply them at once or buffer them
   * until commit(). The batch and the bytes it points at are borrowed for
   * this call. Required. */
  cn_status (*consume)(void *state, const cn_record_batch *batch);

  /* Asks the plugin to make durable what it has consumed, up to and
   * including offset (the last record handed over). A plugin whose unit of
   * work spans records (a source transaction) may hold back an incomplete
   * unit; resume_offset() reports the truth after a restart. Called at batch
   * boundaries, on a timer, and before close() on a clean shutdown.
   * Required. */
  cn_status (*commit)(void *state, int64_t offset);

  /* Releases the instance. Anything consumed but not committed is dropped
   * (the host re-delivers it after a restart). Called exactly once after a
   * successful open(), also after an error. Required. */
  void (*close)(void *state);
} cn_sink_plugin;

/* ------------------------------------------------------------------------ */
/* Source: the plugin produces records that the host appends to a topic     */
/* ------------------------------------------------------------------------ */

/* Given to poll(): appends one record to the topic. The host copies the
 * record (its offset field is ignored) and stores the offset it assigned in
 * *assigned_offset, if that is not NULL. The record is not durable yet: the
 * host says so later through ack(). Returns CN_OK, or CN_ERROR if the topic
 * cannot take it (the plugin should then return CN_ERROR from poll()). Call
 * only inside poll(), on the thread that called it. */
typedef cn_status (*cn_emit_fn)(void *emit_ctx, const cn_record *record,
                                int64_t *assigned_offset);

/*
 * Life of a source instance, as the host drives it:
 *
 *   open+ -> resume* -> (poll* ack)* -> close
 *
 * open() is retried as a sink's is.
 */
typedef struct cn_source_plugin {
  uint32_t struct_size;
  uint32_t abi_version;

  /* As cn_sink_plugin.open, CN_RETRY included. Required. */
  cn_status (*open)(const cn_host *host, void *host_ctx, cn_str config_json,
                    void **state);

  /* Produces the records that are ready, through emit(emit_ctx, ...), and
   * returns. Waits at most timeout_ms for the first one; returning CN_OK
   * having emitted nothing means "nothing new yet". On CN_RETRY the host
   * backs off and polls again: the records emitted by this call stay on the
   * topic, so emit only what is ready to be kept. Required. */
  cn_status (*poll)(void *state, cn_emit_fn emit, void *emit_ctx,
                    uint32_t timeout_ms);

  /* Tells the plugin that every record with an offset <= offset is durably
   * stored in the topic, so it may confirm that position upstream (for
   * PostgreSQL: the slot's flushed LSN). Offsets only grow. Required. */
  cn_status (*ack)(void *state, int64_t offset);

  /* As cn_sink_plugin.close. Records emitted but not acked may be emitted
   * again by the next instance, unless the plugin uses resume() to find
   * what the topic already holds. Required. */
  void (*close)(void *state);

  /* Since 1.1: a host reads it only if CN_HAS_FIELD(table, cn_source_plugin,
   * resume); a table of 1.0 ends before it and counts as NULL here.
   * Optional (NULL: not called). Called after open() and before the first
   * poll(): the host hands the topic's records newest first, one per call,
   * until the callback sets *more to 0 or the oldest record has been
   * handed; when the topic holds no records (or cannot be read back, as
   * stdout), it calls once with record NULL. So a plugin whose resume() was
   * not called before its first poll() runs on a host that does not know
   * it. A source whose upstream re-sends what was not confirmed (PostgreSQL
   * re-sends past the slot's confirmed position) learns from the records
   * what the topic already holds, so that it emits neither a gap nor a
   * duplicate. The record (and its offset, which is set) is valid only
   * during the call. Anything but CN_OK stops the connector. */
  cn_status (*resume)(void *state, const cn_record *record, int *more);
} cn_source_plugin;

/* ------------------------------------------------------------------------ */
/* Parameters a plugin accepts (since 1.2)                                  */
/* ------------------------------------------------------------------------ */

/* What a parameter's value must be. The host checks the value of
 * `parameters:` in connect.yml (as JSON, after secrets are substituted)
 * before open(), so that a mistake is a configuration error (exit 2) that
 * names the file, the line and the key, not a surprise at run time. */
typedef enum cn_param_type {
  CN_PARAM_STRING = 0,  /* a string; a number or true/false written without
                         * quotes is refused (quote it) */
  CN_PARAM_BOOL = 1,    /* true or false (or the strings "true", "false") */
  CN_PARAM_INTEGER = 2, /* a whole number within [min, max] */
  CN_PARAM_ENUM = 3,    /* one of the strings in choices */
  CN_PARAM_LIST = 4     /* a list of strings, or one comma-separated string */
} cn_param_type;

/* One parameter. In static storage of the plugin, like the descriptor.
 * Grows only at the end: a reader finds the writer's size in
 * cn_param_list.param_size. connector-host refuses to load a plugin whose
 * list breaks a rule stated here (a name missing or used twice, an unknown
 * type, an enum without choices, min above max), naming the parameter. */
typedef struct cn_param {
  const char *name;         /* the key under parameters:; required, unique.
                             * "map.key" (since 1.3): the key under the map
                             * `map:` under parameters:, which the host
                             * checks key by key */
  cn_param_type type;
  const char *description;  /* one line, for people; may be NULL */
  const char *default_text; /* the default, as people should read it ("stop",
                             * "the connector's name"); NULL: required or none */
  int secret;               /* nonzero: a credential; the host masks its
                             * value in every log line and message */
  int64_t min, max;         /* CN_PARAM_INTEGER: the allowed range, both
                             * included; min <= max (INT64_MIN, INT64_MAX:
                             * any integer) */
  const char *const *choices; /* CN_PARAM_ENUM: NULL-terminated list, at
                               * least one */
} cn_param;

/* The parameters a plugin accepts. With it, the host refuses a key that is
 * not in it (naming the closest one: a misspelled key would otherwise be
 * ignored, and its default silently used) and a value of the wrong type or
 * out of range. Index params with CN_PARAM_AT(list, i). */
typedef struct cn_param_list {
  uint32_t struct_size;
  uint32_t abi_version;
  size_t param_size; /* stride between params, >= the size this header knows
                      * (every field of 1.2 at least) */
  size_t count;      /* 0: the plugin takes no parameters at all */
  const cn_param *params; /* count of them; may be NULL when count is 0 */
} cn_param_list;

#define CN_PARAM_AT(list, i)                                                   \
  ((const cn_param *)(const void *)((const char *)(list)->params +             \
                                    (size_t)(i) * (list)->param_size))

/* ------------------------------------------------------------------------ */
/* Checking a configuration, and tearing a connector down (since 1.2)       */
/* ------------------------------------------------------------------------ */

typedef enum cn_check_level {
  CN_CHECK_OK = 0,   /* a condition the connector needs holds */
  CN_CHECK_INFO = 1, /* a fact worth showing (a version, a table found) */
  CN_CHECK_WARN = 2, /* it can run, but something will surprise the user */
  CN_CHECK_FAIL = 3  /* it cannot run until this is fixed */
} cn_check_level;

/* Given to check() and teardown(): reports one finding. subject names what
 * was looked at ("wal_level", "table public.orders", "slot orders"), detail
 * what was found and, for WARN and FAIL, the fix. Both are copied by the
 * host. Call only inside the callback that was given it, on its thread. */
typedef void (*cn_report_fn)(void *report_ctx, cn_check_level level,
                             cn_str subject, cn_str detail);

/* Optional callbacks of the descriptor (cn_plugin.check, .teardown), for
 * `connector-host --check` and `--drop`. Called without open(): config_json
 * is as open() gets it (parameters already checked against
 * cn_plugin.parameters), and host/host_ctx are valid only during the call
 * (log and set_error work; there is no instance).
 *
 * check: connects to what the plugin works with and reports, finding by
 * finding, whether the connector can run as configured, changing nothing
 * and moving no data. Returns CN_OK when it could look (whether it can run
 * is what the FAIL findings say), CN_INVALID_CONFIG for a configuration it
 * cannot use, CN_ERROR when it could not look at all (set_error says why).
 *
 * teardown: removes what the connector keeps outside the topic (for
 * PostgreSQL: the source's replication slot, and the publication if the
 * connector made it; the sink's offset and relation rows), reporting each
 * thing removed (OK) or left (INFO, WARN). The host asks the user first.
 * Returns as check does. */
typedef cn_status (*cn_check_fn)(const cn_host *host, void *host_ctx,
                                 cn_str config_json, cn_report_fn report,
                                 void *report_ctx);

/* ------------------------------------------------------------------------ */
/* The descriptor and the entry symbol                                      */
/* ------------------------------------------------------------------------ */

/* Returned by the entry symbol. Owned by the plugin, in static storage, valid
 * until the shared object is unloaded. Exactly one of sink and source is
 * non-NULL. */
typedef struct cn_plugin {
  uint32_t struct_size;
  uint32_t abi_version;
  const char *name;        /* what --plugin NAME and `type:` match; required */
  const char *version;     /* the plugin's own version; required */
  const char *description; /* one line; may be NULL */
  const cn_sink_plugin *sink;
  const cn_source_plugin *source;

  /* Since 1.2: the parameters the plugin accepts, or NULL when it declares
   * none (then the host hands parameters: over unchecked, as before 1.2).
   * Static storage. A host reads it only if CN_HAS_FIELD(descriptor,
   * cn_plugin, parameters). */
  const cn_param_list *parameters;

  /* Since 1.2, optional (NULL: not supported; --check then checks the
   * configuration alone, --drop refuses): see cn_check_fn. */
  cn_check_fn check;
  cn_check_fn teardown;
} cn_plugin;

/* The exported entry. host_abi_version is CN_ABI_VERSION of the host. A
 * plugin that cannot work with that host returns NULL, and the host refuses
 * it. Called once per load, before any other call; must not fail otherwise. */
typedef const cn_plugin *(*cn_plugin_entry_fn)(uint32_t host_abi_version);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CN_PLUGIN_H */
