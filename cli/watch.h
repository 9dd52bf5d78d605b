/* watch.h -- trueup watch: the parts of the long-running reconciler.
 *
 *   watch.c        the scheduler: sets, passes, back-off, signals, the
 *                  one poll loop that drives every job and the server
 *   watch_set.c    a set's files: loading, reloading, noticing changes
 *                  (inotify, or stat polling)
 *   watch_events.c one JSON line per pass (and per failed reload)
 *   watch_settle.c after a stop, which creates cut off are on the server
 *   metrics.c      the Prometheus text exposition of the sets' stats (pure)
 *   http_server.c  a small non-blocking HTTP/1.1 server for /metrics,
 *                  /healthz and /readyz, driven from the same loop
 *   http_parse.c   its request parser (pure)
 *
 * Everything runs on one thread; the library is used only through its
 * public API (jobs, tu_job_new, attached to the poll adapter's loop).
 * docs/watch.md is the user's page, docs/internals/watch.md the design.
 */
#ifndef TU_CLI_WATCH_H
#define TU_CLI_WATCH_H

#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <trueup/trueup.h>

#include "cli.h"
#include "util/buffer.h"

/* How a pass ended: the `outcome` label of trueup_passes_total. */
typedef enum {
    TU_PASS_OK = 0,     /* ran to the end, no record failed */
    TU_PASS_FAILED,     /* ran to the end, some records failed */
    TU_PASS_REFUSED,    /* apply refused by a safety threshold */
    TU_PASS_ERROR,      /* could not proceed (API down, ...) */
    TU_PASS_OUTCOMES
} tu_pass_outcome;

/* The error kinds counted per set: tu_error_code values (TU_ERR_PLAN is
 * the last), so that trueup_errors_total{kind} uses tu_error_code_name. */
#define TU_WATCH_ERROR_KINDS (TU_ERR_PLAN + 1)

/* What the metrics say of one set. Written by watch.c, read by metrics.c.
 * Times are Unix seconds (0: never). */
typedef struct tu_watch_stats {
    const char *name;            /* the set's name (a label value) */
    int apply;                   /* mode: correct (1) or report (0) */
    int has_pass;                /* a pass has ended */
    int last_ok;                 /* the last pass's outcome was OK */
    int stale;                   /* the files' last edit was invalid: the
                                    last good desired state is in use */
    int ready;                   /* as /readyz judges it, now */
    unsigned consecutive_failures;
    double last_duration_s, last_pass_time, last_success_time;
    double backoff_s;            /* the delay before the next pass, when it
                                    follows a failure; 0 otherwise */
    /* the last pass that made a report */
    size_t total, drifted, created, updated, deleted, replaced, failed,
           skipped, left_alone;
    unsigned long long passes[TU_PASS_OUTCOMES];
    unsigned long long errors[TU_WATCH_ERROR_KINDS];
    unsigned long long loads_ok, loads_failed;
    unsigned long long requests, retries, records_failed;
    /* created, updated, deleted, replaced, summed over the passes */
    unsigned long long changes_total[4];
} tu_watch_stats;

/* Everything /metrics shows. */
typedef struct tu_watch_metrics {
    const char *version;
    double start_time;               /* Unix seconds */
    int ready;
    const tu_watch_stats *const *sets;
    size_t nsets;
    /* Texts that must never appear: every set's secrets
     * (tu_desired_secret). A label value holding one is written "***". */
    const char *const *secrets;
    size_t nsecrets;
} tu_watch_metrics;

/* When the next pass of a set is due, in ms after the last one ended
 * (metrics.c): with no failure in a row (or after a threshold refusal,
 * which the caller passes as 0), the interval +-10%; after `failures`
 * failed passes in a row, min(1 s, interval) doubled failures - 1 times,
 * capped at the interval, then from half of it to all of it. `r` in
 * [0, 1) picks the jitter. Pure. */
long long tu_watch_next_delay_ms(long long interval_ms, unsigned failures,
                                 double r);

/* The name of an outcome: "ok", "failed", "refused", "error" (metrics.c). */
const char *tu_pass_outcome_name(tu_pass_outcome outcome);

/* The Prometheus text exposition (format 0.0.4) of `m`, appended to
 * `out`. 0, or -1 when out of memory. Pure: reads `m` only. */
int tu_watch_metrics_render(const tu_watch_metrics *m, tu_buffer *out);

/* A label value as the text format writes it (\\, \" and \n escaped),
 * or "***" when it holds one of the secrets. 0 or -1 (memory). */
int tu_watch_label_value(tu_buffer *out, const char *value,
                         const char *const *secrets, size_t nsecrets);

/* ---- the HTTP server (http_server.c) ------------------------------------ */

/* A parsed request head. Pointers point into the parsed text. */
typedef struct tu_http_request {
    const char *method;  size_t method_len;
    const char *path;    size_t path_len;     /* without the query */
    int minor;                                /* HTTP/1.minor */
    int keep_alive;                           /* the connection stays */
    size_t head_len;                          /* bytes of the head */
} tu_http_request;

