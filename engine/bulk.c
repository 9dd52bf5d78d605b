/* bulk.c -- applying bulk rules to the live records (see bulk.h).
 *
 * Three passes: (1) for each live record, the fields every matching rule
 * sets, merged, with the rule that set each (for messages), then put in
 * the provider's canonical form; (2) the desired
 * records, copied, each checked against and completed by its live
 * record's merged set; (3) a desired record for each matched live record
 * that no desired record names. Linear in rules x live records.
 */
#include "bulk.h"
#include "state/error.h"
#include "util/json_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct live_set {
    json_t *fields;            /* merged set fields; NULL: no rule matched */
    const tu_bulk_rule **by;   /* the rule that set each field, in order */
    int used;                  /* a desired record names this live record */
} live_set;

static int is_key_field(const char *field, const tu_keyspec *key)
{
    for (size_t i = 0; i < key->count; i++) {
        if (strcmp(key->fields[i], field) == 0)
            return 1;
    }
    return 0;
}

static void where_text(const tu_bulk_rule *r, char *buf, size_t size)
{
    if (r->pos.file)
        snprintf(buf, size, "%s (%s:%u)", r->where, r->pos.file, r->pos.line);
    else
        snprintf(buf, size, "%s", r->where);
}

static const tu_bulk_rule *rule_of(const live_set *ls, const char *field)
{
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(ls->fields, k, v) {
        if (strcmp(k, field) == 0)
            return ls->by[i];
        i++;
    }
    return NULL;
}

/* Merge one matching rule's fields into the live record's set. */
static int merge_rule(live_set *ls, const tu_bulk_rule *rule,
                      const tu_record *l, const tu_keyspec *key,
                      tu_error *err)
{
    const char *field;
    json_t *value;
    char a[320], b[320];

    json_object_foreach(rule->set, field, value) {
        json_t *have = json_object_get(ls->fields, field);
        const tu_bulk_rule **by;
        if (is_key_field(field, key)) {
            where_text(rule, a, sizeof a);
            tu_error_set(err, TU_ERR_BAD_INPUT,
                         "%s: set: '%s' is a key field; a bulk rule "
                         "cannot change which record it is", a, field);
            return -1;
        }
        if (have) {
            if (tu_json_equal(have, value))
                continue;
            where_text(rule_of(ls, field), a, sizeof a);
            where_text(rule, b, sizeof b);
            tu_error_set(err, TU_ERR_BAD_INPUT,
                         "record '%s' is matched by %s and %s, which "
                         "set '%s' differently; make the rules agree",
                         tu_record_label(l), a, b, field);
            return -1;
        }
        by = realloc(ls->by, (json_object_size(ls->fields) + 1) * sizeof *by);
        if (!by || json_object_set(ls->fields, field, value) != 0) {
            if (by)
                ls->by = by;
            tu_error_set(err, TU_ERR_NOMEM, "out of memory");
            return -1;
        }
        ls->by = by;
        by[json_object_size(ls->fields) - 1] = rule;
    }
    return 0;
}

/* The live record's key fields, laid into `fields`. */
static void put_key_fields(json_t *fields, const tu_record *l,
                           const tu_keyspec *key)
{
    for (size_t k = 0; k < key->count; k++)
        json_object_set_new(fields, key->fields[k],
                            tu_record_value(l, key->fields[k]));
}

/* The merged set in the provider's canonical form: laid over the live
 * record's key fields, normalised as a record, the key fields taken out
 * again. The rule that set each field stays attached by position, so a
 * field the provider renames (content -> records) keeps its first rule. */
static int normalize_set(live_set *ls, const tu_record *l,
                         const tu_keyspec *key, tu_normalize_fn normalize,
                         void *data, tu_error *err)
{
    json_t *fields = json_copy(ls->fields);
    const tu_bulk_rule **by;
    tu_srcpos pos = ls->by[0]->pos;
    size_t n;

    if (!fields)
        goto oom;
    put_key_fields(fields, l, key);
    if (normalize(fields, pos, data, err) != 0) {
        json_decref(fields);
        return -1;
    }
    for (size_t k = 0; k < key->count; k++)
        json_object_del(fields, key->fields[k]);
    n = json_object_size(fields);
    by = realloc(ls->by, (n ? n : 1) * sizeof *by);
    if (!by) {
        json_decref(fields);
        goto oom;
    }
    for (size_t i = json_object_size(ls->fields); i < n; i++)
        by[i] = by[0];
    ls->by = by;
    json_decref(ls->fields);
    ls->fields = fields;
    return 0;
oom:
    tu_error_set(err, TU_ERR_NOMEM, "out of memory");
    return -1;
}

