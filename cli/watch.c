/* watch.c -- trueup watch: keep reconciling, on an interval and on change.
 *
 * Each set (watch_set.c) keeps its last good desired state and runs one
 * pass at a time: a job (tu_job_new, plan or apply) attached to the poll
 * adapter's loop (trueup/adapters/poll.h). Every set's job, the HTTP
 * server (http_server.c), inotify and a self-pipe for signals share one
 * poll() in one thread (watch_loop below): sets run concurrently without
 * a thread each, and a set never has two passes at once.
 *
 * When a pass is due: the interval (with +-10% jitter) after a pass that
 * ran, or after a threshold refusal (never forced); after a failed pass,
 * an exponential back-off from min(1 s, interval), doubled per failure,
 * capped at the interval, with jitter; a short settle delay after the
 * set's files change (or SIGHUP), whatever else was due. The files are
 * loaded again just before the pass; an invalid edit keeps the last good
 * desired state and says so (stderr, an event, trueup_desired_stale).
 *
 * SIGTERM or SIGINT: no new pass starts; passes under way are cancelled
 * through the options' cancel flag and tu_job_cancel (requests in flight
 * finish; uncertain creates settle, as in apply); the process exits when
 * they end, or after --shutdown-timeout. A second signal ends it at once.
 */
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <trueup/adapters/poll.h>

#include "util/clock.h"

#define SETTLE_MS 200      /* after a file changes, before the pass */
#define FILE_POLL_MS 1000  /* stamping the files without inotify */

typedef struct watch watch;

typedef struct watch_set {
    char *name;
    tu_watch_files files;
    tu_desired *desired;        /* the last good; NULL before the first */
    tu_job *job;                /* the pass under way, or NULL */
    watch *w;
    long long due_ms;           /* the next pass (monotonic); -1: none */
    long long pass_start_ms;
    long long last_success_ms;  /* monotonic; -1: never */
    int changed;                /* files changed since the last load */
    int done_once;              /* --once: its pass ended */
    tu_watch_keys uncertain;    /* stopping: creates cut off, to settle */
    tu_pass_outcome last_outcome;
    tu_watch_stats stats;
} watch_set;

struct watch {
    const tu_cli_args *args;
    watch_set *sets;
    size_t nsets;
    tu_poll_loop loop;
    tu_options options;
    tu_options settle_options;  /* plan, never cancelled */
    tu_http_server *http;
    int inotify_fd;
    long long files_due_ms;     /* the next stamping; -1: on inotify only */
    long long stop_deadline_ms; /* -1: not stopping */
    FILE *events;
    int events_failed;
    double start_time;
    unsigned long long rng;
    struct pollfd *pfds;
    size_t pfds_cap;
    const char **secrets;       /* of every set's desired state */
    size_t nsecrets;
};

/* ---- signals ------------------------------------------------------------ */

static volatile sig_atomic_t stop_flag, reload_flag;
static int wake_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;

    if (sig == SIGHUP) {
        reload_flag = 1;
    } else {
        stop_flag = 1;
        signal(sig, SIG_DFL);   /* a second one ends the process */
    }
    if (wake_pipe[1] >= 0 && write(wake_pipe[1], "x", 1) < 0)
        errno = saved;           /* full: a wake-up is pending anyway */
    errno = saved;
}

