/* system_refs.c -- the references of a system's run (system_refs.h).
 *
 * A reference is written as the named record's key (`tenant: acme`); the
 * API holds what `send` names (`tenant: 2`, the tenant's id). The live
 * records are read back to the key form (tu_refs_translate) so that they
 * compare with the files and export as references; the records as read
 * stay beside them, and an action about to be sent gets them back, with
 * its desired record in the API's form (tu_refs_resolve). Waits between
 * writes are kept as a compressed adjacency list: for each action (by a
 * global index, unit by unit), the writes that wait for it.
 */
#include "system_refs.h"
#include "desired.h"
#include "state/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void key_of(const tu_desired *d, tu_keyspec *key)
{
    const char **ignore;
    size_t nignore;

    d->target.ops->describe(d->target.cfg, key, &ignore, &nignore);
}

/* The key of the record `fields` names through `r`, in the named
 * resource's form. 0 (*key, *label malloc'd), 1 when a field of `by` is
 * missing or null (no reference), -1 when out of memory. */
static int named_key(const tu_refs *refs, const tu_sys_ref *r,
                     const json_t *fields, char **key, char **label)
{
    tu_keyspec spec;
    json_t *tmp = json_object();
    const char *missing;
    int rc = 0;

    key_of(refs->units[r->to].d, &spec);
    for (size_t i = 0; tmp && rc == 0 && i < r->nby && i < spec.count; i++) {
        json_t *v = json_object_get(fields, r->by[i]);
        if (!v || json_is_null(v))
            rc = 1;
        else if (json_object_set(tmp, spec.fields[i], v) != 0)
            rc = -1;
    }
    if (!tmp)
        return -1;
    if (rc == 0 && tu_record_key(tmp, &spec, key, label, &missing) != 0)
        rc = missing ? 1 : -1;
    json_decref(tmp);
    return rc;
}

/* A value as the text an index keys it by: a string, or an integer's
 * digits; NULL for anything else. */
static const char *value_text(const json_t *v, char *buf, size_t n)
{
    if (json_is_string(v))
        return json_string_value(v);
    if (!json_is_integer(v))
        return NULL;
    snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return buf;
}

/* ---- translating the live records ---------------------------------------- */

/* Does `r` need reading back (what is sent is not the key field)? */
static int needs_reading_back(const tu_refs *refs, const tu_sys_ref *r)
{
    tu_keyspec spec;

    key_of(refs->units[r->to].d, &spec);
    return r->send && r->at < spec.count &&
           strcmp(r->send, spec.fields[r->at]) != 0;
}

/* The named resource's live records by their `send` value. The index
 * borrows the texts from `texts` (freed by the caller). */
static int index_sent(const tu_recordset *live, const char *send,
                      tu_strmap *map, char ***texts)
{
    char buf[32];

    tu_strmap_init(map);
    if (!(*texts = calloc(live->count + 1, sizeof **texts)) ||
        tu_strmap_reserve(map, live->count) != 0)
        return -1;
    for (size_t i = 0; i < live->count; i++) {
        json_t *v = tu_record_value(&live->items[i], send);
        const char *t = value_text(v, buf, sizeof buf);
        if (t && !((*texts)[i] = strdup(t))) {
            json_decref(v);
            return -1;
        }
        json_decref(v);
        if (t && tu_strmap_put(map, (*texts)[i], i, NULL) < 0)
            return -1;
    }
    return 0;
}

/* One live record's fields with reference `r` read back to the key. */
static int read_back(const tu_refs *refs, const tu_sys_ref *r,
                     const tu_strmap *map, json_t *fields)
{
    const tu_ref_unit *to = &refs->units[r->to];
    tu_keyspec spec;
    char buf[32];
    const char *t = value_text(json_object_get(fields, r->field), buf,
                               sizeof buf);
    size_t i;

    if (!t || tu_strmap_get(map, t, &i) != 1)
        return 0;           /* names no live record: compared as it is */
    key_of(to->d, &spec);
    return json_object_set_new(fields, r->field, tu_record_value(
        &to->live->items[i], spec.fields[r->at]));
}

