/* plan.c -- the diff of desired against live records (see plan.h).
 *
 * Two passes: every desired record looks up its live match by key through
 * the live set's index and is compared field by field; then, with prune,
 * every live record that no desired record names becomes a delete. Both
 * passes are linear in the number of records.
 */
#include "plan.h"
#include "state/error.h"
#include "state/json_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tu_action_kind_name(tu_action_kind kind)
{
    static const char *const names[] = {"skip", "create", "update", "delete",
                                        "fail"};
    return names[kind];
}

const char *tu_action_label(const tu_action *a)
{
    return a->desired ? a->desired->label : a->live->label;
}

void tu_action_fail(tu_action *a, const char *message)
{
    free(a->error);
    a->error = strdup(message ? message : "failed");
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

static int add_change(json_t *changes, const char *field,
                      const json_t *before, const json_t *after)
{
    json_t *c = json_object();
    if (!c || (before && json_object_set(c, "before", (json_t *)before)) ||
        json_object_set(c, "after", (json_t *)after) ||
        json_object_set_new(changes, field, c)) {
        json_decref(c);
        return -1;
    }
    return 0;
}

/* {field: {before, after}} for each declared field that differs. */
static json_t *diff_fields(const tu_record *desired, const tu_record *live,
                           const tu_plan_options *o)
{
    json_t *changes = json_object();
    const char *field;
    json_t *want;

    if (!changes)
        return NULL;
    json_object_foreach(desired->fields, field, want) {
        json_t *have = live ? json_object_get(live->fields, field) : NULL;
        /* a field the live record lacks counts as null, so a declared
         * null converges instead of being "updated" on every run */
        if (live && !have)
            have = json_null();
        if (live && (!compared(field, o) || tu_json_equal(want, have)))
            continue;
        if (add_change(changes, field, have, want) != 0) {
            json_decref(changes);
            return NULL;
        }
    }
    return changes;
}

static void ambiguous(tu_action *a, const char *label)
{
    char msg[512];
    snprintf(msg, sizeof msg, "ambiguous: several live records have the key "
             "'%s'; not touched (remove the duplicates on the server)", label);
    a->kind = TU_ACTION_FAIL;
    tu_action_fail(a, msg);
}

static int is_protected(const tu_record *r, const tu_plan_options *o)
{
    return r && !o->force && o->protect && o->protect(o->protect_data, r);
}

/* A planned change to a protected record fails instead. */
static void refuse_protected(tu_action *a)
{
    char msg[512];
    snprintf(msg, sizeof msg, "protected: '%s' is changed only with --force",
             a->live->label);
    tu_action_fail(a, msg);
}

static int plan_desired(tu_action *a, const tu_record *d,
                        const tu_recordset *live, const tu_plan_options *o)
{
    const tu_record *l = tu_recordset_find(live, d->key);

    memset(a, 0, sizeof *a);
    a->desired = d;
    a->live = l;
    if (l && l->ambiguous) {
        ambiguous(a, d->label);
        return a->error ? 0 : -1;
    }
    if (d->absent) {
        a->kind = l ? TU_ACTION_DELETE : TU_ACTION_SKIP;
    } else {
        a->changes = diff_fields(d, l, o);
        if (!a->changes)
            return -1;
        if (!l)
            a->kind = TU_ACTION_CREATE;
        else
            a->kind = json_object_size(a->changes) ? TU_ACTION_UPDATE
                                                   : TU_ACTION_SKIP;
    }
    if (a->kind != TU_ACTION_SKIP && is_protected(l, o)) {
        refuse_protected(a);
        return a->error ? 0 : -1;
    }
    return 0;
}

/* Live records that prune considers: those no desired record names, each
 * key once (duplicates of an ambiguous key make one failed action). */
static int prunable(const tu_recordset *desired, const tu_recordset *live,
                    const tu_record *l, const tu_plan_options *o)
{
    return !tu_recordset_find(desired, l->key) &&
           tu_recordset_find(live, l->key) == l && !is_protected(l, o);
}

static size_t count_prunable(const tu_recordset *desired,
                             const tu_recordset *live,
                             const tu_plan_options *o)
{
    size_t n = 0;
    for (size_t i = 0; i < live->count; i++)
        n += prunable(desired, live, &live->items[i], o);
    return n;
}

static int plan_prune(tu_plan *plan, const tu_recordset *desired,
                      const tu_recordset *live, const tu_plan_options *o)
{
    for (size_t i = 0; i < live->count; i++) {
        const tu_record *l = &live->items[i];
        tu_action *a;
        if (!prunable(desired, live, l, o))
            continue;
        a = &plan->actions[plan->count++];
        memset(a, 0, sizeof *a);
        a->live = l;
        a->kind = TU_ACTION_DELETE;
        if (l->ambiguous) {
            ambiguous(a, l->label);
            if (!a->error)
                return -1;
        }
    }
    return 0;
}

int tu_plan_build(tu_plan *plan, const tu_recordset *desired,
                  const tu_recordset *live, const tu_plan_options *o,
                  tu_error *err)
{
    size_t n = desired->count +
               (o->prune ? count_prunable(desired, live, o) : 0);

    plan->count = 0;
    plan->actions = calloc(n ? n : 1, sizeof *plan->actions);
    if (!plan->actions)
        goto oom;
    for (size_t i = 0; i < desired->count; i++) {
        if (plan_desired(&plan->actions[plan->count++], &desired->items[i],
                         live, o) != 0)
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
        free(plan->actions[i].error);
        free(plan->actions[i].note);
    }
    free(plan->actions);
    plan->actions = NULL;
    plan->count = 0;
}