static int signals_install(void)
{
    struct sigaction sa;

    if (pipe(wake_pipe) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(wake_pipe[i], F_SETFL, fcntl(wake_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static void drain_wake_pipe(void)
{
    char bytes[64];
    while (read(wake_pipe[0], bytes, sizeof bytes) > 0)
        ;
}

/* ---- time --------------------------------------------------------------- */

static double unix_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* A number in [0, 1) (xorshift64*; no need for more). */
static double random01(watch *w)
{
    w->rng ^= w->rng >> 12;
    w->rng ^= w->rng << 25;
    w->rng ^= w->rng >> 27;
    return (double)((w->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* The delay before the next pass of `s` (tu_watch_next_delay_ms). */
static long long next_delay_ms(watch *w, watch_set *s)
{
    unsigned failures = s->last_outcome == TU_PASS_REFUSED
                        ? 0 : s->stats.consecutive_failures;
    long long delay = tu_watch_next_delay_ms(w->args->watch_interval_ms,
                                             failures, random01(w));

    s->stats.backoff_s = failures ? delay / 1000.0 : 0;
    return delay;
}

/* ---- loading ------------------------------------------------------------ */

/* Every set's secrets, for the metrics to hide. 0 or -1 (memory). */
static int collect_secrets(watch *w)
{
    size_t n = 0;
    const char **list;

    for (size_t i = 0; i < w->nsets; i++)
        for (size_t k = 0; w->sets[i].desired &&
                           tu_desired_secret(w->sets[i].desired, k); k++)
            n++;
    list = calloc(n + 1, sizeof *list);
    if (!list)
        return -1;
    n = 0;
    for (size_t i = 0; i < w->nsets; i++)
        for (size_t k = 0; w->sets[i].desired &&
                           tu_desired_secret(w->sets[i].desired, k); k++)
            list[n++] = tu_desired_secret(w->sets[i].desired, k);
    free(w->secrets);
    w->secrets = list;
    w->nsecrets = n;
    return 0;
}

/* Load the set's files. 0, or -1 with the last good state kept (said on
 * stderr, as an event and in the metrics). */
static int load_set(watch *w, watch_set *s)
{
    tu_error err = {0};
    tu_desired *d;

    s->changed = 0;
    if (tu_watch_files_restamp(&s->files) < 0 || s->files.npaths == 0) {
        err.code = s->files.npaths ? TU_ERR_NOMEM : TU_ERR_IO;
        snprintf(err.message, sizeof err.message, "%s: %s", s->files.dir ?
                 s->files.dir : s->name, s->files.npaths ? "out of memory"
                 : "no *.yaml or *.yml file in the directory");
        d = NULL;
    } else {
        d = tu_desired_load((const char *const *)s->files.paths,
                            s->files.npaths, &err);
    }
    if (!d) {
        s->stats.loads_failed++;
        s->stats.errors[err.code < TU_WATCH_ERROR_KINDS ? err.code : 0]++;
        s->stats.stale = s->desired != NULL;
        tu_cli_error("watch: set '%s': %s%s", s->name, err.message,
                     s->desired ? "; keeping the last good desired state "
                     "until the files are fixed" : "");
        if (w->events)
            tu_watch_event_load(w->events, s->name, &err, s->desired != NULL);
        return -1;
    }
    tu_desired_free(s->desired);
    s->desired = d;
    s->stats.loads_ok++;
    s->stats.stale = 0;
    if (w->events && s->stats.loads_ok > 1)
        tu_watch_event_load(w->events, s->name, NULL, 0);
    return collect_secrets(w);
}

/* ---- passes ------------------------------------------------------------- */

static void write_metrics_file(watch *w);

static tu_pass_outcome outcome_of(const tu_report *report,
                                  const tu_error *error)
{
    tu_counts c;

    if (!report)
        return error && error->code == TU_ERR_THRESHOLD ? TU_PASS_REFUSED
                                                        : TU_PASS_ERROR;
    tu_report_counts(report, &c);
    return c.failed ? TU_PASS_FAILED : TU_PASS_OK;
}

/* Records protection, ownership or the prune scope kept from a change. */
static size_t left_alone(const json_t *summary)
{
    return json_array_size(json_object_get(summary, "left_alone")) +
           (size_t)json_integer_value(json_object_get(summary,
                                                      "out_of_scope")) +
           (size_t)json_integer_value(json_object_get(summary, "not_owned"));
}

/* The last report's counts into the set's stats. */
static void count_report(tu_watch_stats *st, const tu_report *report)
{
    const json_t *summary = tu_report_summary(report);
    tu_counts c;

    tu_report_counts(report, &c);
    st->total = c.total;
    st->drifted = c.total - c.skipped;
    st->created = c.created;
    st->updated = c.updated;
    st->deleted = c.deleted;
    st->replaced = c.replaced;
    st->failed = c.failed;
    st->skipped = c.skipped;
    st->left_alone = left_alone(summary);
    st->requests += c.requests;
    st->retries += (unsigned long long)json_integer_value(
        json_object_get(summary, "retries"));
    st->records_failed += c.failed;
    st->changes_total[0] += c.created;
    st->changes_total[1] += c.updated;
    st->changes_total[2] += c.deleted;
    st->changes_total[3] += c.replaced;
}

static void note_outcome(watch_set *s, tu_pass_outcome o,
                         const tu_report *report, const tu_error *error)
{
    tu_watch_stats *st = &s->stats;
    long long now = tu_clock_ms();

    st->has_pass = 1;
    st->passes[o]++;
    st->last_duration_s = (now - s->pass_start_ms) / 1000.0;
    st->last_pass_time = unix_now();
    st->last_ok = o == TU_PASS_OK;
    if (report)
        count_report(st, report);
    if (error && error->code > TU_OK && error->code < TU_WATCH_ERROR_KINDS)
        st->errors[error->code]++;
    if (o == TU_PASS_OK) {
        st->last_success_time = st->last_pass_time;
        s->last_success_ms = now;
        st->consecutive_failures = 0;
    } else if (o != TU_PASS_REFUSED) {
        st->consecutive_failures++;
    }
    s->last_outcome = o;
}

/* Say on stderr what a pass that did not succeed did. */
static void say_outcome(const watch_set *s, tu_pass_outcome o,
                        const tu_error *error)
{
    if (o == TU_PASS_OK)
        return;
    if (o == TU_PASS_FAILED)
        fprintf(stderr, "trueup: watch: set '%s': %zu record%s failed (see "
                "the event)\n", s->name, s->stats.failed,
                s->stats.failed == 1 ? "" : "s");
    else
        tu_cli_error("watch: set '%s': %s%s", s->name, error->message,
                     o == TU_PASS_REFUSED ? "; not forced: retried at the "
                     "next interval" : "");
}

/* The pass's event line; a write error is said once, then events stop. */
static void write_pass_event(watch *w, watch_set *s, tu_pass_outcome o,
                             const tu_report *report, const tu_error *error)
{
    unsigned long long n = 0;

    for (int i = 0; i < TU_PASS_OUTCOMES; i++)
        n += s->stats.passes[i];
    if (!w->events || w->events_failed)
        return;
    if (tu_watch_event_pass(w->events, s->name, n, w->args->mode ==
                            TU_MODE_APPLY, o, s->stats.last_duration_s,
                            report, error) != 0) {
        tu_cli_error("watch: cannot write the events: %s", strerror(errno));
        w->events_failed = 1;
    }
}

static void on_pass_done(tu_job *job, const tu_report *report,
                         const tu_error *error, void *data)
{
    watch_set *s = data;
    watch *w = s->w;
    tu_pass_outcome o = outcome_of(report, error);
    long long delay;

    note_outcome(s, o, report, error);
    say_outcome(s, o, error);
    write_pass_event(w, s, o, report, error);
    write_metrics_file(w);
    if (report && stop_flag &&
        tu_watch_uncertain_creates(report, &s->uncertain) != 0)
        tu_cli_error("watch: out of memory");
    if (job)
        tu_job_free(job);
    s->job = NULL;
    s->done_once = 1;
    delay = next_delay_ms(w, s);
    s->due_ms = w->args->watch_once ? -1 : tu_clock_ms() + delay;
    if (s->changed && s->due_ms >= 0)
        s->due_ms = tu_clock_ms() + SETTLE_MS;
}

/* Start a pass of `s` (its files loaded again first when they changed). */
static void pass_start(watch *w, watch_set *s)
{
    tu_job_callbacks cb = {NULL, on_pass_done, s};
    tu_error err = {0};
    tu_job *job;

    if (s->changed)
        load_set(w, s);
    s->due_ms = -1;
    s->pass_start_ms = tu_clock_ms();
    job = tu_job_new(s->desired, &w->options, &cb, &err);
    if (job && tu_poll_attach(job, &w->loop, &err) != 0) {
        tu_job_free(job);
        job = NULL;
    }
    if (!job) {
        on_pass_done(NULL, NULL, &err, s);
        return;
    }
    s->job = job;
}

/* The plan that settles the creates a stop cut off has ended. */
static void on_settle_done(tu_job *job, const tu_report *report,
                           const tu_error *error, void *data)
{
    watch_set *s = data;

    if (tu_watch_event_settle(s->w->events_failed ? NULL : s->w->events,
                              s->name, &s->uncertain, report, error) != 0)
        s->w->events_failed = 1;
    tu_watch_keys_free(&s->uncertain);
    if (job)
        tu_job_free(job);
    s->job = NULL;
}

/* Read the live records again to say which cut-off creates landed. */
static void settle_start(watch *w, watch_set *s)
{
    tu_job_callbacks cb = {NULL, on_settle_done, s};
    tu_error err = {0};
    tu_job *job = tu_job_new(s->desired, &w->settle_options, &cb, &err);

    if (job && tu_poll_attach(job, &w->loop, &err) != 0) {
        tu_job_free(job);
        job = NULL;
    }
    if (!job)
        on_settle_done(NULL, NULL, &err, s);
    else
        s->job = job;
}

/* ---- health and metrics ------------------------------------------------- */

/* Is the set's last success recent: within --ready-intervals intervals
 * (plus the last pass's own duration, for passes longer than one)? */
static int set_ready(const watch *w, const watch_set *s, long long now)
{
    long long limit = w->args->watch_ready_intervals *
                      w->args->watch_interval_ms +
                      (long long)(s->stats.last_duration_s * 1000);
    return s->last_success_ms >= 0 && now - s->last_success_ms <= limit;
}

static int all_ready(watch *w)
{
    long long now = tu_clock_ms();
    int ready = 1;

    for (size_t i = 0; i < w->nsets; i++) {
        w->sets[i].stats.ready = set_ready(w, &w->sets[i], now);
        ready &= w->sets[i].stats.ready;
    }
    return ready;
}

/* The metrics text of every set into `out`. 0 or -1 (memory). */
static int render_metrics(watch *w, tu_buffer *out)
{
    const tu_watch_stats **sets = calloc(w->nsets + 1, sizeof *sets);
    tu_watch_metrics m = {tu_version(), w->start_time, all_ready(w), sets,
                          w->nsets, w->secrets, w->nsecrets};
    int rc;

    if (!sets)
        return -1;
    for (size_t i = 0; i < w->nsets; i++)
        sets[i] = &w->sets[i].stats;
    rc = tu_watch_metrics_render(&m, out);
    free(sets);
    return rc;
}

static int serve_metrics(watch *w, tu_buffer *body, const char **type)
{
    *type = "text/plain; version=0.0.4; charset=utf-8";
    return render_metrics(w, body) == 0 ? 200 : 503;
}

/* --metrics-file: the metrics after a pass, for a textfile collector. */
static void write_metrics_file(watch *w)
{
    tu_buffer text = TU_BUFFER_INIT;

    if (!w->args->watch_metrics_file)
        return;
    if (render_metrics(w, &text) != 0 || tu_buffer_puts(&text, "") != 0)
        tu_cli_error("watch: out of memory");
    else
        tu_cli_write_text_file(w->args->watch_metrics_file, text.data);
    tu_buffer_free(&text);
}

/* /readyz: 200 "ready", or 503 naming the sets that are not. */
static int serve_ready(watch *w, tu_buffer *body)
{
    if (all_ready(w))
        return tu_buffer_puts(body, "ready\n") == 0 ? 200 : 503;
    for (size_t i = 0; i < w->nsets; i++) {
        const watch_set *s = &w->sets[i];
        char line[160];
        if (s->stats.ready)
            continue;
        snprintf(line, sizeof line, "not ready: set '%.60s': %s\n", s->name,
                 s->last_success_ms < 0 ? "no successful pass yet"
                 : "no successful pass within --ready-intervals intervals");
        tu_buffer_puts(body, line);
    }
    return 503;
}

static int path_is(const char *path, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(path, want, len) == 0;
}

static int http_handler(const char *path, size_t len, tu_buffer *body,
                        const char **type, void *data)
{
    watch *w = data;

    if (path_is(path, len, "/metrics"))
        return serve_metrics(w, body, type);
    if (path_is(path, len, "/healthz"))
        return tu_buffer_puts(body, "ok\n") == 0 ? 200 : 503;
    if (path_is(path, len, "/readyz"))
        return serve_ready(w, body);
    tu_buffer_puts(body, path_is(path, len, "/") ? "trueup watch: /metrics "
                   "/healthz /readyz\n" : "not found: try /metrics, "
                   "/healthz or /readyz\n");
    return path_is(path, len, "/") ? 200 : 404;
}

/* ---- the loop ----------------------------------------------------------- */

/* Stamp every set's files; a set whose files changed runs soon. */
static void check_files(watch *w, long long now)
{
    for (size_t i = 0; i < w->nsets; i++) {
        watch_set *s = &w->sets[i];
        if (tu_watch_files_restamp(&s->files) != 1)
            continue;
        s->changed = 1;
        if (!s->job && !w->args->watch_once &&
            (s->due_ms < 0 || s->due_ms > now + SETTLE_MS))
            s->due_ms = now + SETTLE_MS;
    }
    if (w->inotify_fd < 0)
        w->files_due_ms = now + FILE_POLL_MS;
}

/* SIGHUP: load every set again now (after its pass under way, if any). */
static void reload_all(watch *w, long long now)
{
    reload_flag = 0;
    fprintf(stderr, "trueup: watch: SIGHUP: loading the files again\n");
    for (size_t i = 0; i < w->nsets; i++) {
        w->sets[i].changed = 1;
        if (!w->sets[i].job && !w->args->watch_once)
            w->sets[i].due_ms = now;
    }
}

/* The first signal to stop: cancel the passes under way. */
static void begin_stop(watch *w, long long now)
{
    size_t running = 0;

    w->stop_deadline_ms = now + w->args->watch_shutdown_ms;
    for (size_t i = 0; i < w->nsets; i++)
        if (w->sets[i].job) {
            running++;
            tu_job_cancel(w->sets[i].job);
        }
    fprintf(stderr, "trueup: watch: stopping%s\n", running ?
            ": letting the passes under way finish their requests" : "");
}

static int settles_pending(const watch *w)
{
    for (size_t i = 0; i < w->nsets; i++)
        if (w->sets[i].uncertain.count)
            return 1;
    return 0;
}

static int jobs_running(const watch *w)
{
    for (size_t i = 0; i < w->nsets; i++)
        if (w->sets[i].job)
            return 1;
    return 0;
}

/* How long poll() may wait: until the next pass, file check, job timer,
 * idle connection or the stop deadline. */
static int wait_ms(watch *w, long long now)
{
    long long due = w->stop_deadline_ms >= 0 ? w->stop_deadline_ms
                                             : w->files_due_ms;
    long long t = w->http ? tu_http_server_due(w->http) : -1;
    int adapter;

    if (t >= 0 && (due < 0 || t < due))
        due = t;
    for (size_t i = 0; w->stop_deadline_ms < 0 && i < w->nsets; i++)
        if (w->sets[i].due_ms >= 0 && (due < 0 || w->sets[i].due_ms < due))
            due = w->sets[i].due_ms;
    t = due < 0 ? -1 : due > now ? due - now : 0;
    adapter = tu_poll_wait_ms(&w->loop, t > 60000 || t < 0 ? 60000 : (long)t);
    return adapter;
}

/* Room for every descriptor of a round. 0 or -1. */
static int reserve_pfds(watch *w, size_t n)
{
    struct pollfd *more;

    if (tu_poll_reserve_pass(&w->loop) != 0)
        return -1;
    if (n <= w->pfds_cap)
        return 0;
    more = realloc(w->pfds, n * sizeof *more);
    if (!more)
        return -1;
    w->pfds = more;
    w->pfds_cap = n;
    return 0;
}

/* The descriptors of a round: the wake pipe, inotify, the server's, then
 * the jobs' (as the adapter watches them). The count, or 0 (memory). */
static size_t fill_pfds(watch *w, size_t *http_at, size_t *jobs_at)
{
    size_t n = 2 + (w->http ? tu_http_server_nfds(w->http) : 0) +
               w->loop.nwatches;

    if (reserve_pfds(w, n) != 0)
        return 0;
    w->pfds[0] = (struct pollfd){wake_pipe[0], POLLIN, 0};
    w->pfds[1] = (struct pollfd){w->inotify_fd, POLLIN, 0};
    n = 2;
    *http_at = n;
    if (w->http)
        n += tu_http_server_fill(w->http, w->pfds + n);
    *jobs_at = n;
    for (size_t i = 0; i < w->loop.nwatches; i++, n++) {
        w->pfds[n] = (struct pollfd){w->loop.watches[i].fd,
                                     w->loop.watches[i].events, 0};
        w->loop.due[i] = w->loop.watches[i].job;
    }
    return n;
}

/* Hand the jobs' ready sockets to them (through the adapter's loop), then
 * fire their timers. */
static void dispatch_jobs(watch *w, size_t jobs_at, size_t n)
{
    for (size_t i = jobs_at; i < n; i++)
        w->loop.pfds[i - jobs_at] = w->pfds[i];
    tu_poll_dispatch(&w->loop, n - jobs_at);
    tu_poll_fire_timers(&w->loop);
}

/* One poll() and what it found. 0, or -1 when poll() failed. */
static int round_once(watch *w)
{
    size_t http_at, jobs_at, n = fill_pfds(w, &http_at, &jobs_at);
    long long now;
    int rc;

    if (n == 0)
        return -1;
    rc = poll(w->pfds, (nfds_t)n, wait_ms(w, tu_clock_ms()));
    if (rc < 0 && errno != EINTR)
        return -1;
    now = tu_clock_ms();
    if (rc > 0 && w->pfds[0].revents)
        drain_wake_pipe();
    if (rc > 0 && w->pfds[1].revents) {
        tu_watch_inotify_drain(w->inotify_fd);
        w->files_due_ms = now + SETTLE_MS / 2;  /* let the writes settle */
    }
    if (w->http)
        tu_http_server_ready(w->http, w->pfds + http_at, jobs_at - http_at,
                             now);
    dispatch_jobs(w, jobs_at, rc > 0 ? n : jobs_at);
    return 0;
}

/* What is due now: signals, file checks, passes. */
static void run_due(watch *w)
{
    long long now = tu_clock_ms();

    if (stop_flag && w->stop_deadline_ms < 0)
        begin_stop(w, now);
    for (size_t i = 0; w->stop_deadline_ms >= 0 && i < w->nsets; i++)
        if (!w->sets[i].job && w->sets[i].uncertain.count)
            settle_start(w, &w->sets[i]);
    if (w->stop_deadline_ms >= 0)
        return;
    if (reload_flag)
        reload_all(w, now);
    if (w->files_due_ms >= 0 && now >= w->files_due_ms) {
        w->files_due_ms = -1;
        check_files(w, now);
    }
    for (size_t i = 0; i < w->nsets; i++)
        if (!w->sets[i].job && w->sets[i].due_ms >= 0 &&
            now >= w->sets[i].due_ms)
            pass_start(w, &w->sets[i]);
}

/* Is the loop over: stopped (and the passes ended, or the deadline
 * passed), or --once with every set's pass done? */
static int finished(const watch *w)
{
    if (w->stop_deadline_ms >= 0)
        return (!jobs_running(w) && !settles_pending(w)) ||
               tu_clock_ms() >= w->stop_deadline_ms;
    if (!w->args->watch_once)
        return 0;
    for (size_t i = 0; i < w->nsets; i++)
        if (!w->sets[i].done_once)
            return 0;
    return 1;
}

static int watch_loop(watch *w)
{
    while (!finished(w)) {
        run_due(w);
        if (finished(w))
            break;
        if (round_once(w) != 0) {
            tu_cli_error("watch: poll: %s", strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* ---- start and end ------------------------------------------------------ */

/* Read every SET argument and load it: at the start, an invalid set is an
 * error (there is no last good state to keep). 0 or -1. */
static int sets_open(watch *w)
{
    w->nsets = w->args->nfiles;
    w->sets = calloc(w->nsets, sizeof *w->sets);
    if (!w->sets)
        return -1;
    for (size_t i = 0; i < w->nsets; i++) {
        watch_set *s = &w->sets[i];
        s->w = w;
        s->due_ms = -1;
        s->last_success_ms = -1;
        if (tu_watch_files_parse(w->args->files[i], &s->files, &s->name) != 0)
            return -1;
        s->stats.name = s->name;
        s->stats.apply = w->args->mode == TU_MODE_APPLY;
        for (size_t k = 0; k < i; k++)
            if (strcmp(w->sets[k].name, s->name) == 0) {
                tu_cli_error("watch: two sets are named '%s': name them "
                             "(NAME=FILE,...)", s->name);
                return -1;
            }
        if (load_set(w, s) != 0)
            return -1;
        s->due_ms = 0;
        if (w->inotify_fd >= 0 && tu_watch_inotify_add(w->inotify_fd,
                                                       &s->files) != 0) {
            close(w->inotify_fd);    /* poll the files instead */
            w->inotify_fd = -1;
        }
    }
    return 0;
}

static void set_pass_options(watch *w)
{
    const tu_cli_args *a = w->args;

    tu_options_init(&w->options);
    w->options.mode = a->mode;
    w->options.concurrency = a->concurrency;
    w->options.prune = a->prune;
    w->options.change_protected = a->change_protected;
    w->options.shard_index = a->shard_index;
    w->options.shard_count = a->shard_count;
    w->options.cancel = &stop_flag;    /* never force: a refusal waits */
    w->settle_options = w->options;
    w->settle_options.mode = TU_MODE_PLAN;
    w->settle_options.cancel = NULL;
}

/* Where the events go: stdout (unless --quiet), or --events FILE. */
static int open_events(watch *w)
{
    const char *path = w->args->watch_events;

    if (!path || strcmp(path, "-") == 0) {
        w->events = w->args->quiet ? NULL : stdout;
        return 0;
    }
    w->events = fopen(path, "a");
    if (!w->events) {
        tu_cli_error("--events: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int watch_open(watch *w)
{
    w->stop_deadline_ms = -1;
    w->start_time = unix_now();
    w->rng = (unsigned long long)tu_clock_ns() ^ ((unsigned long long)getpid()
                                                  << 32) ^ 0x9e3779b97f4a7c15ULL;
    tu_poll_loop_init(&w->loop);
    set_pass_options(w);
    if (signals_install() != 0 || open_events(w) != 0)
        return -1;
    w->inotify_fd = w->args->watch_poll_files ? -1 : tu_watch_inotify_open();
    if (sets_open(w) != 0)
        return -1;
    w->files_due_ms = w->inotify_fd < 0 ? tu_clock_ms() + FILE_POLL_MS : -1;
    if (!w->args->watch_once && strcmp(w->args->watch_listen, "none") != 0) {
        w->http = tu_http_server_new(w->args->watch_listen, http_handler, w);
        if (!w->http)
            return -1;
    }
    return 0;
}

static void watch_close(watch *w)
{
    for (size_t i = 0; w->sets && i < w->nsets; i++) {
        watch_set *s = &w->sets[i];
        if (s->job) {
            fprintf(stderr, "trueup: watch: set '%s': %s did not end "
                    "within --shutdown-timeout; abandoned\n", s->name,
                    s->uncertain.count ? "reading which cut-off creates "
                    "landed" : "its pass");
            tu_job_free(s->job);
        }
        tu_watch_keys_free(&s->uncertain);
        tu_desired_free(s->desired);
        tu_watch_files_free(&s->files);
        free(s->name);
    }
    free(w->sets);
    tu_poll_loop_free(&w->loop);
    tu_http_server_free(w->http);
    if (w->inotify_fd >= 0)
        close(w->inotify_fd);
    if (w->events && w->events != stdout)
        fclose(w->events);
    free(w->pfds);
    free(w->secrets);
    for (int i = 0; i < 2; i++)
        if (wake_pipe[i] >= 0)
            close(wake_pipe[i]);
    wake_pipe[0] = wake_pipe[1] = -1;
}

/* --once: the worst outcome, as plan and apply say it; else 0 when the
 * passes under way ended before the process did, 1 when one was
 * abandoned. */
static int exit_status(const watch *w)
{
    int status = TU_EXIT_OK;

    for (size_t i = 0; i < w->nsets; i++) {
        const watch_set *s = &w->sets[i];
        if (s->job)
            return TU_EXIT_ERROR;
        if (!w->args->watch_once || !s->done_once)
            continue;
        if (s->last_outcome == TU_PASS_ERROR ||
            s->last_outcome == TU_PASS_REFUSED)
            return TU_EXIT_ERROR;
        if (s->last_outcome == TU_PASS_FAILED)
            status = TU_EXIT_FAILED;
    }
    return status;
}

static void say_start(const watch *w)
{
    char interval[32];

    snprintf(interval, sizeof interval, "%g s",
             w->args->watch_interval_ms / 1000.0);
    fprintf(stderr, "trueup: watch: %zu set%s, %s, every %s", w->nsets,
            w->nsets == 1 ? "" : "s", w->args->mode == TU_MODE_APPLY
            ? "correcting drift (apply)" : "reporting drift (plan)",
            w->args->watch_once ? "(once)" : interval);
    if (w->http)
        fprintf(stderr, "; /metrics /healthz /readyz on port %d",
                tu_http_server_port(w->http));
    fprintf(stderr, "; files watched by %s\n", w->inotify_fd >= 0
            ? "inotify" : "polling");
}

int tu_cli_watch(const tu_cli_args *args)
{
    watch w;
    int status = TU_EXIT_ERROR;

    memset(&w, 0, sizeof w);
    w.args = args;
    w.inotify_fd = -1;
    if (watch_open(&w) == 0) {
        say_start(&w);
        if (watch_loop(&w) == 0)
            status = exit_status(&w);
        if (w.stop_deadline_ms >= 0)
            fprintf(stderr, "trueup: watch: stopped\n");
    }
    watch_close(&w);
    return status;
}
