/* metrics.c -- trueup watch's metrics in the Prometheus text format.
 *
 * Pure: tu_watch_metrics_render reads the sets' stats (watch.h) and
 * appends the text exposition format 0.0.4 (one "# HELP" and "# TYPE"
 * line per family, then its samples, "name{labels} value", each line
 * ending in \n). Every family of a set carries the label set="NAME"; label
 * values are escaped as the format says (\\, \", \n), and a value that
 * holds one of the desired states' secrets is written "***" instead, so
 * no secret reaches a scrape. Values are numbers only. The names and
 * labels are listed in docs/cli.md (trueup watch: metrics). The pass
 * schedule (tu_watch_next_delay_ms), pure too, is here with the numbers it
 * shows as trueup_backoff_seconds.
 */
#include "watch.h"

#include <stdarg.h>
#include <string.h>

long long tu_watch_next_delay_ms(long long interval_ms, unsigned failures,
                                 double r)
{
    long long delay;

    if (failures == 0)
        return (long long)(interval_ms * (0.9 + 0.2 * r));
    delay = interval_ms < 1000 ? interval_ms : 1000;
    while (--failures > 0 && delay < interval_ms)
        delay *= 2;
    if (delay > interval_ms)
        delay = interval_ms;
    return delay / 2 + (long long)((delay - delay / 2) * r);
}

const char *tu_pass_outcome_name(tu_pass_outcome outcome)
{
    static const char *const names[] = {"ok", "failed", "refused", "error"};
    return (unsigned)outcome < TU_PASS_OUTCOMES ? names[outcome] : "unknown";
}

int tu_watch_label_value(tu_buffer *out, const char *value,
                         const char *const *secrets, size_t nsecrets)
{
    const char *p;

    for (size_t i = 0; i < nsecrets; i++)
        if (secrets[i] && secrets[i][0] && strstr(value, secrets[i]))
            return tu_buffer_puts(out, "***");
    for (p = value; *p; p++) {
        const char *esc = *p == '\\' ? "\\\\" : *p == '"' ? "\\\""
                          : *p == '\n' ? "\\n" : NULL;
        if (esc ? tu_buffer_puts(out, esc) : tu_buffer_add(out, p, 1))
            return -1;
    }
    return 0;
}

/* printf into the buffer. 0 or -1. */
static int put(tu_buffer *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int put(tu_buffer *out, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line)
        return -1;
    return tu_buffer_add(out, line, (size_t)n);
}

