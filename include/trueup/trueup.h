/* trueup.h -- the public API of libtrueup.
 *
 * libtrueup reconciles records kept in a remote API with a desired state
 * written in YAML. The data flows one way:
 *
 *     tu_desired_load()   YAML files -> validated desired state
 *     tu_run()            fetch live records -> plan -> (apply) -> report
 *     tu_report_result()  each record's result, typed
 *     tu_report_json()    the report, as a jansson value
 *
 * Ownership: every tu_*_load / tu_run result is owned by the caller and
 * released with the matching tu_*_free. Values returned by accessors
 * (tu_report_json, tu_report_result) are borrowed: they live as long as
 * the object they came from; what a callback is given, during the call. Arguments are only read during the call and not kept, unless a
 * function says otherwise. Every function that can fail takes a tu_error *
 * (which may be NULL) and fills it with a message that says what is wrong,
 * where (file:line) and, where it can, what to do, and with the kind of
 * failure (tu_error_code) for a program to branch on.
 *
 * Threads: the library keeps no global mutable state and starts no thread
 * (but in tu_desired_load_overlapped, which says so); callbacks run in the
 * thread that called into it. Each function says
 * which of these holds:
 *   "any thread"  it may run in any number of threads at once;
 *   "reads X"     it only reads X: other readers of X may run at the same
 *                 time, in other threads, but nothing that changes or
 *                 frees X;
 *   "changes X"   no other call on the same X may run at the same time.
 * Different objects are independent: each thread may load, run and free
 * its own. libcurl needs curl_global_init() once before threads use it,
 * unless it is 7.84 or later and built thread-safe (`curl -V` lists
 * "threadsafe", as Debian 12's does): then it initialises itself safely on
 * first use. Calling it at the start of main(), as the CLI does, is right
 * either way. docs/library.md says more.
 */
#ifndef TRUEUP_TRUEUP_H
#define TRUEUP_TRUEUP_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the functions libtrueup.so exports: the library is built with
 * -fvisibility=hidden, so everything else in it stays internal. */
#ifndef TU_API
#if defined(__GNUC__) || defined(__clang__)
#define TU_API __attribute__((visibility("default")))
#else
#define TU_API
#endif
#endif

#define TU_VERSION "0.1.0"

/* The library's version, TU_VERSION of the build that was linked. A
 * static string. Threads: any thread. */
TU_API const char *tu_version(void);

/* ---- errors ------------------------------------------------------------ */

#define TU_ERROR_MAX 2048

/* What kind of failure a tu_error reports, so that a program can branch
 * without reading the message. The values are stable: new kinds are only
 * ever added at the end. */
typedef enum tu_error_code {
    TU_OK = 0,            /* nothing failed */
    TU_ERR_BAD_INPUT,     /* the desired state, a bulk rule or an option is
                             invalid: fix the input (the message says where) */
    TU_ERR_IO,            /* a file could not be read or written (a desired-
                             state file, a TLS certificate or key) */
    TU_ERR_FETCH,         /* the live records could not be read: the API did
                             not answer, refused, or answered something that
                             is not the records the target describes */
    TU_ERR_THRESHOLD,     /* apply refused: the plan crosses a safety
                             threshold (settings.max_updates, max_deletes) */
    TU_ERR_CANCELLED,     /* options.cancel was set before anything was
                             pushed */
    TU_ERR_NOMEM,         /* out of memory */
    TU_ERR_INTERNAL,      /* the HTTP machinery (libcurl) could not be set up
                             or failed; not the input's fault */
    TU_ERR_PLAN           /* a plan file was refused: not a plan file,
                             altered (checksum), of another format version,
                             already applied, or stale (a planned record
                             changed on the server since) */
} tu_error_code;

/* Filled by a failing call; on success a call that takes one sets code
 * TU_OK and an empty message. Owned by the caller (usually on the stack:
 * `tu_error err = {0};`); one tu_error per thread. */
typedef struct tu_error {
    /* One line, for example
     *   "zone.yaml:12:5: records[3]: unknown key 'tll' (did you mean 'ttl'?)"
     * Empty when nothing failed. Never holds a secret value. */
    char message[TU_ERROR_MAX];
    /* The kind of failure: TU_OK exactly when message is empty. */
    tu_error_code code;
} tu_error;

