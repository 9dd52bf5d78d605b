/* plan.c -- the diff of desired against live records (see plan.h).
 *
 * Two passes: every desired record looks up its live match by key through
 * the live set's index and is compared field by field; then, with prune,
 * every live record that no desired record names becomes a delete, unless
 * it is out of the prune scope, not marked as this owner's, or protected.
 * A planned change meets protection and ownership in guard(). Both passes
 * are linear in the number of records (times the rules).
 */
#include "plan.h"
#include "util/arena.h"
#include "state/error.h"
#include "util/json_util.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tu_action_kind_name(tu_action_kind kind)
{
    static const char *const names[] = {"skip", "create", "update", "delete",
                                        "fail", "replace"};
    return names[kind];
}

tu_action_kind tu_action_request(const tu_action *a)
{
    if (a->kind != TU_ACTION_REPLACE)
        return a->kind;
    return a->deleted ? TU_ACTION_CREATE : TU_ACTION_DELETE;
}

const char *tu_action_label(const tu_action *a)
{
    return a->desired ? tu_record_label(a->desired) : tu_record_label(a->live);
}

/* The action's texts, made (empty) when it has none; NULL: out of memory */
static tu_action_text *text_of(tu_action *a)
{
    if (!a->text)
        a->text = calloc(1, sizeof *a->text);
    return a->text;
}

/* Put `owned` (taken over; NULL: none) in the text at offset `at` of
 * tu_action_text, the old one freed. 0 or -1 (out of memory). */
static int take(tu_action *a, size_t at, char *owned)
{
    char **slot;

    if (!owned && !a->text)
        return 0;                        /* nothing to clear */
    if (!text_of(a)) {
        free(owned);
        return -1;
    }
    slot = (char **)((char *)a->text + at);
    free(*slot);
    *slot = owned;
    return 0;
}

/* A copy of `text` (NULL: none) in the text at `at`; on out of memory
 * the text is none and -1 returned. */
static int set_copy(tu_action *a, size_t at, const char *text)
{
    char *copy = text ? strdup(text) : NULL;
    int rc = take(a, at, copy);

    return text && !copy ? -1 : rc;
}

int tu_action_set_error(tu_action *a, const char *text)
{
    return set_copy(a, offsetof(tu_action_text, error), text);
}

int tu_action_set_note(tu_action *a, const char *text)
{
    return set_copy(a, offsetof(tu_action_text, note), text);
}

int tu_action_set_left_alone(tu_action *a, const char *text)
{
    return set_copy(a, offsetof(tu_action_text, left_alone), text);
}

int tu_action_take_new_id(tu_action *a, char *id)
{
    return take(a, offsetof(tu_action_text, new_id), id);
}

int tu_action_set_refused(tu_action *a, const char *refused)
{
    if (!text_of(a))
        return -1;
    a->text->refused = refused;
    return 0;
}

void tu_action_clear_text(tu_action *a)
{
    if (a->text) {
        free(a->text->error);
        free(a->text->note);
        free(a->text->left_alone);
        free(a->text->new_id);
        free(a->text);
        a->text = NULL;
    }
}

void tu_action_fail(tu_action *a, const char *message)
{
    (void)tu_action_set_error(a, message ? message : "failed");
    a->status = TU_STATUS_FAILED;
}

static int in_list(const char *name, const char **list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i], name) == 0)
            return 1;
    }
    return 0;
}

static int compared(const char *field, const tu_plan_options *o)
{
    return !in_list(field, o->key->fields, o->key->count) &&
           !in_list(field, o->ignore, o->nignore);
}

/* Add {before, after} (references taken over; `before` may be NULL: a
 * create) under `field`, making the changes object on the first one. */
static int add_change(json_t **changes, const char *field, json_t *before,
                      json_t *after)
{
    json_t *c = json_object();
    int rc = !c || !after || (!*changes && !(*changes = json_object())) ||
             (before && json_object_set(c, "before", before)) ||
             json_object_set(c, "after", after) ||
             json_object_set(*changes, field, c) ? -1 : 0;

    json_decref(c);
    json_decref(before);
    json_decref(after);
    return rc;
}

