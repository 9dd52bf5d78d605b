/* watch_events.c -- trueup watch's events: one JSON object a line.
 *
 * After each pass: {"event": "pass", "time", "set", "pass", "mode",
 * "outcome", "duration_ms", "report" | "error"}, where "report" is the
 * pass's report exactly as `trueup plan|apply` writes it (docs/report.md)
 * and "error" is {"kind", "message"} when the pass could not proceed.
 * After a load of a set's files: {"event": "load", "time", "set",
 * "outcome": "ok"|"error", "error", "kept_last_good"}. A log pipeline
 * can alert on `changed` or on an outcome; docs/watch.md lists them.
 * The texts come from the library, which keeps secrets out of them.
 */
#include "watch.h"

#include <string.h>
#include <time.h>

/* A new object with the event's name and the time (UTC, RFC 3339). */
json_t *tu_watch_event_new(const char *event, const char *set)
{
    char when[32];
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_pack("{s:s, s:s, s:s}", "event", event, "time", when,
                     "set", set);
}

/* Write the event (stolen) as one line and flush it. 0 or -1. */
int tu_watch_event_write(FILE *out, json_t *event)
{
    char *text = event ? tu_json_dumps(event, JSON_COMPACT) : NULL;
    int rc = -1;

    if (text && fputs(text, out) >= 0 && fputc('\n', out) != EOF &&
        fflush(out) == 0)
        rc = 0;
    tu_free(text);
    json_decref(event);
    return rc;
}

static json_t *error_json(const tu_error *error)
{
    return json_pack("{s:s, s:s}", "kind", tu_error_code_name(error->code),
                     "message", error->message);
}

int tu_watch_event_pass(FILE *out, const char *set, unsigned long long pass,
                        int apply, tu_pass_outcome outcome, double seconds,
                        const tu_report *report, const tu_error *error)
{
    json_t *e = tu_watch_event_new("pass", set);
    const json_t *json = report ? tu_report_json(report) : NULL;

    if (!e)
        return -1;
    json_object_set_new(e, "pass", json_integer((json_int_t)pass));
    json_object_set_new(e, "mode", json_string(apply ? "apply" : "plan"));
    json_object_set_new(e, "outcome",
                        json_string(tu_pass_outcome_name(outcome)));
    json_object_set_new(e, "duration_ms",
                        json_integer((json_int_t)(seconds * 1000 + 0.5)));
    if (json)
        json_object_set(e, "report", (json_t *)json);
    if (error && error->code != TU_OK)
        json_object_set_new(e, "error", error_json(error));
    return tu_watch_event_write(out, e);
}

int tu_watch_event_load(FILE *out, const char *set, const tu_error *error,
                        int keeping_last_good)
{
    json_t *e = tu_watch_event_new("load", set);

    if (!e)
        return -1;
    json_object_set_new(e, "outcome", json_string(error ? "error" : "ok"));
    if (error) {
        json_object_set_new(e, "error", error_json(error));
        json_object_set_new(e, "kept_last_good",
                            json_boolean(keeping_last_good));
    }
    return tu_watch_event_write(out, e);
}