/* A stable lower-case name for an error kind: "ok", "bad_input", "io",
 * "fetch", "threshold", "cancelled", "nomem", "internal", "plan";
 * "unknown" for a value that is none of them. A static string. Threads:
 * any thread. */
TU_API const char *tu_error_code_name(tu_error_code code);

/* ---- memory -------------------------------------------------------------- */

/* Free text the library handed over (tu_export, tu_job_take_export,
 * tu_report_dumps, tu_json_dumps); NULL is ignored. It is free() of the
 * library's own C runtime: use it rather than free(), so that a program
 * with its own allocator (or a runtime of its own, as a language binding
 * may have) frees the text where it was allocated. Threads: any thread. */
TU_API void tu_free(void *text);

/* ---- desired state ----------------------------------------------------- */

/* A loaded, validated desired state: target, settings, defaults, records. */
typedef struct tu_desired tu_desired;

/* Load and merge one or more desired-state YAML files (docs/desired-state.md).
 * The target may come from one file and records from many; a key given twice
 * with different values is an error naming both places. Secrets named by
 * `*_env` keys are read from the environment here.
 * Returns NULL on any error, with `error` filled; nothing is half-loaded.
 * Ownership: the result is the caller's (tu_desired_free); the paths are
 * not kept. Threads: any thread (it reads the environment: not while
 * another thread calls setenv). */
TU_API tu_desired *tu_desired_load(const char *const *paths, size_t npaths,
                                   tu_error *error);

/* tu_desired_load, overlapped with reading the live records: when the
 * target and settings are in files of their own and the records in a
 * large one (64 KiB or more), the live records are read on a second thread
 * while the records load, and the first run of the result uses them
 * instead of reading them again (its report counts those requests too);
 * a tu_run whose concurrency is the settings' also pushes through the
 * connections that read them (TLS sessions and CA store included). If
 * the large file turns out to change the target or settings, what was
 * read is dropped and the run reads the live records itself; a read that
 * failed is the run's error (it is not made twice). For the
 * command line, where loading and reading both take seconds at scale.
 * Ownership and errors as tu_desired_load. Threads: it starts one and
 * joins it at the latest in the first run or in tu_desired_free. */
TU_API tu_desired *tu_desired_load_overlapped(const char *const *paths,
                                              size_t npaths,
                                              tu_error *error);

/* The same for a desired state given as a JSON value with the file's
 * shape ({target, settings, defaults, records}), as an embedding program
 * receives it (the Ansible module's inline arguments). `name` stands for
 * the file in messages ("module arguments"); there are no line numbers.
 * Ownership: `document` is only read and stays the caller's (the result
 * holds copies); the result is the caller's (tu_desired_free). Threads:
 * any thread, reads `document`; as tu_desired_load for the environment. */
TU_API tu_desired *tu_desired_load_json(const json_t *document,
                                        const char *name, tu_error *error);

/* What a front end calls the two lists of a bulk rule it passes to
 * tu_desired_add_bulk, for the library's messages about them: the CLI's
 * "--match" and "--set", Python's "match" and "set". */
typedef struct tu_bulk_names {
    const char *match;
    const char *set;
} tu_bulk_names;

/* Add a bulk rule, as the file's `bulk` list holds them: every live record
 * matching all of `match` gets the fields of `set`. Each string is
 * "FIELD=VALUE", the value typed as a YAML scalar ("ttl=600" is the number
 * 600); a match value holding * ? or [ is a shell-style pattern. Applied
 * at tu_run. 0, or -1 with `error` filled (and `desired` unchanged).
 * Messages name the lists with `names` ("--set 'ttl=': null cannot be set
 * in bulk"), or when it is NULL as settings ("bulk rule: set 'ttl=': ...").
 * Ownership: the strings are copied. Threads: changes `desired`. */
TU_API int tu_desired_add_bulk(tu_desired *desired,
                               const char *const *match, size_t nmatch,
                               const char *const *set, size_t nset,
                               const tu_bulk_names *names, tu_error *error);