/* Parse the request head at the start of `text` (`len` bytes). Returns 1
 * with `req` filled when the head is whole, 0 when more bytes are needed,
 * or an HTTP status (400, 413, 431, 501, 505) when the request must be
 * refused. Lines may end in CRLF or LF. A request with a body is refused
 * (413): the server only answers GET and HEAD. Pure. */
int tu_http_parse_request(const char *text, size_t len,
                          tu_http_request *req);

/* The maximum size of a request head. */
#define TU_HTTP_MAX_HEAD 8192

/* What the server asks its owner for each request: fill `body` and
 * `content_type`, return the status (200, 404, 503...). */
typedef int (*tu_http_handler)(const char *path, size_t path_len,
                               tu_buffer *body, const char **content_type,
                               void *data);

typedef struct tu_http_server tu_http_server;

/* Listen on `address` ("HOST:PORT", "[V6]:PORT"). NULL with a message on
 * stderr when it cannot. */
tu_http_server *tu_http_server_new(const char *address,
                                   tu_http_handler handler, void *data);
/* The port listened on (for port 0, the one the system chose). */
int tu_http_server_port(const tu_http_server *s);
/* Append the server's sockets to `pfds` (room for tu_http_server_nfds). */
size_t tu_http_server_nfds(const tu_http_server *s);
size_t tu_http_server_fill(tu_http_server *s, struct pollfd *pfds);
/* Handle what poll() said of the sockets `fill` gave (same order). */
void tu_http_server_ready(tu_http_server *s, const struct pollfd *pfds,
                          size_t n, long long now_ms);
/* When the next idle connection times out (ms, monotonic); -1: none. */
long long tu_http_server_due(const tu_http_server *s);
void tu_http_server_free(tu_http_server *s);

/* ---- sets' files (watch_set.c) ------------------------------------------ */

typedef struct tu_watch_files {
    char *dir;          /* the set is a directory: its *.yaml, *.yml */
    char **paths;       /* the files, as last listed */
    size_t npaths;
    tu_buffer stamp;    /* names and stat of each, to see a change */
} tu_watch_files;

/* Read a SET argument: "[NAME=]FILE[,FILE...]" or "[NAME=]DIR". Fills
 * `files` and `*name` (malloc'd). 0, or -1 with an error on stderr. */
int tu_watch_files_parse(const char *arg, tu_watch_files *files,
                         char **name);
/* List the files again (a directory's may change) and stamp them.
 * Returns 1 when the stamp differs from before, 0 when not, -1 when out
 * of memory. */
int tu_watch_files_restamp(tu_watch_files *files);
void tu_watch_files_free(tu_watch_files *files);

/* inotify on the directories holding the files; -1 when not available
 * (then the caller polls). */
int tu_watch_inotify_open(void);
/* Watch the directories of `files` on inotify fd `fd`. 0 or -1. */
int tu_watch_inotify_add(int fd, const tu_watch_files *files);
/* Read and drop the pending events of `fd`. */
void tu_watch_inotify_drain(int fd);

/* ---- events (watch_events.c) -------------------------------------------- */

/* One line of JSON for a pass: the set, its number, outcome, duration
 * and, as it is, the report (or the error). 0 or -1 (write error). */
int tu_watch_event_pass(FILE *out, const char *set, unsigned long long pass,
                        int apply, tu_pass_outcome outcome, double seconds,
                        const tu_report *report, const tu_error *error);
/* One line of JSON for a reload: its error (NULL: it worked). */
int tu_watch_event_load(FILE *out, const char *set, const tu_error *error,
                        int keeping_last_good);

/* A new event object {"event", "time", "set"} (a new reference; NULL
 * when out of memory), and writing one as a line (stolen). 0 or -1. */
json_t *tu_watch_event_new(const char *event, const char *set);
int tu_watch_event_write(FILE *out, json_t *event);

/* ---- settling creates a stop cut off (watch_settle.c) -------------------- */

typedef struct tu_watch_keys {
    char **items;
    size_t count;
} tu_watch_keys;

/* The keys of the report's creates that were sent and never answered.
 * 0 or -1 (memory). Free with tu_watch_keys_free. */
int tu_watch_uncertain_creates(const tu_report *report, tu_watch_keys *keys);
void tu_watch_keys_free(tu_watch_keys *keys);
/* Say which of `keys` a plan made after the stop finds on the server
 * ("done") or not ("absent"); plan NULL: "unknown" (error says why).
 * On stderr, and as a "settle" event to `out` (NULL: none). 0 or -1. */
int tu_watch_event_settle(FILE *out, const char *set,
                          const tu_watch_keys *keys, const tu_report *plan,
                          const tu_error *error);

/* ---- the command (watch.c) ---------------------------------------------- */

/* trueup watch: runs until SIGTERM/SIGINT (or one pass with --once).
 * Returns the exit status (docs/cli.md). */
int tu_cli_watch(const tu_cli_args *args);

#endif