/* The unit's live records again, with every reference `r` of it read
 * back (maps[k] indexes the k-th reference's named records). */
static int rebuild(tu_refs *refs, size_t u, tu_strmap *maps,
                   const tu_sys_ref **rs, size_t nrs)
{
    tu_ref_unit *unit = &refs->units[u];
    tu_recordset out;
    tu_keyspec spec;
    const char *missing;

    key_of(unit->d, &spec);
    tu_recordset_init(&out);
    if (tu_recordset_reserve(&out, unit->live->count) != 0)
        return -1;
    for (size_t i = 0; i < unit->live->count; i++) {
        json_t *fields = json_copy(tu_record_fields(&unit->live->items[i]));
        char *key = NULL, *label = NULL;
        for (size_t k = 0; fields && k < nrs; k++)
            if (read_back(refs, rs[k], &maps[k], fields) != 0)
                json_decref(fields), fields = NULL;
        if (!fields || tu_record_key(fields, &spec, &key, &label,
                                     &missing) != 0 ||
            !tu_recordset_add(&out, fields, key, label, NULL)) {
            if (!key)
                json_decref(fields);
            tu_recordset_free(&out);
            return -1;
        }
    }
    unit->raw_live = *unit->live;
    *unit->live = out;
    unit->translated = 1;
    return 0;
}

static int translate_unit(tu_refs *refs, size_t u)
{
    const tu_sys_ref *rs[32];
    tu_strmap maps[32];
    char **texts[32];
    size_t n = 0;
    int rc = 0;

    for (size_t i = 0; i < refs->sys->nrefs && n < 32; i++) {
        const tu_sys_ref *r = &refs->sys->refs[i];
        if (r->from != u || !needs_reading_back(refs, r))
            continue;
        rs[n] = r;
        texts[n] = NULL;
        if (index_sent(refs->units[r->to].live, r->send, &maps[n],
                       &texts[n]) != 0)
            rc = -1;
        n++;
    }
    if (rc == 0 && n > 0)
        rc = rebuild(refs, u, maps, rs, n);
    for (size_t k = 0; k < n; k++) {
        size_t count = refs->units[rs[k]->to].live->count;
        tu_strmap_free(&maps[k]);
        for (size_t i = 0; texts[k] && i < count; i++)
            free(texts[k][i]);
        free(texts[k]);
    }
    return rc;
}

int tu_refs_translate(tu_refs *refs, tu_error *err)
{
    for (size_t i = 0; i < refs->sys->nparts; i++) {
        if (translate_unit(refs, refs->sys->order[i]) != 0) {
            tu_error_set(err, TU_ERR_NOMEM, "out of memory while reading "
                         "back the references of resources.%s",
                         refs->sys->names[refs->sys->order[i]]);
            return -1;
        }
    }
    return 0;
}

/* ---- checking the desired references ------------------------------------- */

static int dangling(const tu_refs *refs, const tu_sys_ref *r,
                    const tu_record *d, const char *label,
                    const tu_record *declared, tu_error *err)
{
    const char *from = refs->sys->names[r->from], *to = refs->sys->names[r->to];
    char why[600];

    if (declared)
        snprintf(why, sizeof why, "declared absent at %s:%u",
                 declared->pos.file ? declared->pos.file : "?",
                 declared->pos.line);
    else
        snprintf(why, sizeof why, "neither declared nor live");
    tu_error_at(err, d->pos, "resources.%s record '%s': %s names %s record "
                "'%s', which is %s; declare it in resources.%s, or name one "
                "that exists", from, tu_record_label(d), r->field, to, label,
                why, to);
    return -1;
}