/* The index-th secret value read from the environment for the target
 * (a token, a password, a header value; also derived forms such as the
 * Basic credentials), or NULL past the last. For an embedding program
 * that writes output of its own and must keep it free of secrets; texts
 * libtrueup writes are scrubbed of them already. Ownership: borrowed,
 * valid until tu_desired_free. Threads: reads `desired`. */
TU_API const char *tu_desired_secret(const tu_desired *desired, size_t index);

/* The number of desired records loaded (absent ones included).
 * Threads: reads `desired`. */
TU_API size_t tu_desired_record_count(const tu_desired *desired);

/* Free a desired state and everything borrowed from it; NULL is ignored.
 * Threads: changes `desired` (no run of it may be under way). */
TU_API void tu_desired_free(tu_desired *desired);

/* ---- running ----------------------------------------------------------- */

typedef enum tu_mode {
    TU_MODE_PLAN = 0,  /* fetch and diff; never writes */
    TU_MODE_APPLY = 1  /* fetch, diff, and push what differs */
} tu_mode;

/* Progress of a run, for a terminal display. `phase` is "fetch", "plan" or
 * "apply": "fetch" as each GET finishes (`done` of `total` requests; total
 * may grow while fetching pages); "plan" once, when the live records are
 * in and the diff starts (done and total 0); "apply" when the push starts
 * (done 0) and as each write finishes. Called from the thread that called
 * tu_run, during tu_run; the struct is borrowed for the call. */
typedef struct tu_progress {
    const char *phase;
    size_t done;
    size_t total;
} tu_progress;

typedef void (*tu_progress_fn)(const tu_progress *progress, void *data);

/* One record's outcome: what a report's `results` entry holds
 * (docs/report.md), typed. The same struct comes from a report
 * (tu_report_result) and, as each record's outcome is known, to the record
 * callbacks (tu_options.record, tu_job_callbacks.record). A skipped record
 * reaches the callbacks only (a report's results leave skips out), as
 * action "skip", status "skipped". Every pointer is borrowed: from a
 * report, valid until tu_report_free; in a callback, during the call. */
typedef struct tu_record_result {
    const char *key;        /* the key's values joined with '|', as in the
                               report: "www.example.org.|A" */
    const char *action;     /* "create", "update", "delete", "replace",
                               "skip", or "none" (the record could not be
                               planned) */
    const char *status;     /* "planned" (plan mode), "ok", "failed", or
                               "skipped" (already as desired) */
    const char *message;    /* error, else note; NULL: neither */
    long http_status;       /* of the last answer; 0: none */
    unsigned attempts;      /* requests sent for it; 0: none (then the
                               report has no http_status nor attempts) */
    const char *error;      /* why it failed; NULL: it did not */
    const char *note;       /* what a person should know; NULL: none */
    const char *refused;    /* "protected" or "owned": a declared change
                               refused (docs/report.md); NULL: none */
    const char *id;         /* a create's: the id the server gave the
                               record; NULL: none */
    const char *changes;    /* {field: {before?, after}} as compact JSON
                               text (json_loads it for values); NULL: none */
    /* The key field by field, in the target's key order (resource.key):
     * names and values as the label writes them (a number as its digits),
     * so a value holding '|' stays whole. key_count 0: not known (a
     * failure read back from a plan file). */
    size_t key_count;
    const char *const *key_names;
    const char *const *key_values;
    /* The resource the record belongs to, in a desired state of several
     * (resources: docs/systems.md); NULL in one of one resource. */
    const char *resource;
} tu_record_result;

/* A record callback of tu_options: `result` is borrowed for the call. */
typedef void (*tu_record_fn)(const tu_record_result *result, void *data);