/* One declared field against the live record's value of it (`have`,
 * NULL when the field is absent; `live` NULL: a create): 0 when it does
 * not change, 1 with *before and *after set when it does (new
 * references), -1 when out of memory. */
static int diff_field(const char *field, const json_t *want,
                      const tu_record *live, json_t *have,
                      const tu_plan_options *o, json_t **before,
                      json_t **after)
{
    const tu_field_rule *rule = tu_field_rule_get(o->rules, field);
    /* a field the live record lacks counts as null, so a declared
     * null converges instead of being "updated" on every run */
    if (live && !have)
        have = json_null();
    if (rule && rule->write_only) {
        if (live && !rule->always)
            return 0;
        have = NULL;
        want = NULL;
    } else if (tu_field_server_owned(o->rules, field) ||
               (live && (!compared(field, o) ||
                         tu_field_equal(o->rules, field, want,
                                        have)))) {
        return 0;
    }
    *before = have ? json_incref(have) : NULL;
    *after = want ? json_incref((json_t *)want) : json_string(TU_FIELD_HIDDEN);
    return 1;
}

/* A field with no rule and not owned by the server: compared as it is. */
static int plain_field(const char *name, const tu_plan_options *o)
{
    return !tu_field_rule_get(o->rules, name) &&
           !tu_field_server_owned(o->rules, name);
}

/* 1 when a plain packed field differs from the live record's value of it
 * (*have: that value, NULL when the record lacks it or it was not looked
 * up), else 0. Every field of a create (`live` NULL) differs; a declared
 * null equals an absent field. */
static int plain_field_differs(const tu_pfield *f, const tu_record *live,
                               const tu_plan_options *o,
                               const tu_pfield **have)
{
    *have = NULL;
    if (!live)
        return 1;
    if (!compared(tu_pfield_name(f), o))
        return 0;
    *have = tu_record_pfield(live, tu_pfield_name(f));
    return *have ? !tu_pfield_equal(f, *have)
                 : tu_pfield_type(f) != TU_PV_NULL;
}

/* The same for packed records, without their jansson form: only a field
 * with a rule, or one that differs, is turned into jansson values. */
static int diff_packed_field(const tu_pfield *f, const tu_record *live,
                             const tu_plan_options *o, json_t **before,
                             json_t **after)
{
    const tu_pfield *have;
    json_t *want, *lj;
    int rc;

    if (plain_field(tu_pfield_name(f), o)) {
        if (!plain_field_differs(f, live, o, &have))
            return 0;
        *before = have ? tu_pfield_json(have) : live ? json_null() : NULL;
        *after = tu_pfield_json(f);
        if (*after && (*before || !live))
            return 1;
        json_decref(*before);
        json_decref(*after);
        return -1;
    }
    /* a rule: its field's two values alone in jansson form */
    have = live ? tu_record_pfield(live, tu_pfield_name(f)) : NULL;
    want = tu_pfield_json(f);
    lj = have ? tu_pfield_json(have) : NULL;
    rc = want && (lj || !have) ? diff_field(tu_pfield_name(f), want, live,
                                            lj, o, before, after) : -1;
    json_decref(want);
    json_decref(lj);
    return rc;
}

static int diff_fields(const tu_record *desired, const tu_record *live,
                       const tu_plan_options *o, json_t **changes);

/* What a field the live record lacks is before a change: null. */
static const tu_pfield absent_field = {TU_PV_NULL, {NULL}};  /* no name */

/* The compact diff of packed records (desired, and live unless a create):
 * 1 with the changes in found[] (*n of them) when every declared field is
 * plain and at most TU_PLAN_COMPACT_MAX differ, else 0 (the jansson form
 * is made instead). The same comparison as diff_packed_field's. */
