/* args_watch.c -- the options of trueup watch (see cli.h, docs/cli.md).
 *
 * Kept apart from args.c, which parses the options every command shares:
 * here are watch's own (--apply, --interval, --once, --listen, --events,
 * --metrics-file, --ready-intervals, --shutdown-timeout, --poll-files),
 * their --help
 * lines, and the checks that they go with watch and that watch is not
 * given what it must not take (--force above all: a pass refused by a
 * safety threshold is reported and retried, never forced).
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void tu_cli_watch_usage(FILE *out)
{
    fputs(
"      --apply             watch: correct drift (plan, then apply) on every\n"
"                          pass; without it every pass only plans (reports)\n"
"      --interval SECONDS  watch: time between passes of a set (default 60;\n"
"                          fractions allowed; +-10% jitter)\n"
"      --once              watch: one pass of every set, then exit (for a\n"
"                          systemd timer or a cron job)\n"
"      --listen ADDRESS    watch: serve /metrics, /healthz and /readyz on\n"
"                          HOST:PORT (default 127.0.0.1:9479; none: off)\n"
"      --events FILE       watch: append each pass's event (one JSON line)\n"
"                          to FILE instead of stdout\n"
"      --ready-intervals N watch: /readyz fails when a set's last successful\n"
"                          pass is older than N intervals (default 3)\n"
"      --shutdown-timeout SECONDS\n"
"                          watch: on SIGTERM, wait at most this long for the\n"
"                          passes under way (default 20)\n"
"      --metrics-file FILE watch: also write the metrics to FILE (replaced\n"
"                          atomically) after every pass: node_exporter's\n"
"                          textfile collector, for --once from a timer\n"
"      --poll-files        watch: check the files every second instead of\n"
"                          using inotify (NFS and other file systems it\n"
"                          does not see)\n", out);
}

void tu_cli_watch_defaults(tu_cli_args *a)
{
    a->watch_interval_ms = 60000;
    a->watch_listen = "127.0.0.1:9479";
    a->watch_ready_intervals = 3;
    a->watch_shutdown_ms = 20000;
}

/* SECONDS as milliseconds, from 0.05 s to a week. 0 or -1. */
static int parse_seconds(const char *option, const char *text, long long *ms)
{
    char *end;
    double s;

    errno = 0;
    s = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(s) || s < 0.05 ||
        s > 604800) {
        tu_cli_error("%s: '%s' is not a number of seconds from 0.05 to "
                     "604800 (a week)", option, text);
        return -1;
    }
    *ms = (long long)(s * 1000 + 0.5);
    return 0;
}

static int parse_ready(const char *text, long *out)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(text, &end, 10);
    if (errno || end == text || *end || n < 1 || n > 1000) {
        tu_cli_error("--ready-intervals: '%s' is not a whole number from 1 "
                     "to 1000", text);
        return -1;
    }
    *out = n;
    return 0;
}

int tu_cli_watch_option(int opt, const char *value, tu_cli_args *a)
{
    if (opt < TU_OPT_WATCH_APPLY || opt > TU_OPT_WATCH_METRICS_FILE)
        return 1;
    a->watch_only_option = 1;
    switch (opt) {
    case TU_OPT_WATCH_APPLY: a->watch_apply = 1; return 0;
    case TU_OPT_WATCH_INTERVAL:
        return parse_seconds("--interval", value, &a->watch_interval_ms);
    case TU_OPT_WATCH_ONCE: a->watch_once = 1; return 0;
    case TU_OPT_WATCH_LISTEN: a->watch_listen = value; return 0;
    case TU_OPT_WATCH_EVENTS: a->watch_events = value; return 0;
    case TU_OPT_WATCH_READY:
        return parse_ready(value, &a->watch_ready_intervals);
    case TU_OPT_WATCH_SHUTDOWN:
        return parse_seconds("--shutdown-timeout", value,
                             &a->watch_shutdown_ms);
    case TU_OPT_WATCH_METRICS_FILE: a->watch_metrics_file = value; return 0;
    default: a->watch_poll_files = 1; return 0;
    }
}

/* The shared option watch does not take, or NULL. */
static const char *refused_option(const tu_cli_args *a)
{
    return a->force ? "--force (a pass a safety threshold refuses is "
                      "reported and retried at the next interval, never "
                      "forced)"
           : a->nmatch ? "--match" : a->nset ? "--set"
           : a->out ? "--out" : a->output ? "--output (use --events FILE)"
           : a->detailed_exitcode ? "--detailed-exitcode"
           : a->format != TU_FORMAT_JSON ? "--format (events are JSON lines)"
           : NULL;
}

int tu_cli_watch_check(tu_cli_args *a)
{
    const char *wrong;

    if (!a->watch) {
        if (!a->watch_only_option)
            return 0;
        tu_cli_error("--apply, --interval, --once, --listen, --events, "
                     "--metrics-file, --ready-intervals, --shutdown-timeout "
                     "and --poll-files go with 'trueup watch'");
        return -1;
    }
    if ((wrong = refused_option(a)) != NULL) {
        tu_cli_error("watch does not take %s", wrong);
        return -1;
    }
    a->mode = a->watch_apply ? TU_MODE_APPLY : TU_MODE_PLAN;
    return 0;
}