typedef struct tu_options {
    tu_mode mode;
    long concurrency;          /* > 0 overrides settings.concurrency */
    int prune;                 /* -1: as the file says; 0: off; 1: on */
    int force;                 /* go past the safety thresholds
                                  (settings.max_updates, max_deletes) */
    int change_protected;      /* make declared changes to the records a
                                  provider protects (PowerDNS: a zone's SOA
                                  and apex NS); these are never pruned nor
                                  deleted, whatever the options */
    tu_progress_fn progress;   /* NULL: no progress reports */
    void *progress_data;
    /* NULL, or a flag that a signal handler (or another thread) may set:
     * it is only polled, never written, by the library. Once it is nonzero,
     * no new request starts, those in flight get a few seconds to finish,
     * and tu_run still reports what happened to every record (unsent
     * changes failed as "cancelled before it was sent"), so that a re-run
     * converges. Cancelled during the fetch, tu_run returns NULL and
     * nothing was pushed. */
    volatile sig_atomic_t *cancel;
    /* Plan mode: also build a plan file (tu_report_plan_file), sealed with
     * HMAC-SHA256 under plan_key when that is set, else with SHA-256. */
    int plan_file;
    const char *plan_key;
    /* shard_count > 0: only the records of shard shard_index (0 ..
     * shard_count - 1), split by a stable hash of the key (by zone for
     * PowerDNS), so that N runs cover every record exactly once; prune
     * deletes only within the shard. tu_shard_parse reads "I/N". */
    long shard_index, shard_count;
    /* NULL, or called with each record's outcome as it is known (as a
     * job's record callback is: in plan mode every record once the plan is
     * made; in apply mode skips and records that cannot be planned once
     * the plan is made, each change once the API answered for it), once
     * per record, from the thread that called tu_run (or
     * tu_plan_file_run), during the call; in a job, after the job's own
     * record callback. Not for tu_export. */
    tu_record_fn record;
    void *record_data;
} tu_options;

/* Read a shard "I/N" (0 <= I < N) into options' shard_index and
 * shard_count. 0, or -1 with `error` filled. Threads: any thread. */
TU_API int tu_shard_parse(const char *text, long *index, long *count,
                          tu_error *error);

/* Fill `options` with the defaults: plan mode, everything as the file says.
 * Threads: any thread (changes `options`). */
TU_API void tu_options_init(tu_options *options);

/* The outcome of a run. */
typedef struct tu_report tu_report;

/* Fetch the live records, plan, and in apply mode push what differs.
 * Returns NULL when the run could not proceed (the live state could not be
 * fetched, or the plan is invalid): `error` says why and nothing was pushed.
 * Otherwise returns a report, whose records may individually have failed.
 * Blocks until the run is over. Ownership: the report is the caller's
 * (tu_report_free) and borrows nothing from `desired` or `options`.
 * Threads: reads `desired` and `options`: several threads may run the
 * same desired state at once, each with its own error (and cancel flag,
 * if each is to be cancelled alone). */
TU_API tu_report *tu_run(const tu_desired *desired, const tu_options *options,
                         tu_error *error);

/* Fetch the live records and write them as a desired-state YAML document
 * (a `records` list, docs/desired-state.md), so that an existing API or
 * zone can be adopted: planning the target with the exported records shows
 * no changes. Returns the text (the caller's: tu_free), or NULL with `error` filled
 * when the records could not be fetched. Only the options' concurrency,
 * progress and cancel are used. Blocks until done. Threads: as tu_run. */
TU_API char *tu_export(const tu_desired *desired, const tu_options *options,
                       tu_error *error);

/* ---- the non-blocking face: jobs ---------------------------------------
 *
 * A job is one run (tu_job_new: plan or apply, as tu_run) or one export
 * (tu_job_new_export, as tu_export) that the caller's event loop drives,
 * so that many of them run in one loop, in one thread, without blocking it.
 * tu_run and tu_export are short loops over the same job.
 *
 *   1. tu_job_new() loads nothing and sends nothing yet: it checks the
 *      options and queues the first requests.
 *   2. tu_job_attach() (or an adapter: trueup/adapters/libuv.h, libevent.h,
 *      poll.h) gives the job two functions of the loop's: `watch`, which
 *      the job calls to say which sockets to watch and for what, and
 *      `timer`, which it calls to say when its one timer should fire (its
 *      retries, backoff, rate limit, deadline and libcurl's own timeouts
 *      are folded into that one timer). The timer is set to 0 at once.
 *   3. The loop calls tu_job_socket_ready() when a watched socket is ready
 *      and tu_job_timeout() when the timer fires. Each does what can be
 *      done now and returns: fetching, planning (CPU work, done inline),
 *      pushing. Neither waits. The library owns no thread.
 *   4. As each record's outcome is known, the job calls `record`; at the
 *      end it removes every watch, stops its timer and calls `done`. The
 *      report (tu_job_report) or the error (tu_job_error) stays with the
 *      job until tu_job_free.
 *
 * Threads: a job is driven from one thread at a time (the calls that change
 * it, below, must not overlap); the callbacks run in the thread that called
 * into the job, during tu_job_attach, tu_job_socket_ready, tu_job_timeout,
 * tu_job_cancel and tu_job_free, never at any other time. Different jobs
 * are independent, in one thread or several; a job only reads its
 * tu_desired, so jobs may share one (as tu_run calls may). The desired
 * state and the options' cancel flag must outlive the job.
 */
