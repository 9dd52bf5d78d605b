/* watch_settle.c -- trueup watch: settling the creates a stop left
 * uncertain.
 *
 * When SIGTERM cancels a pass, requests in flight get the library's grace
 * to finish; a create still unanswered after it is reported failed
 * ("cancelled while in flight") although it may have reached the server.
 * Before the process exits, watch reads the live records once more (a
 * plan, not cancelled, bounded by --shutdown-timeout) and says, as an
 * event and on stderr, which of those creates are on the server (done)
 * and which are not (absent): no create is left uncertain, and the next
 * start neither duplicates nor misses one.
 */
#include "watch.h"

#include <stdlib.h>
#include <string.h>

void tu_watch_keys_free(tu_watch_keys *keys)
{
    for (size_t i = 0; i < keys->count; i++)
        free(keys->items[i]);
    free(keys->items);
    keys->items = NULL;
    keys->count = 0;
}

/* A create (or replace) that was sent and never answered. */
static int uncertain(const tu_record_result *r)
{
    return (strcmp(r->action, "create") == 0 ||
            strcmp(r->action, "replace") == 0) &&
           strcmp(r->status, "failed") == 0 && r->attempts > 0 &&
           r->http_status == 0;
}

int tu_watch_uncertain_creates(const tu_report *report, tu_watch_keys *keys)
{
    size_t n = tu_report_result_count(report), k = 0;

    keys->items = calloc(n + 1, sizeof *keys->items);
    keys->count = 0;
    if (!keys->items)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const tu_record_result *r = tu_report_result(report, i);
        if (!uncertain(r))
            continue;
        if (!(keys->items[k] = strdup(r->key))) {
            keys->count = k;
            tu_watch_keys_free(keys);
            return -1;
        }
        keys->count = ++k;
    }
    return 0;
}

/* Does the plan still want to create `key` (it is not on the server)? */
static int still_planned(const tu_report *plan, const char *key)
{
    for (size_t i = 0; i < tu_report_result_count(plan); i++) {
        const tu_record_result *r = tu_report_result(plan, i);
        if (strcmp(r->key, key) == 0)
            return strcmp(r->action, "create") == 0 ||
                   strcmp(r->action, "replace") == 0;
    }
    return 0;
}

int tu_watch_event_settle(FILE *out, const char *set,
                          const tu_watch_keys *keys, const tu_report *plan,
                          const tu_error *error)
{
    json_t *lists[3] = {json_array(), json_array(), json_array()};
    static const char *const names[3] = {"done", "absent", "unknown"};
    json_t *e = tu_watch_event_new("settle", set);
    int rc;

    for (size_t i = 0; i < keys->count; i++) {
        int which = !plan ? 2 : still_planned(plan, keys->items[i]) ? 1 : 0;
        json_array_append_new(lists[which], json_string(keys->items[i]));
    }
    fprintf(stderr, "trueup: watch: set '%s': of %zu create%s cut off by the "
            "stop, %zu %s on the server, %zu %s not", set, keys->count,
            keys->count == 1 ? "" : "s", json_array_size(lists[0]),
            json_array_size(lists[0]) == 1 ? "is" : "are",
            json_array_size(lists[1]),
            json_array_size(lists[1]) == 1 ? "is" : "are");
    if (!plan)
        fprintf(stderr, "; %zu unknown (%s): the next run settles them",
                keys->count, error ? error->message : "no answer");
    fputc('\n', stderr);
    for (int i = 0; i < 3; i++)
        if (e)
            json_object_set(e, names[i], lists[i]);
    for (int i = 0; i < 3; i++)
        json_decref(lists[i]);
    rc = out && e ? tu_watch_event_write(out, e) : (json_decref(e), 0);
    return rc;
}
