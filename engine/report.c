/* report.c -- counting a plan's outcome and writing it as JSON.
 *
 * Counts are derived from the actions alone: in plan mode created, updated
 * and deleted are what would be done; in apply mode what was done. The
 * results list holds every action other than a skip; left_alone lists the
 * records protection or another owner's mark kept from a change.
 *
 * A report of 10,000 results as jansson values took longer to build,
 * write and free than the rest of the run's own work (bench/LOG.md).
 * So the results are kept as small structs (tu_record_result, which
 * tu_report_result hands out as they are) with their texts in an arena (the changes too, as JSON text, which the plan's compact
 * form writes without jansson), and the report's text is written straight
 * from them in the lines layout (json_util.h), the other members from the
 * summary. The whole report as jansson values is made only when
 * tu_report_json asks, once: a first call from two threads makes it twice
 * and keeps one.
 */
#include "report.h"

#include "util/arena.h"
#include "util/json_util.h"
#include "state/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void count_action(tu_counts *c, const tu_action *a, tu_mode mode)
{
    int done = mode == TU_MODE_PLAN ? a->status == TU_STATUS_PLANNED
                                    : a->status == TU_STATUS_OK;
    if (tu_action_left_alone(a))
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

/* The result of an action, its texts borrowed from the action; no key,
 * changes nor key values yet. */
static void result_of(const tu_action *a, tu_record_result *r)
{
    memset(r, 0, sizeof *r);
    r->action = a->kind == TU_ACTION_FAIL ? "none"
                                          : tu_action_kind_name(a->kind);
    r->status = status_name(a);
    r->http_status = a->http_status;
    r->attempts = a->attempts;
    r->error = tu_action_error(a);
    r->refused = tu_action_refused(a);
    r->note = tu_action_note(a);
    r->message = tu_action_error(a) ? tu_action_error(a) : tu_action_note(a);
    r->id = tu_action_new_id(a);
}

/* Whether the n NUL-ended values of `text`, joined with '|', are
 * `label`. */
static int joins_to(const char *text, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(text);
        if (strncmp(label, text, len) != 0)
            return 0;
        label += len;
        if (i + 1 < n && *label++ != '|')
            return 0;
        text += len + 1;
    }
    return *label == '\0';
}

/* The key values of the record `a` is about, decoded into `b` (emptied):
 * their number, or 0 when its key does not decode into values that join
 * to its label (a plan file's failure keeps its label as its key), or
 * when out of memory: the result then has none. */
static size_t decode_key(const tu_action *a, tu_buffer *b)
{
    const tu_record *rec = a->desired ? a->desired : a->live;
    long n;

    tu_buffer_truncate(b, 0);
    n = rec->key ? tu_key_values(rec->key, b) : -1;
    return n > 0 && joins_to(b->data, (size_t)n, tu_action_label(a))
               ? (size_t)n : 0;
}

/* Point values[0 .. n) at the n NUL-ended texts of `text`. */
static void split_values(const char *text, size_t n, const char **values)
{
    for (size_t i = 0; i < n; i++) {
        values[i] = text;
        text += strlen(text) + 1;
    }
}

/* The label and the key values of the record `a` is about, in `arena`:
 * the label tu_action_label gives, made here from the decoded key when
 * the record has none yet (so that a report of a million results does not
 * keep a label with each record), and the values as decode_key finds
 * them (*values NULL and *count 0: none). 0, or -1 when out of memory. */
static int label_and_values(tu_arena *arena, const tu_action *a,
                            tu_buffer *b, const char **label,
                            const char ***values, size_t *count)
{
    const tu_record *rec = a->desired ? a->desired : a->live;
    const char *kept = tu_record_label_kept(rec);
    long n;
    char *text;

    *values = NULL;
    *count = 0;
    tu_buffer_truncate(b, 0);
    n = tu_key_values(rec->key, b);
    if (kept || n < 0) {
        kept = kept ? kept : rec->key ? rec->key : "";
        if (!(*label = tu_arena_strndup(arena, kept, strlen(kept))))
            return -1;
        if (n <= 0 || !joins_to(b->data, (size_t)n, kept))
            return 0;
    } else {
        if (!(text = tu_arena_alloc(arena, b->len + 1)))
            return -1;
        memcpy(text, b->data ? b->data : "", b->len + 1);
        tu_key_values_join(text, b->len);
        *label = text;
        if (n == 0)
            return 0;
    }
    if (!(text = tu_arena_alloc(arena, b->len)) ||
        !(*values = tu_arena_alloc(arena, (size_t)n * sizeof **values)))
        return -1;
    memcpy(text, b->data, b->len);
    split_values(text, (size_t)n, *values);
    *count = (size_t)n;
    return 0;
}

