/* items.c -- item-level rules applied before the plan (see items.h).
 *
 * For each live record a desired record names (or prune would delete),
 * the items to keep are found field by field: a protect item rule selects
 * the item, or a prune_scope item rule names the field for the record and
 * none selects the item. They are put back into a copy of the desired
 * record; the plan (engine/plan.c) then sees an ordinary record.
 */
#include "items.h"
#include "state/error.h"
#include "state/rules_items.h"
#include "util/json_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What one pass needs. */
typedef struct items_run {
    const tu_rules *protect, *scope;
    const tu_plan_options *o;
    tu_normalize_fn normalize;
    void *normalize_data;
    json_t *left;              /* the report's entries, borrowed */
    tu_error *err;
} items_run;

/* Why the live item `item` of `field` (of the live record `lf`) must
 * stay, or NULL; `buf` holds the text. */
static const char *keep_reason(const items_run *run, const json_t *lf,
                               const char *field, const json_t *item,
                               char *buf, size_t size)
{
    const tu_rule *scoped = NULL;

    for (size_t i = 0; i < run->protect->nitem_rules; i++) {
        const tu_rule *r = &run->protect->item_rules[i];
        const json_t *sel = json_object_get(r->items, field);
        if (sel && tu_match_fields(r->match, lf) &&
            tu_selector_selects(sel, item)) {
            snprintf(buf, size, "protected by %s", r->where);
            return buf;
        }
    }
    for (size_t i = 0; i < run->scope->nitem_rules; i++) {
        const tu_rule *r = &run->scope->item_rules[i];
        const json_t *sel = json_object_get(r->items, field);
        if (!sel || !tu_match_fields(r->match, lf))
            continue;
        if (tu_selector_selects(sel, item))
            return NULL;
        if (!scoped)
            scoped = r;
    }
    if (!scoped)
        return NULL;
    snprintf(buf, size, "outside the items of %s", scoped->where);
    return buf;
}

/* Note one item put back in the report's list. 0 or -1. */
static int note(items_run *run, const char *label, const char *field,
                const json_t *item, const char *reason)
{
    return json_array_append_new(run->left, json_pack(
        "{s:s,s:s,s:O,s:s}", "key", label, "field", field, "item", item,
        "reason", reason));
}

/* The items of `field` of the live fields `lf` to keep, those not in
 * `declared` (may be NULL) noted for `label`: a new list (maybe empty),
 * or NULL when out of memory. */
static json_t *kept_items(items_run *run, const json_t *lf, const char *field,
                          const json_t *declared, const char *label)
{
    json_t *kept = json_array(), *item;
    size_t i, j;
    const json_t *d;
    char buf[512];

    json_array_foreach(json_object_get(lf, field), i, item) {
        const char *why = keep_reason(run, lf, field, item, buf, sizeof buf);
        int listed = 0;
        if (!why || !kept)
            continue;
        json_array_foreach(declared, j, d)
            listed |= tu_json_equal(d, item);
        if (listed)
            continue;
        if (json_array_append(kept, item) != 0 ||
            note(run, label, field, item, why) != 0) {
            json_decref(kept);
            return NULL;
        }
    }
    return kept;
}

/* The list fields item rules name, each once: a new object {field: true}. */
static json_t *item_fields(const tu_rules *a, const tu_rules *b)
{
    const tu_rules *lists[] = {a, b};
    json_t *out = json_object();
    const char *field;
    json_t *sel;

    for (size_t l = 0; out && l < 2; l++) {
        for (size_t i = 0; i < lists[l]->nitem_rules; i++) {
            json_object_foreach(lists[l]->item_rules[i].items, field, sel)
                json_object_set_new(out, field, json_true());
        }
    }
    return out;
}

static int oom(tu_error *err)
{
    tu_error_set(err, TU_ERR_NOMEM, "out of memory");
    return -1;
}

/* Give `r` the fields `fields` (a reference taken over), in the
 * provider's canonical form. 0, or -1 with err set. */
static int set_fields(items_run *run, tu_record *r, json_t *fields)
{
    if (run->normalize &&
        run->normalize(fields, r->pos, run->normalize_data, run->err) != 0) {
        json_decref(fields);
        return -1;
    }
    return tu_record_set_fields(r, fields) != 0 ? oom(run->err) : 0;
}

