/* report.c -- counting a plan's outcome and writing it as JSON.
 *
 * Counts are derived from the actions alone: in plan mode created, updated
 * and deleted are what would be done; in apply mode what was done. The
 * results list holds every action other than a skip; left_alone lists the
 * records protection or another owner's mark kept from a change.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

static void count_action(tu_counts *c, const tu_action *a, tu_mode mode)
{
    int done = mode == TU_MODE_PLAN ? a->status == TU_STATUS_PLANNED
                                    : a->status == TU_STATUS_OK;
    if (a->left_alone)
        return;  /* listed in left_alone, not a record considered */
    c->total++;
    if (a->kind == TU_ACTION_SKIP) {
        c->skipped++;
        return;
    }
    if (a->status == TU_STATUS_FAILED) {
        c->failed++;
        return;
    }
    if (!done)
        return;
    if (mode == TU_MODE_APPLY)
        c->succeeded++;
    c->created += a->kind == TU_ACTION_CREATE;
    c->updated += a->kind == TU_ACTION_UPDATE;
    c->deleted += a->kind == TU_ACTION_DELETE;
    c->replaced += a->kind == TU_ACTION_REPLACE;
}

static const char *status_name(const tu_action *a)
{
    switch (a->status) {
    case TU_STATUS_OK:     return "ok";
    case TU_STATUS_FAILED: return "failed";
    default:               return "planned";
    }
}

/* The integers of the results list: nearly every result of a run has the
 * same http_status and attempts, so the last value of each is kept and
 * shared (jansson values are reference-counted) instead of a new integer
 * per result. */
typedef struct int_cache {
    json_int_t value;
    json_t *json;    /* NULL: none yet */
} int_cache;

static json_t *cached_integer(int_cache *c, json_int_t value)
{
    if (!c)
        return json_integer(value);
    if (!c->json || c->value != value) {
        json_decref(c->json);
        c->json = json_integer(value);
        c->value = value;
    }
    return json_incref(c->json);
}

static json_t *result_json(const tu_action *a, int_cache *ints)
{
    json_t *r = json_object();
    const char *action = a->kind == TU_ACTION_FAIL
                             ? "none" : tu_action_kind_name(a->kind);
    if (!r)
        return NULL;
    json_object_set_new(r, "key", json_string(tu_action_label(a)));
    json_object_set_new(r, "action", json_string(action));
    json_object_set_new(r, "status", json_string(status_name(a)));
    if (a->attempts) {
        json_object_set_new(r, "http_status",
                            cached_integer(ints, a->http_status));
        json_object_set_new(r, "attempts",
                            cached_integer(ints ? ints + 1 : NULL,
                                           a->attempts));
    }
    if (a->changes && json_object_size(a->changes))
        json_object_set(r, "changes", a->changes);
    if (a->error)
        json_object_set_new(r, "error", json_string(a->error));
    if (a->refused)
        json_object_set_new(r, "refused", json_string(a->refused));
    if (a->note)
        json_object_set_new(r, "note", json_string(a->note));
    return r;
}

const char *tu_report_record_status(const tu_action *a)
{
    return a->kind == TU_ACTION_SKIP ? "skipped" : status_name(a);
}

json_t *tu_report_record_json(const tu_action *a)
{
    if (a->kind != TU_ACTION_SKIP)
        return result_json(a, NULL);
    return json_pack("{s:s, s:s, s:s}", "key", tu_action_label(a),
                     "action", "skip", "status", "skipped");
}

static json_t *results_json(const tu_plan *plan)
{
    json_t *results = json_array();
    int_cache ints[2] = {{0, NULL}, {0, NULL}};  /* http_status, attempts */

    for (size_t i = 0; results && i < plan->count; i++) {
        const tu_action *a = &plan->actions[i];
        if (a->kind == TU_ACTION_SKIP)
            continue;
        if (json_array_append_new(results, result_json(a, ints)) != 0) {
            json_decref(results);
            results = NULL;
        }
    }
    json_decref(ints[0].json);
    json_decref(ints[1].json);
    return results;
}

/* base_url without a user:password@ part (a URL may carry credentials). */
static json_t *url_without_userinfo(const char *url)
{
    const char *host = strstr(url, "://"), *at, *end;
    json_t *out;
    char *copy;

    if (!host)
        return json_string(url);
    host += 3;
    end = host + strcspn(host, "/?#");
    at = memchr(host, '@', (size_t)(end - host));
    if (!at)
        return json_string(url);
    copy = malloc(strlen(url) + 1);
    if (!copy)
        return NULL;
    memcpy(copy, url, (size_t)(host - url));
    strcpy(copy + (host - url), at + 1);
    out = json_string(copy);
    free(copy);
    return out;
}

/* {"provider", "base_url", "key": [fields]}, and the shard when sharded. */
static int add_target(json_t *out, const tu_report_facts *f)
{
    json_t *key = json_array(), *target;

    for (size_t i = 0; key && f->key && i < f->key->count; i++)
        json_array_append_new(key, json_string(f->key->fields[i]));
    target = json_pack("{s:s, s:o*, s:o*}", "provider", f->provider,
                       "base_url", f->base_url ? url_without_userinfo(
                                                     f->base_url) : NULL,
                       "key", key);
    if (!target || json_object_set_new(out, "target", target) != 0)
        return -1;
    if (f->shard_count > 0 &&
        json_object_set_new(out, "shard", json_pack(
            "{s:I, s:I}", "index", (json_int_t)f->shard_index,
            "count", (json_int_t)f->shard_count)) != 0)
        return -1;
    return 0;
}

