/* trueup.h -- the public API of libtrueup.
 *
 * libtrueup reconciles records kept in a remote API with a desired state
 * written in YAML. The data flows one way:
 *
 *     tu_desired_load()   YAML files -> validated desired state
 *     tu_run()            fetch live records -> plan -> (apply) -> report
 *     tu_report_json()    the report, as a jansson value
 *
 * Ownership: every tu_*_load / tu_run result is owned by the caller and
 * released with the matching tu_*_free. Values returned by accessors
 * (tu_report_json) are borrowed: they live as long as the object they came
 * from. Arguments are only read during the call and not kept, unless a
 * function says otherwise. Every function that can fail takes a tu_error *
 * (which may be NULL) and fills it with a message that says what is wrong,
 * where (file:line) and, where it can, what to do, and with the kind of
 * failure (tu_error_code) for a program to branch on.
 *
 * Threads: the library keeps no global mutable state and starts no thread;
 * callbacks run in the thread that called into it. Each function says
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
    TU_ERR_INTERNAL       /* the HTTP machinery (libcurl) could not be set up
                             or failed; not the input's fault */
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
 * "fetch", "threshold", "cancelled", "nomem", "internal"; "unknown" for a
 * value that is none of them. A static string. Threads: any thread. */
TU_API const char *tu_error_code_name(tu_error_code code);

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

/* Progress of a run, for a terminal display. `phase` is "fetch" or "apply";
 * `done` of `total` requests have finished (total may grow while fetching
 * pages). Called from the thread that called tu_run, during tu_run; the
 * struct is borrowed for the call. */
typedef struct tu_progress {
    const char *phase;
    size_t done;
    size_t total;
} tu_progress;

typedef void (*tu_progress_fn)(const tu_progress *progress, void *data);

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
} tu_options;

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
 * no changes. Returns malloc'd text (free it), or NULL with `error` filled
 * when the records could not be fetched. Only the options' concurrency,
 * progress and cancel are used. Blocks until done. Threads: as tu_run. */
TU_API char *tu_export(const tu_desired *desired, const tu_options *options,
                       tu_error *error);

typedef struct tu_counts {
    size_t total;      /* records considered */
    size_t succeeded;  /* changes the API accepted (apply mode) */
    size_t skipped;    /* records already in the desired state */
    size_t failed;     /* changes that failed or could not be planned */
    size_t created;    /* in plan mode: planned; in apply mode: done */
    size_t updated;
    size_t deleted;
    size_t requests;   /* HTTP requests sent, retries and fetches included */
} tu_counts;

/* Fill `counts` from the report. Threads: reads `report`. */
TU_API void tu_report_counts(const tu_report *report, tu_counts *counts);

/* True when anything changed (apply) or would change (plan).
 * Threads: reads `report`. */
TU_API int tu_report_changed(const tu_report *report);

/* The report as a JSON object (docs/report.md). Ownership: borrowed,
 * valid until tu_report_free; json_incref it to keep it longer, json_deep_copy
 * it to change it. Threads: reads `report` (jansson's reference counts are
 * atomic, its reads take no lock). */
TU_API const json_t *tu_report_json(const tu_report *report);

/* Free a report and its JSON (unless incref'd); NULL is ignored.
 * Threads: changes `report`. */
TU_API void tu_report_free(tu_report *report);

#ifdef __cplusplus
}
#endif

#endif /* TRUEUP_TRUEUP_H */
