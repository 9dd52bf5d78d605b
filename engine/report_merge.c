/* report_merge.c -- one report of a system's run (tu_report_merge).
 *
 * Each resource's child job builds its own report (report.c); the
 * system's report takes them whole: its results are theirs, one resource
 * after another, each naming its resource (their texts stay in the
 * resources' reports, which it owns); its counts are their sums; its
 * summary is a report's, with the run's facts (requests, connections,
 * time), `left_alone` of every resource (each naming its resource), and
 * `resources`: each resource's counts and target beside the totals.
 */
#include "report.h"
#include "util/arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_counts(tu_counts *to, const tu_counts *c)
{
    to->total += c->total;
    to->succeeded += c->succeeded;
    to->skipped += c->skipped;
    to->failed += c->failed;
    to->created += c->created;
    to->updated += c->updated;
    to->deleted += c->deleted;
    to->replaced += c->replaced;
}

/* The results of every part, each naming its resource. 0 or -1. */
static int take_results(tu_report *rep, const char *const *names)
{
    size_t n = 0, at = 0;

    for (size_t i = 0; i < rep->nparts; i++)
        n += rep->parts[i]->nresults;
    if (n && !(rep->results = malloc(n * sizeof *rep->results)))
        return -1;
    for (size_t i = 0; i < rep->nparts; i++) {
        const tu_report *p = rep->parts[i];
        const char *name = tu_arena_strndup(&rep->texts, names[i],
                                            strlen(names[i]));
        if (!name)
            return -1;
        for (size_t k = 0; k < p->nresults; k++) {
            rep->results[at] = p->results[k];
            rep->results[at++].resource = name;
        }
    }
    rep->nresults = at;
    return 0;
}

/* The members of a part's summary a resource's entry keeps. */
static json_t *part_json(const tu_report *p)
{
    static const char *const keep[] = {
        "changed", "total", "succeeded", "skipped", "failed", "created",
        "updated", "deleted", "replaced", "threshold_exceeded",
        "out_of_scope", "not_owned", "target", NULL};
    json_t *out = json_object();

    for (size_t i = 0; out && keep[i]; i++) {
        json_t *v = json_object_get(p->summary, keep[i]);
        if (v && json_object_set(out, keep[i], v) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

/* The parts' warnings, each after its resource's name. */
static int add_warnings(json_t *summary, const tu_report *rep,
                        const char *const *names)
{
    json_t *all = json_object_get(summary, "warnings");

    for (size_t i = 0; all && i < rep->nparts; i++) {
        size_t k;
        json_t *w;
        json_array_foreach(json_object_get(rep->parts[i]->summary,
                                           "warnings"), k, w) {
            char text[1200];
            snprintf(text, sizeof text, "%s: %s", names[i],
                     json_string_value(w));
            if (json_array_append_new(all, json_string(text)) != 0)
                return -1;
        }
    }
    return all ? 0 : -1;
}

/* left_alone of every part, each entry naming its resource. */
static int add_left_alone(json_t *summary, const tu_report *rep,
                          const char *const *names)
{
    json_t *all = json_object_get(summary, "left_alone");

    for (size_t i = 0; all && i < rep->nparts; i++) {
        size_t k;
        json_t *item;
        json_array_foreach(json_object_get(rep->parts[i]->summary,
                                           "left_alone"), k, item) {
            json_t *copy = json_copy(item);
            if (!copy || json_object_set_new(copy, "resource",
                                             json_string(names[i])) != 0 ||
                json_array_append_new(all, copy) != 0)
                return -1;
        }
    }
    return all ? 0 : -1;
}

static int add_parts(json_t *summary, const tu_report *rep,
                     const char *const *names)
{
    json_t *res = json_object();

    if (!res || json_object_set_new(summary, "resources", res) != 0)
        return -1;
    for (size_t i = 0; i < rep->nparts; i++)
        if (json_object_set_new(res, names[i],
                                part_json(rep->parts[i])) != 0)
            return -1;
    return add_left_alone(summary, rep, names) ||
           add_warnings(summary, rep, names) ? -1 : 0;
}

tu_report *tu_report_merge(tu_report **parts, const char *const *names,
                           size_t n, const tu_report_facts *f)
{
    tu_report *rep = calloc(1, sizeof *rep);

    if (!rep) {
        for (size_t i = 0; i < n; i++)
            tu_report_free(parts[i]);
        return NULL;
    }
    rep->parts = parts;
    rep->nparts = n;
    for (size_t i = 0; i < n; i++) {
        add_counts(&rep->counts, &parts[i]->counts);
        rep->changed |= parts[i]->changed;
    }
    rep->counts.requests = f->requests;
    if (take_results(rep, names) != 0 ||
        !(rep->summary = tu_report_summary_json(rep, f, NULL)) ||
        add_parts(rep->summary, rep, names) != 0) {
        tu_report_free(rep);
        return NULL;
    }
    return rep;
}