/* The key fields of the live fields `lf`: a new object, or NULL. */
static json_t *key_fields(const items_run *run, const json_t *lf)
{
    json_t *out = json_object();
    const tu_keyspec *key = run->o->key;

    for (size_t i = 0; out && i < key->count; i++)
        json_object_set(out, key->fields[i],
                        json_object_get(lf, key->fields[i]));
    return out;
}

/* The list `declared` (may be NULL) followed by `kept`: a new list, or
 * NULL when out of memory. `kept` is taken over. */
static json_t *joined(const json_t *declared, json_t *kept)
{
    json_t *out = declared ? json_copy((json_t *)declared) : json_array();
    if (!out || json_array_extend(out, kept) != 0) {
        json_decref(out);
        out = NULL;
    }
    json_decref(kept);
    return out;
}

/* A copied desired record against its live fields `lf`: the kept items of
 * each field in `named` put back (an absent record becomes the record
 * with them alone). 0, or -1 with err set. */
static int fix_declared(items_run *run, tu_record *r, const json_t *lf,
                        const json_t *named)
{
    json_t *df = tu_record_fields(r), *copy = NULL, *unused, *kept, *list;
    const char *field;

    if (!df)
        return oom(run->err);
    json_object_foreach((json_t *)named, field, unused) {
        const json_t *declared = r->absent ? NULL : json_object_get(df, field);
        if ((!r->absent && !json_is_array(declared)) ||
            !json_is_array(json_object_get(lf, field)))
            continue;    /* not declared: not compared, the live one stays */
        if (!(kept = kept_items(run, lf, field, declared, tu_record_label(r))))
            goto fail;
        if (json_array_size(kept) == 0) {
            json_decref(kept);
            continue;
        }
        if (!(list = joined(declared, kept)))
            goto fail;
        if (!copy && !(copy = r->absent ? key_fields(run, lf)
                                        : json_deep_copy(df))) {
            json_decref(list);
            goto fail;
        }
        if (json_object_set_new(copy, field, list) != 0)
            goto fail;
    }
    if (!copy)
        return 0;
    if (r->absent && run->o->owner &&
        json_object_set_new(copy, run->o->owner_field,
                            json_string(run->o->owner)) != 0)
        goto fail;
    r->absent = 0;
    return set_fields(run, r, copy);
fail:
    json_decref(copy);
    return oom(run->err);
}

/* 1 when prune would delete the live record `l` (fields `lf`): no
 * desired record names it, it is in the record-level scope, carries this
 * owner's mark (with an owner), and nothing protects it whole. */
static int would_prune(const items_run *run, const tu_recordset *desired,
                       const tu_record *l, const json_t *lf)
{
    const tu_plan_options *o = run->o;
    const char *mark;

    if (l->ambiguous || tu_recordset_find(desired, l->key))
        return 0;
    if (o->prune_scope && o->prune_scope->count &&
        !tu_rules_find(o->prune_scope, lf))
        return 0;
    if (o->owner) {
        mark = json_string_value(json_object_get(lf, o->owner_field));
        if (!mark || strcmp(mark, o->owner) != 0)
            return 0;
    }
    if (o->protect && o->protect(o->protect_data, l))
        return 0;
    return tu_rules_find(o->protect_rules, lf) == NULL;
}

/* A live record prune would delete that holds items to keep: a derived
 * desired record with those items alone. 0, or -1 with err set. */
static int keep_pruned(items_run *run, tu_recordset *out, const tu_record *l,
                       const json_t *lf, const json_t *named)
{
    json_t *fields = NULL, *unused, *kept;
    const char *field;
    char *key, *label;
    tu_record *r;

    json_object_foreach((json_t *)named, field, unused) {
        if (!json_is_array(json_object_get(lf, field)))
            continue;
        if (!(kept = kept_items(run, lf, field, NULL, tu_record_label(l))))
            goto fail;
        if (json_array_size(kept) > 0 &&
            ((!fields && !(fields = key_fields(run, lf))) ||
             json_object_set(fields, field, kept) != 0)) {
            json_decref(kept);
            goto fail;
        }
        json_decref(kept);
    }
    if (!fields)
        return 0;
    key = strdup(l->key);
    label = strdup(tu_record_label(l));
    if (!key || !label) {
        free(key);
        free(label);
        goto fail;
    }
    if (run->normalize &&
        run->normalize(fields, l->pos, run->normalize_data, run->err) != 0) {
        free(key);
        free(label);
        json_decref(fields);
        return -1;
    }
    if (!(r = tu_recordset_add(out, fields, key, label, NULL)))
        return oom(run->err);
    r->derived = 1;
    return 0;
fail:
    json_decref(fields);
    return oom(run->err);
}