#define TU_PLAN_COMPACT_MAX 16
static int diff_compact(const tu_record *desired, const tu_record *live,
                        const tu_plan_options *o, tu_change *found, size_t *n)
{
    const tu_packed *p = tu_record_packed(desired);

    *n = 0;
    if (!p || (live && !tu_record_packed(live)))
        return 0;
    for (size_t i = 0; i < p->count; i++) {
        const tu_pfield *f = &p->fields[i], *have;
        if (!plain_field(tu_pfield_name(f), o))
            return 0;
        if (!plain_field_differs(f, live, o, &have))
            continue;
        if (*n == TU_PLAN_COMPACT_MAX)
            return 0;
        found[*n].field = tu_pfield_name(f);
        found[*n].before = have ? have : live ? &absent_field : NULL;
        found[*n].after = f;
        (*n)++;
    }
    return 1;
}

/* The changes of one action in the compact form when diff_compact says
 * it applies (a copy in the plan's arena), else in the jansson form. 0,
 * or -1 when out of memory. */
static int diff_record(tu_plan *plan, tu_action *a, const tu_plan_options *o)
{
    tu_change found[TU_PLAN_COMPACT_MAX];
    tu_change *kept;
    size_t n;

    if (!diff_compact(a->desired, a->live, o, found, &n))
        return diff_fields(a->desired, a->live, o, &a->changes);
    if (n == 0)
        return 0;
    if (!(kept = tu_arena_alloc(&plan->arena, n * sizeof *kept)))
        return -1;
    memcpy(kept, found, n * sizeof *kept);
    a->clist = kept;
    a->nchanges = (unsigned)n;
    return 0;
}

/* *changes: {field: {before, after}} for each declared field that
 * differs, or NULL when none does. 0, or -1 when out of memory. */