static int match_live(const tu_bulk *bulk, const tu_recordset *live,
                      const tu_keyspec *key, live_set *sets, tu_error *err)
{
    for (size_t i = 0; i < live->count; i++) {
        const tu_record *l = &live->items[i];
        /* made for this loop only: a million live records are never all
         * in jansson form at once */
        json_t *have = tu_record_json(l);
        int rc = have ? 0 : -1;
        for (size_t r = 0; rc == 0 && r < bulk->count; r++) {
            if (!tu_bulk_matches(&bulk->rules[r], have))
                continue;
            if (!sets[i].fields && !(sets[i].fields = json_object()))
                rc = -1;
            else if (merge_rule(&sets[i], &bulk->rules[r], l, key, err) != 0)
                rc = -2;
        }
        json_decref(have);
        if (rc == -1)
            tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Add a record keyed as `as`; the new record, or NULL with err set. */
static tu_record *add_copy(tu_recordset *out, json_t *fields,
                           const tu_record *as, tu_srcpos pos,
                           tu_error *err)
{
    char *key = strdup(as->key), *label = strdup(tu_record_label(as));
    tu_record *r;

    if (!key || !label) {
        free(key);
        free(label);
        json_decref(fields);
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return NULL;
    }
    r = tu_recordset_add(out, fields, key, label, NULL);
    if (!r) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return NULL;
    }
    r->pos = pos;
    return r;
}

/* A packed desired record no rule touches, packed again in `out`. */
static tu_record *add_packed_copy(tu_recordset *out, const tu_record *d,
                                  tu_error *err)
{
    const tu_packed *p = tu_pack_copy(&out->store, tu_record_packed(d));
    tu_record *r = p ? tu_recordset_add_packed(out, NULL, p, d->key,
                                               tu_record_label(d), NULL)
                     : NULL;
    if (!r)
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
    else
        r->pos = d->pos;
    return r;
}

/* A desired record that bulk rules also match: check, then complete. */
static json_t *agree(const tu_record *d, const live_set *ls, tu_error *err)
{
    const char *field;
    json_t *value, *fields;
    char w[320];

    json_object_foreach(ls->fields, field, value) {
        json_t *declared = json_object_get(tu_record_fields(d), field);
        if (!d->absent && (!declared || tu_json_equal(declared, value)))
            continue;
        where_text(rule_of(ls, field), w, sizeof w);
        if (d->absent)
            tu_error_at(err, d->pos, "record '%s' is absent but %s matches "
                        "it; exclude it from the rule or drop state: absent",
                        tu_record_label(d), w);
        else
            tu_error_at(err, d->pos, "record '%s' declares a different '%s' "
                        "than %s sets; make them agree", tu_record_label(d),
                        field, w);
        return NULL;
    }
    fields = json_copy(tu_record_fields(d));
    if (!fields || json_object_update_missing(fields, ls->fields) != 0) {
        json_decref(fields);
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return fields;
}

static int copy_desired(const tu_recordset *desired, const tu_recordset *live,
                        live_set *sets, tu_recordset *out, tu_error *err)
{
    for (size_t i = 0; i < desired->count; i++) {
        const tu_record *d = &desired->items[i];
        const tu_record *l = tu_recordset_find(live, d->key);
        live_set *ls = l ? &sets[l - live->items] : NULL;
        json_t *fields;
        tu_record *r;
        if (ls && ls->fields) {
            ls->used = 1;
            fields = agree(d, ls, err);
        } else if (tu_record_packed(d)) {
            if (!(r = add_packed_copy(out, d, err)))
                return -1;
            r->absent = d->absent;
            r->takeover = d->takeover;
            continue;
        } else {
            fields = json_incref(tu_record_fields(d));
        }
        if (!fields || !(r = add_copy(out, fields, d, d->pos, err)))
            return -1;
        r->absent = d->absent;
        r->takeover = d->takeover;
    }
    return 0;
}

/* A matched live record no desired record names: its key and the set,
 * packed (a bulk change of a whole zone makes one for each record, and
 * the plan, the push and the report read packed records without
 * jansson). */
static int add_matched(const tu_record *l, const live_set *ls,
                       const tu_keyspec *key, tu_recordset *out,
                       tu_error *err)
{
    json_t *fields = json_copy(ls->fields);
    tu_record *r = NULL;

    if (fields) {
        put_key_fields(fields, l, key);
        r = tu_recordset_add_packed(out, fields, NULL, l->key,
                                    tu_record_label_kept(l), NULL);
        json_decref(fields);
    }
    if (!r) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    r->pos = ls->by[0]->pos;
    r->derived = 1;
    return 0;
}

static int normalize_sets(const tu_recordset *live, const tu_keyspec *key,
                          tu_normalize_fn normalize, void *data,
                          live_set *sets, tu_error *err)
{
    for (size_t i = 0; normalize && i < live->count; i++) {
        if (sets[i].fields && normalize_set(&sets[i], &live->items[i], key,
                                            normalize, data, err) != 0)
            return -1;
    }
    return 0;
}

int tu_bulk_apply(const tu_bulk *bulk, const tu_recordset *desired,
                  const tu_recordset *live, const tu_keyspec *key,
                  tu_normalize_fn normalize, void *normalize_data,
                  tu_recordset *out, tu_error *err)
{
    live_set *sets = calloc(live->count ? live->count : 1, sizeof *sets);
    int rc = -1;

    tu_recordset_init(out);
    if (!sets) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    if (match_live(bulk, live, key, sets, err) == 0 &&
        normalize_sets(live, key, normalize, normalize_data, sets, err) == 0 &&
        copy_desired(desired, live, sets, out, err) == 0) {
        rc = 0;
        for (size_t i = 0; i < live->count && rc == 0; i++) {
            const tu_record *l = &live->items[i];
            if (sets[i].fields && !sets[i].used &&
                tu_recordset_find(live, l->key) == l)
                rc = add_matched(l, &sets[i], key, out, err);
        }
    }
    for (size_t i = 0; i < live->count; i++) {
        json_decref(sets[i].fields);
        free(sets[i].by);
    }
    free(sets);
    if (rc != 0)
        tu_recordset_free(out);
    return rc;
}