typedef struct tu_job tu_job;

/* What the watch function is asked to watch a socket for: a combination
 * of these, or 0 to stop watching it (before it is closed). */
#define TU_WATCH_READ 1
#define TU_WATCH_WRITE 2

/* What tu_job_socket_ready is told happened on a socket (0: unknown, let
 * the library find out). */
#define TU_EVENT_READ 1
#define TU_EVENT_WRITE 2
#define TU_EVENT_ERROR 4

/* What the caller wants to hear from a job. Every member may be NULL. */
typedef struct tu_job_callbacks {
    /* One record's outcome (tu_record_result, borrowed for the call): in
     * plan mode, every record once the plan is made; in apply mode,
     * records already as desired (or that cannot be planned) once the
     * plan is made, and each change once the API has answered for it.
     * Called once per record, before the options' record callback. */
    void (*record)(tu_job *job, const tu_record_result *result, void *data);
    /* The job is over. `report` (borrowed; NULL for an export or when the
     * run could not proceed) and `error` (borrowed; NULL when the job
     * succeeded) are those of tu_job_report and tu_job_error. The job may
     * be freed in this callback. */
    void (*done)(tu_job *job, const tu_report *report, const tu_error *error,
                 void *data);
    void *data;
} tu_job_callbacks;

/* What a job needs from an event loop (an adapter fills it in). */
typedef struct tu_job_events {
    /* Watch `fd` for `what` (TU_WATCH_* bits), replacing what was asked
     * for it before; 0: stop watching it. A socket is always unwatched
     * before the library closes it. Returns 0, or -1 when it cannot watch
     * the socket (out of memory): the job's requests then fail, and the
     * job ends with an error. */
    int (*watch)(tu_job *job, int fd, int what, void *data);
    /* Call tu_job_timeout once, after timeout_ms (0: as soon as the loop
     * can, but not from inside this callback), replacing any timer set
     * before; -1: no timer. */
    void (*timer)(tu_job *job, long timeout_ms, void *data);
    /* NULL, or called once by tu_job_free, after the last watch was
     * removed and the timer stopped: the adapter frees its state. */
    void (*cleanup)(tu_job *job, void *data);
    void *data;
} tu_job_events;

/* A run (plan or apply, as options->mode says) as a job. The options and
 * callbacks are copied; `desired` is borrowed and must outlive the job.
 * Returns NULL with `error` filled when the options or the HTTP set-up are
 * wrong (nothing was sent); the job is the caller's (tu_job_free).
 * Threads: reads `desired` and `options`. */
TU_API tu_job *tu_job_new(const tu_desired *desired,
                          const tu_options *options,
                          const tu_job_callbacks *callbacks, tu_error *error);

/* An export (tu_export) as a job; its text is tu_job_take_export's.
 * Ownership and threads: as tu_job_new (Threads: any thread; the job is
 * then driven from one thread at a time). */
TU_API tu_job *tu_job_new_export(const tu_desired *desired,
                                 const tu_options *options,
                                 const tu_job_callbacks *callbacks,
                                 tu_error *error);

/* Hand the job to an event loop (once; `events` is copied). The job calls
 * events->timer with 0 before this returns. 0, or -1 with `error` filled
 * (attached already, or the watch or timer function is missing, or out
 * of memory).
 * Threads: changes `job`. */
TU_API int tu_job_attach(tu_job *job, const tu_job_events *events,
                         tu_error *error);

/* A watched socket is ready: `events` are TU_EVENT_* bits. Does what can
 * be done now and returns. Ignored once the job is over. Threads: changes
 * `job`. */
TU_API void tu_job_socket_ready(tu_job *job, int fd, int events);