/* [{key, reason}] for the records left alone. */
static json_t *left_alone_json(const tu_plan *plan)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < plan->count; i++) {
        const tu_action *a = &plan->actions[i];
        if (a->left_alone &&
            json_array_append_new(list, json_pack(
                "{s:s,s:s}", "key", tu_action_label(a), "reason",
                a->left_alone)) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

/* The facts of prune and protection, laid into the report. */
static int add_scope_facts(json_t *out, const tu_report_facts *f,
                           const tu_plan *plan)
{
    json_t *left = left_alone_json(plan);
    if (!left || json_object_set_new(out, "left_alone", left) != 0 ||
        json_object_set_new(out, "out_of_scope",
                            json_integer((json_int_t)f->out_of_scope)) ||
        json_object_set_new(out, "not_owned",
                            json_integer((json_int_t)f->not_owned)) ||
        json_object_set_new(out, "threshold_exceeded",
                            json_boolean(f->threshold_exceeded)))
        return -1;
    return 0;
}

/* "connections": opened, "protocols": {"HTTP/2": answers, ...}. */
static int add_connections(json_t *out, const tu_report_facts *f)
{
    json_t *protocols = json_object();

    for (int i = 0; protocols && i < TU_EXEC_VERSIONS; i++)
        if (f->by_version[i] &&
            json_object_set_new(protocols, tu_exec_version_names[i],
                                json_integer((json_int_t)f->by_version[i])))
            return -1;
    if (!protocols || json_object_set_new(out, "protocols", protocols) != 0)
        return -1;
    return json_object_set_new(out, "connections",
                               json_integer((json_int_t)f->connections));
}

static json_t *report_json(const tu_report *rep, const tu_report_facts *f,
                           const tu_plan *plan)
{
    const tu_counts *c = &rep->counts;
    json_t *results = results_json(plan);

    json_t *warnings = json_array();
    json_t *out;

    for (size_t i = 0; warnings && i < 4 && f->warnings[i]; i++)
        json_array_append_new(warnings, json_string(f->warnings[i]));
    if (!results || !warnings) {
        json_decref(results);
        json_decref(warnings);
        return NULL;
    }
    out = json_pack(
        "{s:i, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
        "s:I, s:I, s:I, s:I, s:b, s:I, s:o}",
        "schema_version", TU_REPORT_SCHEMA_VERSION,
        "mode", f->mode == TU_MODE_PLAN ? "plan" : "apply",
        "changed", rep->changed,
        "total", (json_int_t)c->total,
        "succeeded", (json_int_t)c->succeeded,
        "skipped", (json_int_t)c->skipped,
        "failed", (json_int_t)c->failed,
        "created", (json_int_t)c->created,
        "updated", (json_int_t)c->updated,
        "deleted", (json_int_t)c->deleted,
        "replaced", (json_int_t)c->replaced,
        "requests", (json_int_t)f->requests,
        "write_requests", (json_int_t)f->write_requests,
        "retries", (json_int_t)f->retries,
        "concurrency", (json_int_t)f->concurrency,
        "concurrency_min", (json_int_t)f->concurrency_min,
        "concurrency_end", (json_int_t)f->concurrency_end,
        "cancelled", f->cancelled,
        "elapsed_ms", (json_int_t)f->elapsed_ms,
        "results", results);
    if (out && json_object_set_new(out, "warnings", warnings) == 0 &&
        (!f->provider || add_target(out, f) == 0) &&
        add_scope_facts(out, f, plan) == 0 &&
        add_connections(out, f) == 0)
        return out;
    json_decref(out);
    return NULL;
}

tu_report *tu_report_build(const tu_plan *plan, const tu_report_facts *f)
{
    tu_report *rep = calloc(1, sizeof *rep);
    if (!rep)
        return NULL;
    for (size_t i = 0; i < plan->count; i++)
        count_action(&rep->counts, &plan->actions[i], f->mode);
    rep->counts.requests = f->requests;
    rep->changed = rep->counts.created + rep->counts.updated +
                       rep->counts.deleted + rep->counts.replaced > 0;
    rep->json = report_json(rep, f, plan);
    if (!rep->json) {
        free(rep);
        return NULL;
    }
    return rep;
}

void tu_report_counts(const tu_report *rep, tu_counts *counts)
{
    *counts = rep->counts;
}

int tu_report_changed(const tu_report *rep)
{
    return rep->changed;
}

const json_t *tu_report_json(const tu_report *rep)
{
    return rep->json;
}

const json_t *tu_report_plan_file(const tu_report *rep)
{
    return rep->plan_file;
}

void tu_report_free(tu_report *rep)
{
    if (!rep)
        return;
    json_decref(rep->json);
    json_decref(rep->plan_file);
    free(rep);
}