static json_t *result_json(const tu_record_result *r, int_cache *ints)
{
    json_t *j = json_object();

    if (!j)
        return NULL;
    json_object_set_new(j, "key", json_string(r->key));
    if (r->resource)
        json_object_set_new(j, "resource", json_string(r->resource));
    json_object_set_new(j, "action", json_string(r->action));
    json_object_set_new(j, "status", json_string(r->status));
    if (r->attempts) {
        json_object_set_new(j, "http_status",
                            cached_integer(ints, r->http_status));
        json_object_set_new(j, "attempts",
                            cached_integer(ints ? ints + 1 : NULL,
                                           r->attempts));
    }
    if (r->id)
        json_object_set_new(j, "id", json_string(r->id));
    if (r->changes)
        json_object_set_new(j, "changes", json_loads(r->changes, 0, NULL));
    if (r->error)
        json_object_set_new(j, "error", json_string(r->error));
    if (r->refused)
        json_object_set_new(j, "refused", json_string(r->refused));
    if (r->note)
        json_object_set_new(j, "note", json_string(r->note));
    return j;
}

/* ,"http_status":N,"attempts":N appended to `b`. 0 or -1. */
static int request_write(const tu_record_result *r, tu_buffer *b)
{
    char num[TU_INT_TEXT_MAX];

    return tu_buffer_puts(b, ",\"http_status\":") < 0 ||
           tu_buffer_add(b, num, tu_int_text(r->http_status, num)) < 0 ||
           tu_buffer_puts(b, ",\"attempts\":") < 0 ||
           tu_buffer_add(b, num, tu_int_text(r->attempts, num)) < 0 ? -1 : 0;
}

/* The same text as result_json's, compact, appended to `b`. 0 or -1. */
static int result_write(const tu_record_result *r, tu_buffer *b)
{
    const struct { const char *name, *text; } texts[] = {
        {",\"error\":", r->error}, {",\"refused\":", r->refused},
        {",\"note\":", r->note}};

    if (tu_buffer_puts(b, "{\"key\":") < 0 ||
        tu_json_strb(r->key, strlen(r->key), b) < 0 ||
        (r->resource && (tu_buffer_puts(b, ",\"resource\":") < 0 ||
                         tu_json_strb(r->resource, strlen(r->resource),
                                      b) < 0)) ||
        tu_buffer_puts(b, ",\"action\":\"") < 0 ||
        tu_buffer_puts(b, r->action) < 0 ||
        tu_buffer_puts(b, "\",\"status\":\"") < 0 ||
        tu_buffer_puts(b, r->status) < 0 || tu_buffer_puts(b, "\"") < 0)
        return -1;
    if ((r->attempts && request_write(r, b) < 0) ||
        (r->id && (tu_buffer_puts(b, ",\"id\":") < 0 ||
                   tu_json_strb(r->id, strlen(r->id), b) < 0)) ||
        (r->changes && (tu_buffer_puts(b, ",\"changes\":") < 0 ||
                        tu_buffer_puts(b, r->changes) < 0)))
        return -1;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (texts[i].text &&
            (tu_buffer_puts(b, texts[i].name) < 0 ||
             tu_json_strb(texts[i].text, strlen(texts[i].text), b) < 0))
            return -1;
    return tu_buffer_puts(b, "}");
}

int tu_report_action_result(const tu_action *a, const tu_keyspec *key,
                            tu_result_scratch *s, tu_record_result *out)
{
    size_t n;

    result_of(a, out);
    out->key = tu_action_label(a);
    if (a->kind == TU_ACTION_SKIP) {
        out->action = "skip";
        out->status = "skipped";
    } else if (tu_action_has_changes(a)) {
        tu_buffer_truncate(&s->changes, 0);
        if (tu_action_changes_dumpb(a, &s->changes) != 0)
            return -1;
        out->changes = s->changes.data;
    }
    n = decode_key(a, &s->values);
    if (!n || !key || n != key->count)
        return 0;
    if (n > s->cap && tu_array_grow(&s->ptrs, &s->cap, n, sizeof *s->ptrs,
                                    8) != 0)
        return -1;
    split_values(s->values.data, n, s->ptrs);
    out->key_count = n;
    out->key_names = key->fields;
    out->key_values = s->ptrs;
    return 0;
}