/* The job's timer fired. Does what is due and returns. Ignored once the
 * job is over. Threads: changes `job`. */
TU_API void tu_job_timeout(tu_job *job);

/* Stop the job, as tu_options.cancel does: nothing new is sent, requests
 * in flight get a few seconds to finish, and the job still ends with
 * `done`: with an error of kind cancelled when it was reading the live
 * records (nothing was pushed), else with a report in which the records
 * not done failed ("cancelled before it was sent"). May be called from a
 * callback; does nothing once the job is over. Threads: changes `job`
 * (from another thread, set options.cancel instead). */
TU_API void tu_job_cancel(tu_job *job);

/* Whether the job is over (done was called or is being called).
 * Threads: reads `job`. */
TU_API int tu_job_finished(const tu_job *job);

/* The report of a finished run, borrowed: valid until tu_job_free or
 * tu_job_take_report. NULL while running, for an export, or when the run
 * could not proceed. Threads: reads `job`. */
TU_API const tu_report *tu_job_report(const tu_job *job);

/* The report, handed over: the caller frees it with tu_report_free (NULL:
 * as tu_job_report). Threads: changes `job`. */
TU_API tu_report *tu_job_take_report(tu_job *job);

/* Why a finished job failed, borrowed (valid until tu_job_free); NULL while
 * running or when it succeeded. Threads: reads `job`. */
TU_API const tu_error *tu_job_error(const tu_job *job);

/* The text of a finished export (the caller's: tu_free), handed over; NULL
 * otherwise. Threads: changes `job`. */
TU_API char *tu_job_take_export(tu_job *job);

/* Free a job, finished or not (an unfinished one is dropped: every watch
 * is removed and the timer stopped, and done is not called; requests in
 * flight are abandoned). May be called from the job's callbacks: it then
 * takes effect when the library returns to the loop. Threads: changes
 * `job`. */
TU_API void tu_job_free(tu_job *job);

typedef struct tu_counts {
    size_t total;      /* records considered */
    size_t succeeded;  /* changes the API accepted (apply mode) */
    size_t skipped;    /* records already in the desired state */
    size_t failed;     /* changes that failed or could not be planned */
    size_t created;    /* in plan mode: planned; in apply mode: done */
    size_t updated;
    size_t deleted;
    size_t replaced;   /* deleted, then created (an immutable field) */
    size_t requests;   /* HTTP requests sent, retries and fetches included */
} tu_counts;

/* Fill `counts` from the report. Threads: reads `report`. */
TU_API void tu_report_counts(const tu_report *report, tu_counts *counts);

/* True when anything changed (apply) or would change (plan).
 * Threads: reads `report`. */
TU_API int tu_report_changed(const tu_report *report);

/* The report as a JSON object (docs/report.md). Made by the first call:
 * a report of many results is much quicker to write with tu_report_dumpf,
 * which makes no jansson value per result. NULL only when out of memory.
 * Ownership: borrowed, valid until tu_report_free; json_incref it to keep
 * it longer, json_deep_copy it to change it. Threads: reads `report` (the
 * first call is safe from several threads at once; jansson's reference
 * counts are atomic, its reads take no lock). */
TU_API const json_t *tu_report_json(const tu_report *report);

/* Every member of the report but "results": the counts, warnings,
 * target... (docs/report.md). Made with the report, so it costs nothing.
 * Ownership: as tu_report_json. Threads: reads `report`. */
TU_API const json_t *tu_report_summary(const tu_report *report);

/* The number of results of the report: the records that had an action
 * (every record but the skips, as the JSON's `results`). Threads: reads
 * `report`. */
TU_API size_t tu_report_result_count(const tu_report *report);

/* The index-th result (0 .. tu_report_result_count - 1), in the order of
 * the JSON's `results`; NULL past the last. Made with the report, so it
 * costs nothing and needs no JSON. Ownership: borrowed, as everything it
 * points to, valid until tu_report_free. Threads: reads `report`. */
TU_API const tu_record_result *tu_report_result(const tu_report *report,
                                                size_t index);

/* The report as JSON text in the layout the trueup command writes: one
 * member a line, one result (and one item of every other list) a line
 * (TU_JSON_LINES). Written straight from the run's outcome, in pieces of
 * about 64 KiB. 0, or -1 (out of memory, write error). Threads: reads
 * `report`. */