static int family(tu_buffer *out, const char *name, const char *type,
                  const char *help)
{
    return put(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The renderer's state: where to write, what to hide. */
typedef struct render {
    tu_buffer *out;
    const tu_watch_metrics *m;
    int failed;
} render;

/* NAME{set="SET"[,LABEL="VALUE"]} VALUE\n; `value` printed by the caller's
 * format (so that counters stay integers). */
static void sample(render *r, const char *name, const tu_watch_stats *s,
                   const char *label, const char *label_value,
                   const char *value)
{
    tu_buffer *out = r->out;

    r->failed |= put(out, "%s{set=\"", name) != 0 ||
                 tu_watch_label_value(out, s->name, r->m->secrets,
                                      r->m->nsecrets) != 0;
    if (label)
        r->failed |= put(out, "\",%s=\"", label) != 0 ||
                     tu_watch_label_value(out, label_value, r->m->secrets,
                                          r->m->nsecrets) != 0;
    r->failed |= put(out, "\"} %s\n", value) != 0;
}

static void sample_u(render *r, const char *name, const tu_watch_stats *s,
                     const char *label, const char *lv, unsigned long long v)
{
    char text[32];
    snprintf(text, sizeof text, "%llu", v);
    sample(r, name, s, label, lv, text);
}

static void sample_d(render *r, const char *name, const tu_watch_stats *s,
                     double v)
{
    char text[48];
    snprintf(text, sizeof text, "%.3f", v);
    sample(r, name, s, NULL, NULL, text);
}

/* trueup_last_pass_records{set,count}: the last report's counts. */
static void render_counts(render *r)
{
    static const char *const names[] = {"total", "drifted", "created",
        "updated", "deleted", "replaced", "failed", "skipped", "left_alone"};
    r->failed |= family(r->out, "trueup_last_pass_records", "gauge",
        "Records of the set's last pass that made a report, by count: "
        "drifted (not as desired when planned), created, updated, deleted, "
        "replaced (planned in report-only mode, done in apply mode), "
        "failed, skipped (already right), left_alone (protection, "
        "ownership or prune scope kept them), total.");
    for (size_t i = 0; i < r->m->nsets; i++) {
        const tu_watch_stats *s = r->m->sets[i];
        const size_t v[] = {s->total, s->drifted, s->created, s->updated,
                            s->deleted, s->replaced, s->failed, s->skipped,
                            s->left_alone};
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
            sample_u(r, "trueup_last_pass_records", s, "count", names[k],
                     v[k]);
    }
}

/* A gauge of one value per set, read by `get`. */
static void per_set_gauge(render *r, const char *name, const char *help,
                          double (*get)(const tu_watch_stats *))
{
    r->failed |= family(r->out, name, "gauge", help);
    for (size_t i = 0; i < r->m->nsets; i++)
        sample_d(r, name, r->m->sets[i], get(r->m->sets[i]));
}

/* A counter of one value per set, read by `get`. */
static void per_set_counter(render *r, const char *name, const char *help,
                            unsigned long long (*get)(const tu_watch_stats *))
{
    r->failed |= family(r->out, name, "counter", help);
    for (size_t i = 0; i < r->m->nsets; i++)
        sample_u(r, name, r->m->sets[i], NULL, NULL, get(r->m->sets[i]));
}

static double get_duration(const tu_watch_stats *s) { return s->last_duration_s; }
static double get_pass_time(const tu_watch_stats *s) { return s->last_pass_time; }
static double get_success_time(const tu_watch_stats *s) { return s->last_success_time; }
static double get_last_ok(const tu_watch_stats *s) { return s->has_pass && s->last_ok; }
static double get_stale(const tu_watch_stats *s) { return s->stale; }
static double get_ready(const tu_watch_stats *s) { return s->ready; }
static double get_backoff(const tu_watch_stats *s) { return s->backoff_s; }
static double get_consecutive(const tu_watch_stats *s) { return s->consecutive_failures; }
static unsigned long long get_requests(const tu_watch_stats *s) { return s->requests; }
static unsigned long long get_retries(const tu_watch_stats *s) { return s->retries; }
static unsigned long long get_records_failed(const tu_watch_stats *s) { return s->records_failed; }

static void render_gauges(render *r)
{
    per_set_gauge(r, "trueup_last_pass_duration_seconds",
                  "Wall time of the set's last pass.", get_duration);
    per_set_gauge(r, "trueup_last_pass_timestamp_seconds",
                  "When the set's last pass ended (Unix time; 0: none yet).",
                  get_pass_time);
    per_set_gauge(r, "trueup_last_success_timestamp_seconds",
                  "When a pass of the set last ended with no error and no "
                  "failed record (Unix time; 0: never).", get_success_time);
    per_set_gauge(r, "trueup_last_pass_success",
                  "1 when the set's last pass ended with no error and no "
                  "failed record.", get_last_ok);
    per_set_gauge(r, "trueup_desired_stale",
                  "1 when the set's files were edited into an invalid "
                  "state: the last good desired state is still in use.",
                  get_stale);
    per_set_gauge(r, "trueup_set_ready",
                  "1 when the set's last successful pass is recent enough "
                  "for /readyz.", get_ready);
    per_set_gauge(r, "trueup_backoff_seconds",
                  "The delay before the set's next pass after a failed "
                  "one (0: not backing off).", get_backoff);
    per_set_gauge(r, "trueup_consecutive_failures",
                  "Passes of the set that failed in a row.", get_consecutive);
}

/* trueup_records_changed_total{set,action}: the changes of every pass. */
static void render_changes(render *r)
{
    static const char *const actions[] = {"created", "updated", "deleted",
                                          "replaced"};
    r->failed |= family(r->out, "trueup_records_changed_total", "counter",
        "Records of the set's passes by change: done in apply mode, "
        "planned in report-only mode (then a record drifted for N passes "
        "counts N times).");
    for (size_t i = 0; i < r->m->nsets; i++)
        for (int a = 0; a < 4; a++)
            sample_u(r, "trueup_records_changed_total", r->m->sets[i],
                     "action", actions[a], r->m->sets[i]->changes_total[a]);
}

static void render_labelled_counters(render *r)
{
    r->failed |= family(r->out, "trueup_passes_total", "counter",
        "Passes of the set, by outcome: ok, failed (some records failed), "
        "refused (a safety threshold), error (could not proceed).");
    for (size_t i = 0; i < r->m->nsets; i++)
        for (int o = 0; o < TU_PASS_OUTCOMES; o++)
            sample_u(r, "trueup_passes_total", r->m->sets[i], "outcome",
                     tu_pass_outcome_name((tu_pass_outcome)o),
                     r->m->sets[i]->passes[o]);
    r->failed |= family(r->out, "trueup_errors_total", "counter",
        "Errors of the set's passes and loads, by kind (as tu_error_code: "
        "bad_input, io, fetch, threshold, cancelled, nomem, internal, plan).");
    for (size_t i = 0; i < r->m->nsets; i++)
        for (int k = 1; k < TU_WATCH_ERROR_KINDS; k++)
            sample_u(r, "trueup_errors_total", r->m->sets[i], "kind",
                     tu_error_code_name((tu_error_code)k),
                     r->m->sets[i]->errors[k]);
    render_changes(r);
    r->failed |= family(r->out, "trueup_desired_loads_total", "counter",
        "Loads of the set's desired-state files, by outcome (ok, error).");
    for (size_t i = 0; i < r->m->nsets; i++) {
        sample_u(r, "trueup_desired_loads_total", r->m->sets[i], "outcome",
                 "ok", r->m->sets[i]->loads_ok);
        sample_u(r, "trueup_desired_loads_total", r->m->sets[i], "outcome",
                 "error", r->m->sets[i]->loads_failed);
    }
}

static void render_counters(render *r)
{
    render_labelled_counters(r);
    per_set_counter(r, "trueup_requests_total",
                    "HTTP requests of the set's passes that made a report "
                    "(fetches and retries included).", get_requests);
    per_set_counter(r, "trueup_retries_total",
                    "Requests re-sent by the set's passes that made a report.",
                    get_retries);
    per_set_counter(r, "trueup_records_failed_total",
                    "Records that failed, summed over the set's passes.",
                    get_records_failed);
}

static void render_process(render *r)
{
    char text[64];

    r->failed |= family(r->out, "trueup_build_info", "gauge",
                        "trueup's version, as a label; always 1.");
    r->failed |= put(r->out, "trueup_build_info{version=\"") != 0 ||
                 tu_watch_label_value(r->out, r->m->version, NULL, 0) != 0 ||
                 put(r->out, "\"} 1\n") != 0;
    r->failed |= family(r->out, "trueup_start_time_seconds", "gauge",
                        "When trueup watch started (Unix time).");
    snprintf(text, sizeof text, "%.3f", r->m->start_time);
    r->failed |= put(r->out, "trueup_start_time_seconds %s\n", text);
    r->failed |= family(r->out, "trueup_ready", "gauge",
                        "1 when every set is ready (as /readyz answers).");
    r->failed |= put(r->out, "trueup_ready %d\n", r->m->ready ? 1 : 0);
}

int tu_watch_metrics_render(const tu_watch_metrics *m, tu_buffer *out)
{
    render r = {out, m, 0};

    render_process(&r);
    render_counts(&r);
    render_gauges(&r);
    render_counters(&r);
    return r.failed ? -1 : 0;
}