void tu_result_scratch_free(tu_result_scratch *s)
{
    tu_buffer_free(&s->changes);
    tu_buffer_free(&s->values);
    free(s->ptrs);
    memset(s, 0, sizeof *s);
}

/* A copy of `s` in the report's arena (NULL stays NULL). 0 or -1. */
static int keep_text(tu_report *rep, const char **s)
{
    if (*s && !(*s = tu_arena_strndup(&rep->texts, *s, strlen(*s))))
        return -1;
    return 0;
}

/* An action's changes as JSON text in `arena` (written with the result,
 * parsed only for tu_report_json), or NULL for none. 0 or -1. */
static int changes_text(tu_arena *arena, const tu_action *a,
                        tu_buffer *scratch, const char **out)
{
    *out = NULL;
    if (!tu_action_has_changes(a))
        return 0;
    tu_buffer_truncate(scratch, 0);
    if (tu_action_changes_dumpb(a, scratch) != 0)
        return -1;
    *out = tu_arena_strndup(arena, scratch->data, scratch->len);
    return *out ? 0 : -1;
}

int tu_report_texts_init(tu_report_texts *t, size_t nactions)
{
    memset(t, 0, sizeof *t);
    t->kept = calloc(nactions ? nactions : 1, sizeof *t->kept);
    tu_advise_huge(t->kept, nactions * sizeof *t->kept);
    t->count = t->kept ? nactions : 0;
    return t->kept ? 0 : -1;
}

int tu_report_texts_keep(tu_report_texts *t, const tu_plan *plan,
                         const tu_action *a)
{
    size_t i = (size_t)(a - plan->actions);
    tu_report_text *k = i < t->count ? &t->kept[i] : NULL;

    if (!k || k->key || a->kind == TU_ACTION_SKIP)
        return 0;
    if (changes_text(&t->arena, a, &t->scratch, &k->changes) != 0 ||
        label_and_values(&t->arena, a, &t->scratch, &k->key,
                         &k->key_values, &k->key_count) != 0) {
        k->key = NULL;
        k->changes = NULL;
        k->key_values = NULL;
        return -1;
    }
    return 0;
}

void tu_report_texts_free(tu_report_texts *t)
{
    tu_arena_free(&t->arena);
    free(t->kept);
    tu_buffer_free(&t->scratch);
    memset(t, 0, sizeof *t);
}

/* Name the key fields of `r` when its values are the target's. */
static void name_key(const tu_report *rep, tu_record_result *r,
                     const char **values, size_t count)
{
    if (count && count == rep->nkey) {
        r->key_count = count;
        r->key_names = rep->key_names;
        r->key_values = values;
    }
}

/* The texts of results[at], from `texts` when they were made during the
 * push, else made now. 0 or -1. */
static int keep_texts(tu_report *rep, const tu_report_texts *texts,
                      size_t at, const tu_action *a, tu_buffer *scratch)
{
    tu_record_result *r = &rep->results[rep->nresults - 1];
    const tu_report_text *k = texts && at < texts->count ? &texts->kept[at]
                                                         : NULL;
    const char **values;
    size_t count;

    if (keep_text(rep, &r->error) || keep_text(rep, &r->note) ||
        keep_text(rep, &r->id))
        return -1;
    r->message = r->error ? r->error : r->note;
    if (k && k->key) {
        r->key = k->key;           /* in texts' arena, now the report's */
        r->changes = k->changes;
        name_key(rep, r, k->key_values, k->key_count);
        return 0;
    }
    if (changes_text(&rep->texts, a, scratch, &r->changes) ||
        label_and_values(&rep->texts, a, scratch, &r->key, &values, &count))
        return -1;
    name_key(rep, r, values, count);
    return 0;
}