static int diff_fields(const tu_record *desired, const tu_record *live,
                       const tu_plan_options *o, json_t **changes)
{
    const tu_packed *p = tu_record_packed(desired);
    int packed = p && (!live || tu_record_packed(live));
    size_t n = packed ? p->count : 0;
    const char *field;
    json_t *want, *before = NULL, *after = NULL, *df, *lf;
    int rc = 0;

    *changes = NULL;
    for (size_t i = 0; i < n && rc >= 0; i++) {
        const tu_pfield *f = &p->fields[i];
        rc = diff_packed_field(f, live, o, &before, &after);
        if (rc > 0)
            rc = add_change(changes, tu_pfield_name(f), before, after);
    }
    if (packed)
        return rc < 0 ? -1 : 0;
    df = tu_record_fields(desired);
    lf = live ? tu_record_fields(live) : NULL;
    if (!df || (live && !lf))
        return -1;
    json_object_foreach(df, field, want) {
        rc = diff_field(field, want, live, json_object_get(lf, field), o,
                        &before, &after);
        if (rc > 0)
            rc = add_change(changes, field, before, after);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static void ambiguous(tu_action *a, const char *label)
{
    char msg[512];
    snprintf(msg, sizeof msg, "ambiguous: several live records have the key "
             "'%s'; not touched (remove the duplicates on the server)", label);
    a->kind = TU_ACTION_FAIL;
    tu_action_fail(a, msg);
}

/* The first rule matching a record, through a jansson form made for the
 * lookup alone (prune visits every live record). NULL when none matches,
 * or when out of memory (then nothing is protected or in scope: the
 * caller's next allocation fails the plan). */
static const tu_rule *rules_find(const tu_rules *rules, const tu_record *r)
{
    json_t *fields;
    const tu_rule *rule;

    if (!rules || !rules->count)
        return NULL;
    fields = tu_record_json(r);
    rule = fields ? tu_rules_find(rules, fields) : NULL;
    json_decref(fields);
    return rule;
}

static int provider_protects(const tu_record *r, const tu_plan_options *o)
{
    return r && o->protect && o->protect(o->protect_data, r);
}

/* The owner id in a live record's mark, or NULL when it has none. */
static const char *mark_of(const tu_record *l, const tu_plan_options *o)
{
    return tu_record_string(l, o->owner_field);
}

static int foreign(const tu_record *l, const tu_plan_options *o)
{
    const char *mark = o->owner && l ? mark_of(l, o) : NULL;
    return mark && strcmp(mark, o->owner) != 0;
}

/* Turn a planned action into "left alone", saying why (printf-style). */
static int leave_alone(tu_action *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int leave_alone(tu_action *a, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_decref(a->changes);
    a->changes = NULL;
    a->clist = NULL;
    a->nchanges = 0;
    a->kind = TU_ACTION_SKIP;
    return tu_action_set_left_alone(a, msg);
}

/* A planned change the ownership rules or the provider refuse fails
 * (printf-style message). */
static int refuse(tu_action *a, const char *refused, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(tu_action *a, const char *refused, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    tu_action_fail(a, msg);
    return tu_action_error(a) ? tu_action_set_refused(a, refused) : -1;
}

/* What protection and ownership make of a planned create, update or
 * delete of a desired record `d` over the live `l`. 0, or -1 (OOM). */
static int guard(tu_action *a, const tu_record *d, const tu_record *l,
                 const tu_plan_options *o)
{
    const tu_rule *rule;

    if (provider_protects(l, o)) {
        if (d->derived)
            return leave_alone(a, "protected by the provider");
        if (d->absent)
            return refuse(a, "protected", "protected: '%s' is a record the "
                          "provider protects; it is never deleted",
                          tu_record_label(d));
        if (!o->change_protected)
            return refuse(a, "protected", "protected: '%s' is a record the "
                          "provider protects; a declared change to it is made "
                          "only when changing protected records is allowed "
                          "(options.change_protected)", tu_record_label(d));
    }
    if (d->derived && (rule = rules_find(o->protect_rules, l)))
        return leave_alone(a, "protected by %s", rule->where);
    if (!foreign(l, o) || d->takeover)
        return 0;
    if (d->derived)
        return leave_alone(a, "owned by '%s' (its mark)", mark_of(l, o));
    return refuse(a, "owned", "owned: '%s' carries the ownership mark of "
                  "'%s'; it is changed only when its record says takeover: "
                  "true", tu_record_label(d), mark_of(l, o));
}

/* An update that changes an immutable field is a replace instead. */
static int replace_if_immutable(tu_action *a, const tu_plan_options *o)
{
    const char *field = tu_field_immutable_change(o->rules, a->changes);
    char msg[512];

    if (!field)
        return 0;
    a->kind = TU_ACTION_REPLACE;
    snprintf(msg, sizeof msg, "'%s' cannot change in place (immutable in "
             "target.fields): the record is deleted, then created", field);
    return tu_action_set_note(a, msg);
}

/* The action for desired record `d`, whose live record is `l` (NULL:
 * none). */
static int plan_desired(tu_plan *plan, tu_action *a, const tu_record *d,
                        const tu_record *l, const tu_plan_options *o)
{
    memset(a, 0, sizeof *a);
    a->desired = d;
    a->live = l;
    if (l && l->ambiguous) {
        ambiguous(a, tu_record_label(d));
        return tu_action_error(a) ? 0 : -1;
    }
    if (d->absent) {
        a->kind = l ? TU_ACTION_DELETE : TU_ACTION_SKIP;
    } else {
        if (diff_record(plan, a, o) != 0)
            return -1;
        if (!l)
            a->kind = TU_ACTION_CREATE;
        else
            a->kind = tu_action_has_changes(a) ? TU_ACTION_UPDATE
                                               : TU_ACTION_SKIP;
        if (a->kind == TU_ACTION_UPDATE && replace_if_immutable(a, o) != 0)
            return -1;
    }
    if (a->kind == TU_ACTION_SKIP || !l)
        return 0;
    return guard(a, d, l, o);
}

/* What prune makes of a live record. */
typedef enum prune_fate {
    PRUNE_NONE,          /* named by a desired record, or a duplicate key */
    PRUNE_OUT_OF_SCOPE,
    PRUNE_NOT_OWNED,
    PRUNE_KEEP,          /* protected: left alone and listed */
    PRUNE_DELETE
} prune_fate;

/* What prune makes of the live record l; `named`: the desired record
 * with its key, if any. A record that shares its key with others is
 * pruned (as ambiguous) once, for the first of them. */
static prune_fate prune_fate_of(const tu_record *named,
                                const tu_recordset *live, const tu_record *l,
                                const tu_plan_options *o, const char **why)
{
    const tu_rule *rule;
    const char *mark;

    *why = NULL;
    if (named || (l->ambiguous && tu_recordset_find(live, l->key) != l))
        return PRUNE_NONE;
    if (o->prune_scope && o->prune_scope->count &&
        !rules_find(o->prune_scope, l))
        return PRUNE_OUT_OF_SCOPE;
    mark = o->owner ? mark_of(l, o) : NULL;
    if (o->owner && (!mark || strcmp(mark, o->owner) != 0))
        return PRUNE_NOT_OWNED;
    if (provider_protects(l, o))
        return PRUNE_KEEP;
    if ((rule = rules_find(o->protect_rules, l)) != NULL) {
        *why = rule->where;
        return PRUNE_KEEP;
    }
    return PRUNE_DELETE;
}

/* The actions prune adds (deletes and records left alone); counts the
 * records it leaves out into the plan. */
static size_t count_prunable(tu_plan *plan, const tu_recordset *desired,
                             const tu_recordset *live,
                             const tu_plan_options *o)
{
    tu_recordset_finder find;
    size_t n = 0;
    const char *why;

    tu_recordset_finder_init(&find, desired, live->items, live->count);
    for (size_t i = 0; i < live->count; i++) {
        prune_fate f = prune_fate_of(tu_recordset_find_next(&find, i), live,
                                     &live->items[i], o, &why);
        n += f == PRUNE_KEEP || f == PRUNE_DELETE;
        plan->out_of_scope += f == PRUNE_OUT_OF_SCOPE;
        plan->not_owned += f == PRUNE_NOT_OWNED;
    }
    return n;
}

static int plan_prune(tu_plan *plan, const tu_recordset *desired,
                      const tu_recordset *live, const tu_plan_options *o)
{
    tu_recordset_finder find;

    tu_recordset_finder_init(&find, desired, live->items, live->count);
    for (size_t i = 0; i < live->count; i++) {
        const tu_record *l = &live->items[i];
        const char *why;
        prune_fate f = prune_fate_of(tu_recordset_find_next(&find, i), live,
                                     l, o, &why);
        tu_action *a;
        if (f != PRUNE_KEEP && f != PRUNE_DELETE)
            continue;
        a = &plan->actions[plan->count++];
        memset(a, 0, sizeof *a);
        a->live = l;
        a->kind = TU_ACTION_DELETE;
        if (f == PRUNE_KEEP) {
            if ((why ? leave_alone(a, "protected by %s", why)
                     : leave_alone(a, "protected by the provider")) != 0)
                return -1;
        } else if (l->ambiguous) {
            ambiguous(a, tu_record_label(l));
            if (!tu_action_error(a))
                return -1;
        }
    }
    return 0;
}

int tu_plan_build(tu_plan *plan, const tu_recordset *desired,
                  const tu_recordset *live, const tu_plan_options *o,
                  tu_error *err)
{
    tu_recordset_finder find;
    size_t n;

    plan->count = plan->out_of_scope = plan->not_owned = 0;
    memset(&plan->arena, 0, sizeof plan->arena);
    n = desired->count + (o->prune ? count_prunable(plan, desired, live, o)
                                   : 0);
    plan->actions = calloc(n ? n : 1, sizeof *plan->actions);
    if (!plan->actions)
        goto oom;
    tu_advise_huge(plan->actions, n * sizeof *plan->actions);
    tu_recordset_finder_init(&find, live, desired->items, desired->count);
    for (size_t i = 0; i < desired->count; i++) {
        if (plan_desired(plan, &plan->actions[plan->count++],
                         &desired->items[i], tu_recordset_find_next(&find, i),
                         o) != 0)
            goto oom;
    }
    if (o->prune && plan_prune(plan, desired, live, o) != 0)
        goto oom;
    return 0;
oom:
    tu_plan_free(plan);
    tu_error_set(err, TU_ERR_NOMEM, "out of memory while planning");
    return -1;
}

void tu_plan_free(tu_plan *plan)
{
    for (size_t i = 0; i < plan->count; i++) {
        json_decref(plan->actions[i].changes);
        tu_action_clear_text(&plan->actions[i]);
    }
    free(plan->actions);
    tu_arena_free(&plan->arena);
    plan->actions = NULL;
    plan->count = 0;
}

/* ---- an action's changes, in either form --------------------------------- */

int tu_action_has_changes(const tu_action *a)
{
    return a->clist ? a->nchanges > 0
                    : a->changes && json_object_size(a->changes) > 0;
}

size_t tu_action_changed_fields(const tu_action *a, const char **names,
                                size_t cap)
{
    const char *name;
    json_t *change;
    size_t n = 0;

    if (a->clist) {
        for (; n < a->nchanges; n++)
            if (n < cap)
                names[n] = a->clist[n].field;
        return n;
    }
    json_object_foreach(a->changes, name, change) {
        if (n < cap)
            names[n] = name;
        n++;
    }
    return n;
}

/* {before?, after} of one compact change: a new object, or NULL. */
static json_t *change_json(const tu_change *c)
{
    json_t *o = json_object();

    if (o && ((c->before && json_object_set_new(o, "before",
                                                tu_pfield_json(c->before))) ||
              json_object_set_new(o, "after", tu_pfield_json(c->after)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int tu_action_changes_json(const tu_action *a, json_t **out)
{
    json_t *all;

    *out = NULL;
    if (!a->clist) {
        *out = a->changes ? json_incref(a->changes) : NULL;
        return 0;
    }
    if (!(all = json_object()))
        return -1;
    for (size_t i = 0; i < a->nchanges; i++) {
        if (json_object_set_new(all, a->clist[i].field,
                                change_json(&a->clist[i])) != 0) {
            json_decref(all);
            return -1;
        }
    }
    *out = all;
    return 0;
}

/* One compact change as "field":{"before":...,"after":...}. 0 or -1. */
static int change_dumpb(const tu_change *c, tu_buffer *b)
{
    return tu_json_strb(c->field, strlen(c->field), b) < 0 ||
           tu_buffer_puts(b, c->before ? ":{\"before\":" : ":{") < 0 ||
           (c->before && (tu_pfield_dumpb(c->before, b) < 0 ||
                          tu_buffer_puts(b, ",") < 0)) ||
           tu_buffer_puts(b, "\"after\":") < 0 ||
           tu_pfield_dumpb(c->after, b) < 0 ||
           tu_buffer_puts(b, "}") < 0 ? -1 : 0;
}

int tu_action_changes_dumpb(const tu_action *a, tu_buffer *b)
{
    size_t len = b->len;

    if (!a->clist)
        return a->changes ? tu_json_dumpb(a->changes, JSON_COMPACT, b)
                          : tu_buffer_puts(b, "{}");
    if (tu_buffer_puts(b, "{") < 0)
        goto fail;
    for (size_t i = 0; i < a->nchanges; i++)
        if ((i && tu_buffer_puts(b, ",") < 0) ||
            change_dumpb(&a->clist[i], b) != 0)
            goto fail;
    if (tu_buffer_puts(b, "}") == 0)
        return 0;
fail:
    tu_buffer_truncate(b, len);
    return -1;
}