static int check_ref(const tu_refs *refs, const tu_sys_ref *r, tu_error *err)
{
    const tu_ref_unit *u = &refs->units[r->from], *to = &refs->units[r->to];

    for (size_t i = 0; i < u->d->records.count; i++) {
        const tu_record *d = &u->d->records.items[i], *td;
        char *key = NULL, *label = NULL;
        int rc;
        if (d->absent)
            continue;
        rc = named_key(refs, r, tu_record_fields(d), &key, &label);
        if (rc < 0) {
            tu_error_set(err, TU_ERR_NOMEM, "out of memory");
            return -1;
        }
        td = rc == 0 ? tu_recordset_find(&to->d->records, key) : NULL;
        if (rc == 0 && !(td ? !td->absent
                            : tu_recordset_find(to->live, key) != NULL))
            rc = dangling(refs, r, d, label, td, err);
        free(key);
        free(label);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int tu_refs_check(const tu_refs *refs, tu_error *err)
{
    for (size_t i = 0; i < refs->sys->nrefs; i++)
        if (check_ref(refs, &refs->sys->refs[i], err) != 0)
            return -1;
    return 0;
}

/* ---- the order of the writes ---------------------------------------------- */

typedef struct edge {
    size_t from;            /* the global index of the action waited for */
    tu_ref_node to;         /* the action that waits */
} edge;

typedef struct edges {
    edge *items;
    size_t count, cap;
} edges;

static const char *action_key(const tu_action *a)
{
    return (a->desired ? a->desired : a->live)->key;
}

static tu_action *action_of(const tu_refs *refs, size_t u, const char *key,
                            size_t *index)
{
    const tu_ref_unit *unit = &refs->units[u];

    if (!key || tu_strmap_get(&unit->by_key, key, index) != 1)
        return NULL;
    return &unit->plan->actions[*index];
}

static int add_edge(edges *e, size_t from, tu_ref_node to)
{
    if (e->count == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 64;
        edge *items = realloc(e->items, cap * sizeof *items);
        if (!items)
            return -1;
        e->items = items;
        e->cap = cap;
    }
    e->items[e->count].from = from;
    e->items[e->count++].to = to;
    return 0;
}

static int is_write(tu_action_kind k)
{
    return k == TU_ACTION_CREATE || k == TU_ACTION_UPDATE ||
           k == TU_ACTION_REPLACE;
}

/* A note on a planned write whose reference is known after a create. */
static void note_known_after(tu_action *a, const tu_sys_ref *r,
                             const char *to, const char *label)
{
    char note[512];

    if (tu_action_note(a))
        return;
    snprintf(note, sizeof note, "%s: the %s of %s '%s' is known after its "
             "create", r->field, r->send, to, label);
    (void)tu_action_set_note(a, note);  /* out of memory: no note */
}

/* The action of the record that `fields` (of unit u) names through r,
 * or NULL (no reference, or no action); *key and *label malloc'd (free
 * them). *rc: 0, or -1 when out of memory. */
static tu_action *named_action(const tu_refs *refs, const tu_sys_ref *r,
                               size_t u, const json_t *fields, char **key,
                               char **label, size_t *bi, int *rc)
{
    int found = r->from == u ? named_key(refs, r, fields, key, label) : 1;

    *rc = found < 0 ? -1 : 0;
    return found == 0 ? action_of(refs, r->to, *key, bi) : NULL;
}

/* The waits of one action's desired references: the writes of the records
 * it names go first. A declared record naming one this run deletes is an
 * error. 0 or -1. */
static int desired_waits(tu_refs *refs, tu_ref_node n, tu_mode mode,
                         edges *e, tu_error *err)
{
    tu_action *a = &refs->units[n.unit].plan->actions[n.action], *b;
    const json_t *fields = tu_record_fields(a->desired);

    for (size_t i = 0; i < refs->sys->nrefs; i++) {
        const tu_sys_ref *r = &refs->sys->refs[i];
        char *key = NULL, *label = NULL;
        size_t bi;
        int rc;
        b = named_action(refs, r, n.unit, fields, &key, &label, &bi, &rc);
        if (b && b->status == TU_STATUS_PLANNED && b->kind == TU_ACTION_DELETE) {
            tu_error_at(err, a->desired->pos, "resources.%s record '%s': %s "
                        "names %s record '%s', which this run deletes (it is "
                        "not declared, and prune is on); declare it, or "
                        "name another", refs->sys->names[n.unit],
                        tu_record_label(a->desired), r->field,
                        refs->sys->names[r->to],
                        label);
            rc = -1;
        } else if (b && b->status == TU_STATUS_PLANNED && is_write(b->kind)) {
            if (mode == TU_MODE_PLAN && b->kind != TU_ACTION_UPDATE && r->send &&
                !json_object_get(tu_record_fields(b->desired), r->send))
                note_known_after(a, r, refs->sys->names[r->to], label);
            rc = add_edge(e, refs->units[r->to].first + bi, n);
        }
        free(key);
        free(label);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* The waits of one action's live references: a record this run deletes
 * goes after the writes of the live records naming it. 0 or -1. */
static int live_waits(tu_refs *refs, tu_ref_node n, edges *e)
{
    tu_action *a = &refs->units[n.unit].plan->actions[n.action], *b;
    const json_t *fields = tu_record_fields(a->live);
    size_t self = refs->units[n.unit].first + n.action;

    for (size_t i = 0; i < refs->sys->nrefs; i++) {
        const tu_sys_ref *r = &refs->sys->refs[i];
        char *key = NULL, *label = NULL;
        size_t bi;
        int rc;
        b = named_action(refs, r, n.unit, fields, &key, &label, &bi, &rc);
        if (b && b->status == TU_STATUS_PLANNED && b->kind == TU_ACTION_DELETE)
            rc = add_edge(e, self, (tu_ref_node){(uint32_t)r->to,
                                                  (uint32_t)bi});
        free(key);
        free(label);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Does the live record of `a` (of unit u) name a record that this run
 * replaces, through r? 1, 0, or -1 (out of memory). */
static int names_a_replace(const tu_refs *refs, const tu_sys_ref *r,
                           size_t u, const tu_action *a)
{
    char *key = NULL, *label = NULL;
    size_t bi;
    int rc;
    const tu_action *b = named_action(refs, r, u, tu_record_fields(a->live),
                                      &key, &label, &bi, &rc);

    free(key);
    free(label);
    if (rc < 0)
        return -1;
    return b && b->status == TU_STATUS_PLANNED &&
           b->kind == TU_ACTION_REPLACE;
}

/* A record the run replaces is deleted and created again: the API drops
 * what names it (RabbitMQ a queue's bindings), or what names it points at
 * what is gone (an id). So a live record naming it that the plan keeps or
 * updates is replaced too, after it (its waits put it after the named
 * record's create), and so on down. 0 or -1 (out of memory). */
static int cascade_replaces(tu_refs *refs)
{
    int changed = 1;

    while (changed) {
        changed = 0;
        for (size_t i = 0; i < refs->sys->nrefs; i++) {
            const tu_sys_ref *r = &refs->sys->refs[i];
            tu_plan *plan = refs->units[r->from].plan;
            for (size_t k = 0; k < plan->count; k++) {
                tu_action *a = &plan->actions[k];
                int rc;
                if (a->status != TU_STATUS_PLANNED || !a->live ||
                    !a->desired || a->desired->absent ||
                    tu_action_left_alone(a) ||
                    (a->kind != TU_ACTION_SKIP && a->kind != TU_ACTION_UPDATE))
                    continue;
                if ((rc = names_a_replace(refs, r, r->from, a)) < 0)
                    return -1;
                if (rc == 0)
                    continue;
                a->kind = TU_ACTION_REPLACE;
                (void)tu_action_set_note(a, "replaced: it names a record "
                                         "this run replaces (deleted, then "
                                         "created again)");
                changed = 1;
            }
        }
    }
    return 0;
}

/* Each unit's actions by key, and room for its resolved records. */
static int index_unit(tu_ref_unit *unit, size_t first)
{
    const tu_plan *plan = unit->plan;

    unit->first = first;
    tu_strmap_init(&unit->by_key);
    tu_recordset_init(&unit->resolved);
    unit->waits = calloc(plan->count + 1, sizeof *unit->waits);
    if (!unit->waits || tu_strmap_reserve(&unit->by_key, plan->count) != 0 ||
        tu_recordset_reserve(&unit->resolved, plan->count) != 0)
        return -1;
    for (size_t i = 0; i < plan->count; i++)
        if (tu_strmap_put(&unit->by_key, action_key(&plan->actions[i]), i,
                          NULL) < 0)
            return -1;
    return 0;
}

/* The edges as lists of dependents per action (counting sort). */
static int compress(tu_refs *refs, const edges *e)
{
    size_t n = refs->nactions;

    refs->dep_first = calloc(n + 2, sizeof *refs->dep_first);
    refs->deps = malloc((e->count ? e->count : 1) * sizeof *refs->deps);
    if (!refs->dep_first || !refs->deps)
        return -1;
    for (size_t i = 0; i < e->count; i++)
        refs->dep_first[e->items[i].from + 2]++;
    for (size_t i = 2; i < n + 2; i++)
        refs->dep_first[i] += refs->dep_first[i - 1];
    for (size_t i = 0; i < e->count; i++) {
        const edge *x = &e->items[i];
        refs->deps[refs->dep_first[x->from + 1]++] = x->to;
        refs->units[x->to.unit].waits[x->to.action]++;
    }
    return 0;
}

static int order_unit(tu_refs *refs, size_t u, tu_mode mode, edges *e,
                      tu_error *err)
{
    const tu_plan *plan = refs->units[u].plan;

    for (size_t i = 0; i < plan->count; i++) {
        const tu_action *a = &plan->actions[i];
        tu_ref_node n = {(uint32_t)u, (uint32_t)i};
        if (a->status != TU_STATUS_PLANNED)
            continue;
        if (a->desired && !a->desired->absent && is_write(a->kind) &&
            desired_waits(refs, n, mode, e, err) != 0)
            return -1;
        if (a->live && a->kind != TU_ACTION_SKIP &&
            a->kind != TU_ACTION_CREATE && live_waits(refs, n, e) != 0)
            return -1;
    }
    return 0;
}

int tu_refs_order(tu_refs *refs, tu_mode mode, tu_error *err)
{
    edges e = {NULL, 0, 0};
    size_t first = 0;
    int rc = 0;

    tu_error_clear(err);
    for (size_t u = 0; rc == 0 && u < refs->sys->nparts; u++) {
        rc = index_unit(&refs->units[u], first);
        first += refs->units[u].plan->count;
    }
    refs->nactions = first;
    if (rc == 0)
        rc = cascade_replaces(refs);
    for (size_t u = 0; rc == 0 && u < refs->sys->nparts; u++)
        rc = order_unit(refs, u, mode, &e, err);
    if (rc == 0)
        rc = compress(refs, &e);
    free(e.items);
    if (rc != 0 && err && !err->message[0])
        tu_error_set(err, TU_ERR_NOMEM, "out of memory while ordering the "
                     "writes");
    return rc;
}

const tu_ref_node *tu_refs_dependents(const tu_refs *refs, tu_ref_node n,
                                      size_t *count)
{
    size_t g = refs->units[n.unit].first + n.action;

    if (!refs->dep_first) {
        *count = 0;
        return NULL;
    }
    *count = refs->dep_first[g + 1] - refs->dep_first[g];
    return refs->deps + refs->dep_first[g];
}

/* ---- the API's form ------------------------------------------------------ */

/* An id a create answered, as JSON: digits are a number (as the live
 * records have them), anything else a string. */
static json_t *id_value(const char *id)
{
    size_t n = strlen(id);

    if (n > 0 && n < 19 && strspn(id, "0123456789") == n &&
        (id[0] != '0' || n == 1))
        return json_integer(strtoll(id, NULL, 10));
    return json_string(id);
}

/* What the API takes for a reference to the record `key` of r->to: the
 * declared value of `send`, the id the record's create answered in this
 * run, or the live value. A new reference, or NULL with `why` filled. */
static json_t *sent_value(const tu_refs *refs, const tu_sys_ref *r,
                          const char *key, const char *label, char *why,
                          size_t size)
{
    const tu_ref_unit *to = &refs->units[r->to];
    const tu_record *rec = tu_recordset_find(&to->d->records, key);
    json_t *v = rec ? tu_record_value(rec, r->send) : NULL;
    size_t bi;
    const tu_action *b = action_of(refs, r->to, key, &bi);

    if (v)
        return v;
    if (b && (b->kind == TU_ACTION_CREATE || b->kind == TU_ACTION_REPLACE) &&
        b->status == TU_STATUS_OK && tu_action_new_id(b))
        return id_value(tu_action_new_id(b));
    rec = tu_recordset_find(to->live, key);
    if (rec && (v = tu_record_value(rec, r->send)) != NULL)
        return v;
    snprintf(why, size, "not sent: %s names %s record '%s', whose %s is not "
             "known (%s); run again to send it once the record is read",
             r->field, refs->sys->names[r->to], label, r->send,
             b && b->kind == TU_ACTION_CREATE
                 ? "its create's answer did not say it"
                 : "the record has no such field");
    return NULL;
}

/* `fields` with each reference of unit u in the API's form; the keys are
 * all read before any value changes (a reference may be part of
 * another's key). 0, or -1 with `why` filled. */
static int to_api_form(const tu_refs *refs, size_t u, json_t *fields,
                       char *why, size_t size)
{
    const json_t *as_written = json_copy(fields);
    int rc = as_written ? 0 : -1;

    for (size_t i = 0; rc == 0 && i < refs->sys->nrefs; i++) {
        const tu_sys_ref *r = &refs->sys->refs[i];
        char *key = NULL, *label = NULL;
        json_t *v;
        if (r->from != u || !r->send ||
            named_key(refs, r, as_written, &key, &label) != 0)
            continue;
        v = sent_value(refs, r, key, label, why, size);
        if (!v || json_object_set_new(fields, r->field, v) != 0)
            rc = -1;
        free(key);
        free(label);
    }
    json_decref((json_t *)as_written);
    if (rc != 0 && !why[0])
        snprintf(why, size, "out of memory");
    return rc;
}

static int has_refs(const tu_refs *refs, size_t u)
{
    for (size_t i = 0; i < refs->sys->nrefs; i++)
        if (refs->sys->refs[i].from == u && refs->sys->refs[i].send)
            return 1;
    return 0;
}

int tu_refs_resolve(tu_refs *refs, tu_ref_node n, char *why, size_t size)
{
    tu_ref_unit *unit = &refs->units[n.unit];
    tu_action *a = &unit->plan->actions[n.action];
    const tu_record *d = a->desired;
    json_t *fields;
    tu_record *rec;
    tu_keyspec spec;
    char *key, *label;
    const char *missing;

    why[0] = '\0';
    /* a body sent back from the live record carries its references as
     * read; a delete keeps the live record's key form for the report */
    if (unit->translated && a->live && a->kind != TU_ACTION_DELETE)
        a->live = &unit->raw_live.items[a->live - unit->live->items];
    if (!d || d->absent || !has_refs(refs, n.unit))
        return 0;
    if (!(fields = json_copy(tu_record_fields(d))))
        return snprintf(why, size, "out of memory"), -1;
    if (to_api_form(refs, n.unit, fields, why, size) != 0) {
        json_decref(fields);
        return -1;
    }
    /* keyed as the API has it: re-reading after an uncertain create finds
     * the record by this key among the records as read */
    key_of(unit->d, &spec);
    if (tu_record_key(fields, &spec, &key, &label, &missing) != 0) {
        json_decref(fields);
        return snprintf(why, size, "out of memory"), -1;
    }
    rec = tu_recordset_add(&unit->resolved, fields, key, label, NULL);
    if (!rec)
        return snprintf(why, size, "out of memory"), -1;
    rec->pos = d->pos;
    rec->takeover = d->takeover;
    rec->derived = d->derived;
    a->desired = rec;
    return 0;
}

void tu_refs_free(tu_refs *refs)
{
    for (size_t u = 0; refs->units && u < refs->sys->nparts; u++) {
        tu_ref_unit *unit = &refs->units[u];
        if (unit->translated)
            tu_recordset_free(&unit->raw_live);
        tu_recordset_free(&unit->resolved);
        tu_strmap_free(&unit->by_key);
        free(unit->waits);
    }
    free(refs->units);
    free(refs->dep_first);
    free(refs->deps);
    refs->units = NULL;
    refs->dep_first = NULL;
    refs->deps = NULL;
}