static int keep_all(const tu_record *r, void *data)
{
    (void)r;
    (void)data;
    return 1;
}

/* Both passes over a live record. 0, or -1 with err set. */
static int visit_live(items_run *run, tu_items *items,
                      const tu_recordset *desired, const tu_record *l,
                      const json_t *named)
{
    const tu_record *d = tu_recordset_find(&items->desired, l->key);
    json_t *lf;
    int rc = 0;

    if (l->ambiguous || (!d && !run->o->prune))
        return 0;
    if (!(lf = tu_record_json(l)))
        return oom(run->err);
    if (d && tu_recordset_find(desired, l->key))
        rc = fix_declared(run, (tu_record *)d, lf, named);
    else if (!d && would_prune(run, desired, l, lf))
        rc = keep_pruned(run, &items->desired, l, lf, named);
    json_decref(lf);
    return rc;
}

int tu_items_apply(tu_items *items, const tu_recordset *desired,
                   const tu_recordset *live, const tu_rules *protect,
                   const tu_rules *scope, const tu_plan_options *o,
                   tu_normalize_fn normalize, void *normalize_data,
                   tu_error *err)
{
    items_run run = {protect, scope, o, normalize, normalize_data, NULL, err};
    json_t *named;
    int rc = 0;

    tu_recordset_init(&items->desired);
    items->left = NULL;
    items->used = 0;
    if (!protect->nitem_rules && !scope->nitem_rules)
        return 0;
    named = item_fields(protect, scope);
    run.left = items->left = json_array();
    if (!named || !run.left ||
        tu_recordset_filter(&items->desired, desired, keep_all, NULL) != 0) {
        json_decref(named);
        return oom(err);
    }
    items->used = 1;
    for (size_t i = 0; rc == 0 && i < live->count; i++)
        rc = visit_live(&run, items, desired, &live->items[i], named);
    json_decref(named);
    return rc;
}

const tu_recordset *tu_items_desired(const tu_items *items,
                                     const tu_recordset *desired)
{
    return items->used ? &items->desired : desired;
}

void tu_items_free(tu_items *items)
{
    tu_recordset_free(&items->desired);
    json_decref(items->left);
    items->left = NULL;
    items->used = 0;
}

/* An `items` key that is a key field (one value, never a list): an error
 * at the rule. 0 or -1. */
static int key_field_items(const tu_target *target, const tu_rule *r,
                           tu_error *err)
{
    tu_keyspec key;
    const char **ignore, *paren = strstr(r->where, " (");
    size_t nignore;
    /* the position is the error's own: "protect[0]", not "(zone.yaml:12)" */
    int n = paren ? (int)(paren - r->where) : (int)strlen(r->where);

    target->ops->describe(target->cfg, &key, &ignore, &nignore);
    for (size_t i = 0; i < key.count; i++) {
        if (!json_object_get(r->items, key.fields[i]))
            continue;
        tu_error_at(err, r->pos, "%.*s: items key '%s' is a key field, one "
                    "value per record: select records by it in match, and "
                    "items inside a list field", n, r->where, key.fields[i]);
        return -1;
    }
    return 0;
}

int tu_items_check(const tu_target *target, const tu_rules *rules,
                   tu_error *err)
{
    for (size_t i = 0; i < rules->nitem_rules; i++) {
        const tu_rule *r = &rules->item_rules[i];
        if (tu_target_check_match(target, r->match, r->where, r->pos,
                                  err) != 0 ||
            tu_target_check_keys(target, r->items, "items key", r->where,
                                 r->pos, err) != 0 ||
            key_field_items(target, r, err) != 0)
            return -1;
    }
    return 0;
}