TU_API int tu_report_dumpf(const tu_report *report, FILE *out);

/* The same text as a new string (the caller's: tu_free); NULL when out of
 * memory. Threads: reads `report`. */
TU_API char *tu_report_dumps(const tu_report *report);

/* Free a report and its JSON (unless incref'd); NULL is ignored.
 * Threads: changes `report`. */
TU_API void tu_report_free(tu_report *report);

/* json_dumps, with every real number written in the shortest text that
 * reads back as the same double (558.8, where jansson writes
 * 558.79999999999995), still a real (600.0). trueup writes all its JSON
 * this way. A new string (the caller's: tu_free), or NULL when out of
 * memory. Threads: reads `value` (jansson's reads take no lock). */
TU_API char *tu_json_dumps(const json_t *value, size_t flags);

/* The same, written to `out`. 0, or -1 (out of memory, write error).
 * Threads: reads `value`; writes `out` (one writer of a FILE at a time). */
TU_API int tu_json_dumpf(const json_t *value, FILE *out, size_t flags);

/* A flag of tu_json_dumps and tu_json_dumpf (alone: other flags are
 * ignored with it): an object in the layout trueup writes reports and
 * plan files in, one member a line and one item of a list a line, every
 * value compact (docs/report.md). -1 / NULL for a value that is not an
 * object. */
#define TU_JSON_LINES ((size_t)0x1000000)

/* ---- plan files (docs/plan-file.md) -------------------------------------- */

/* The plan file of a plan-mode run made with options.plan_file: a JSON
 * object to write to a file as it is (jansson's json_dump_file), or NULL.
 * Borrowed: valid until tu_report_free. Threads: reads `report`. */
TU_API const json_t *tu_report_plan_file(const tu_report *report);

/* Beside a plan file PATH, PATH TU_PLAN_FILE_USED_SUFFIX records that it
 * was applied (created before the first change is pushed). Writing a new
 * plan to PATH should remove it. */
#define TU_PLAN_FILE_USED_SUFFIX ".applied"

/* A plan file, read and checked. */
typedef struct tu_plan_file tu_plan_file;

/* 1 when `path` holds a JSON object that says it is a plan file, else 0
 * (a desired-state YAML file, unreadable, anything else). Threads: any
 * thread (it only reads the file). */
TU_API int tu_plan_file_detect(const char *path);

/* Read a plan file and check it: its format version, its checksum (with
 * `key`, as the plan was made: NULL for SHA-256), every member. Reads the
 * target's secrets from the environment, as tu_desired_load does. NULL
 * with `error` filled when anything is wrong. Ownership: the result is the
 * caller's (tu_plan_file_free). Threads: any thread (it reads the
 * environment: not while another thread calls setenv). */
TU_API tu_plan_file *tu_plan_file_load(const char *path, const char *key,
                                       tu_error *error);

/* The desired state the plan file names (its target and settings; no
 * records): for tu_desired_secret. Borrowed: valid until
 * tu_plan_file_free. Threads: reads `plan`. */
TU_API const tu_desired *tu_plan_file_desired(const tu_plan_file *plan);

/* Re-read the live records the plan file changes and compare them with the
 * values it was planned against. Any difference, or a plan already applied
 * (its PATH.applied exists), and this returns NULL with `error` naming the
 * records: nothing was pushed. Otherwise, in plan mode, a report of the
 * planned changes; in apply mode, the plan is recorded as applied, then
 * exactly its changes are pushed (nothing new is planned), and the report
 * says what happened. Of the options, mode, concurrency, force (the safety
 * thresholds only), progress and cancel are used. Blocks until done.
 * Ownership: the report is the caller's (tu_report_free). Threads: one
 * run of a plan file at a time (it marks the file applied). */
TU_API tu_report *tu_plan_file_run(tu_plan_file *plan,
                                   const tu_options *options,
                                   tu_error *error);

/* Free a plan file; NULL is ignored. Threads: changes `plan`. */
TU_API void tu_plan_file_free(tu_plan_file *plan);

#ifdef __cplusplus
}
#endif

#endif /* TRUEUP_TRUEUP_H */