/* Every action but the skips, as results that outlive the plan. 0 or -1. */
static int keep_results(tu_report *rep, const tu_plan *plan,
                        const tu_report_texts *texts)
{
    tu_buffer scratch = TU_BUFFER_INIT;
    size_t n = 0, i;

    for (i = 0; i < plan->count; i++)
        n += plan->actions[i].kind != TU_ACTION_SKIP;
    if (n && !(rep->results = malloc(n * sizeof *rep->results)))
        return -1;
    /* 36 MB at 3M records, 10% changed: 8,789 faults of 4 KiB otherwise */
    tu_advise_huge(rep->results, n * sizeof *rep->results);
    for (i = 0; i < plan->count; i++) {
        tu_record_result *r;
        if (plan->actions[i].kind == TU_ACTION_SKIP)
            continue;  /* (results is NULL when every action is a skip) */
        r = &rep->results[rep->nresults];
        result_of(&plan->actions[i], r);
        rep->nresults++;
        if (keep_texts(rep, texts, i, &plan->actions[i], &scratch) != 0)
            break;
    }
    tu_buffer_free(&scratch);
    return i < plan->count ? -1 : 0;
}

static json_t *results_json(const tu_report *rep)
{
    json_t *results = json_array();
    int_cache ints[2] = {{0, NULL}, {0, NULL}};  /* http_status, attempts */

    for (size_t i = 0; results && i < rep->nresults; i++) {
        if (json_array_append_new(results,
                                  result_json(&rep->results[i], ints))) {
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
    for (size_t i = 0; list && plan && i < plan->count; i++) {
        const tu_action *a = &plan->actions[i];
        if (tu_action_left_alone(a) &&
            json_array_append_new(list, json_pack(
                "{s:s,s:s}", "key", tu_action_label(a), "reason",
                tu_action_left_alone(a))) != 0) {
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
    if (left && f->left_items &&
        json_array_extend(left, (json_t *)f->left_items) != 0) {
        json_decref(left);
        return -1;
    }
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
                                json_integer((json_int_t)f->by_version[i]))) {
            json_decref(protocols);
            return -1;
        }
    if (!protocols || json_object_set_new(out, "protocols", protocols) != 0)
        return -1;
    return json_object_set_new(out, "connections",
                               json_integer((json_int_t)f->connections));
}

/* Where the results go among the members (docs/report.md's order). */
#define RESULTS_AFTER "elapsed_ms"

json_t *tu_report_summary_json(const tu_report *rep,
                               const tu_report_facts *f,
                               const tu_plan *plan)
{
    const tu_counts *c = &rep->counts;
    json_t *warnings = json_array();
    json_t *out;

    for (size_t i = 0; warnings && i < 4 && f->warnings[i]; i++)
        json_array_append_new(warnings, json_string(f->warnings[i]));
    if (!warnings)
        return NULL;
    out = json_pack(
        "{s:i, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
        "s:I, s:I, s:I, s:I, s:b, s:I}",
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
        RESULTS_AFTER, (json_int_t)f->elapsed_ms);
    if (!out) {
        json_decref(warnings);
        return NULL;
    }
    if (json_object_set_new(out, "warnings", warnings) == 0 &&
        (!f->provider || add_target(out, f) == 0) &&
        add_scope_facts(out, f, plan) == 0 &&
        add_connections(out, f) == 0)
        return out;
    json_decref(out);
    return NULL;
}

/* The summary's members with the results among them. */
static json_t *whole_json(const tu_report *rep)
{
    json_t *out = json_object(), *value;
    const char *key;

    json_object_foreach(rep->summary, key, value) {
        if (!out || json_object_set(out, key, value) != 0 ||
            (strcmp(key, RESULTS_AFTER) == 0 &&
             json_object_set_new(out, "results", results_json(rep)) != 0)) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* The target's key field names, copied for the results. 0 or -1. */
static int keep_key_names(tu_report *rep, const tu_keyspec *key)
{
    size_t n = key ? key->count : 0;

    if (!n)
        return 0;
    if (!(rep->key_names = tu_arena_alloc(&rep->texts,
                                          n * sizeof *rep->key_names)))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!(rep->key_names[i] = tu_arena_strndup(
                  &rep->texts, key->fields[i], strlen(key->fields[i]))))
            return -1;
    rep->nkey = n;
    return 0;
}

tu_report *tu_report_build(const tu_plan *plan, const tu_report_facts *f,
                           tu_report_texts *texts)
{
    tu_report *rep = calloc(1, sizeof *rep);
    if (!rep) {
        if (texts)
            tu_report_texts_free(texts);
        return NULL;
    }
    if (texts) {                     /* its arena is the report's texts */
        rep->texts = texts->arena;
        memset(&texts->arena, 0, sizeof texts->arena);
    }
    for (size_t i = 0; i < plan->count; i++)
        count_action(&rep->counts, &plan->actions[i], f->mode);
    rep->counts.requests = f->requests;
    rep->changed = rep->counts.created + rep->counts.updated +
                       rep->counts.deleted + rep->counts.replaced > 0;
    if (keep_key_names(rep, f->key) != 0 ||
        keep_results(rep, plan, texts) != 0 ||
        !(rep->summary = tu_report_summary_json(rep, f, plan))) {
        tu_report_free(rep);
        rep = NULL;
    }
    if (texts)
        tu_report_texts_free(texts);
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

size_t tu_report_result_count(const tu_report *rep)
{
    return rep->nresults;
}

const tu_record_result *tu_report_result(const tu_report *rep, size_t i)
{
    return i < rep->nresults ? &rep->results[i] : NULL;
}

const json_t *tu_report_summary(const tu_report *rep)
{
    return rep->summary;
}

const json_t *tu_report_json(const tu_report *rep)
{
    tu_report *r = (tu_report *)rep;  /* the JSON is a cache: made once */
    json_t *json = __atomic_load_n(&r->json, __ATOMIC_ACQUIRE);
    json_t *none = NULL;

    if (json || !(json = whole_json(rep)))
        return json;
    if (!__atomic_compare_exchange_n(&r->json, &none, json, 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        json_decref(json);   /* another thread made it first */
        return none;
    }
    return json;
}

/* ---- the report's text ------------------------------------------------- */

/* The results member, one result a line. 0 or -1. */
static int write_results(const tu_report *rep, tu_lines *w)
{
    if (tu_buffer_puts(&w->buf, rep->nresults ? "  \"results\": [\n"
                                              : "  \"results\": [],\n") < 0)
        return -1;
    for (size_t i = 0; i < rep->nresults; i++)
        if (tu_buffer_puts(&w->buf, "    ") < 0 ||
            result_write(&rep->results[i], &w->buf) < 0 ||
            tu_buffer_puts(&w->buf, i + 1 < rep->nresults ? ",\n" : "\n")
                < 0 || tu_lines_flush(w, TU_LINES_CHUNK) < 0)
            return -1;
    return rep->nresults ? tu_buffer_puts(&w->buf, "  ],\n") : 0;
}

static int report_write(const tu_report *rep, tu_lines *w)
{
    size_t n = 0, size = json_object_size(rep->summary);
    const char *key;
    json_t *value;

    if (tu_buffer_puts(&w->buf, "{\n") < 0)
        return -1;
    json_object_foreach(rep->summary, key, value) {
        if (tu_lines_member(w, key, value, ++n == size) < 0 ||
            (strcmp(key, RESULTS_AFTER) == 0 && write_results(rep, w) < 0))
            return -1;
    }
    if (tu_buffer_puts(&w->buf, "}\n") < 0)
        return -1;
    return tu_lines_flush(w, 0);
}

static int emit_file(const char *bytes, size_t n, void *data)
{
    return fwrite(bytes, 1, n, data) == n ? 0 : -1;
}

int tu_report_dumpf(const tu_report *rep, FILE *out)
{
    tu_lines w = {TU_BUFFER_INIT, emit_file, out};
    int rc = report_write(rep, &w);

    tu_buffer_free(&w.buf);
    return rc == 0 && !ferror(out) ? 0 : -1;
}

char *tu_report_dumps(const tu_report *rep)
{
    tu_lines w = {TU_BUFFER_INIT, NULL, NULL};

    if (report_write(rep, &w) != 0) {
        tu_buffer_free(&w.buf);
        return NULL;
    }
    return tu_buffer_take(&w.buf);
}

const json_t *tu_report_plan_file(const tu_report *rep)
{
    return rep->plan_file;
}

void tu_report_free(tu_report *rep)
{
    if (!rep)
        return;
    for (size_t i = 0; i < rep->nparts; i++)
        tu_report_free(rep->parts[i]);
    free(rep->parts);
    free(rep->results);
    tu_arena_free(&rep->texts);
    json_decref(rep->summary);
    json_decref(rep->json);
    json_decref(rep->plan_file);
    free(rep);
}
