/* desired.c -- the desired-state API: tu_desired_load and its kin build a
 * tu_desired (desired.h) from files or a JSON value.
 *
 * Loading reads the document (state/desired.c), the target (its provider
 * and the provider's own keys, run_config.c), and the desired records, each
 * normalized (write-only values kept as secrets, then the provider's
 * normalize) and, with settings.owner, marked as the owner's.
 * tu_desired_load_overlapped also starts reading the live records while
 * the records load (prefetch.c), for the first run to take. The runs
 * themselves are the job's (job.c) and the blocking faces' (easy.c).
 */
#include "trueup/trueup.h"
#include "bulk.h"
#include "desired.h"
#include "items.h"
#include "prefetch.h"
#include "run_config.h"
#include "system.h"
#include "target.h"
#include "state/desired.h"
#include "state/error.h"

#include <stdlib.h>
#include <string.h>

static int add_secret(const char *value, void *target)
{
    return tu_target_add_secret(target, value);
}

int tu_desired_normalize(json_t *fields, tu_srcpos pos, void *data,
                         tu_error *err)
{
    tu_target *t = data;
    if (tu_field_rules_resolve(&t->fields, fields, pos, add_secret, t,
                               err) != 0)
        return -1;
    return t->ops->normalize ? t->ops->normalize(fields, pos, t->cfg, err) : 0;
}

tu_normalize_fn tu_desired_normalizer(const tu_target *t)
{
    for (size_t i = 0; i < t->fields.count; i++) {
        if (t->fields.items[i].write_only)
            return tu_desired_normalize;
    }
    return t->ops->normalize ? tu_desired_normalize : NULL;
}

/* With settings.owner, every declared record that is not absent carries
 * the owner's mark: created with it, marked when it is adopted. */
static int mark_records(tu_desired *d, tu_error *err)
{
    const char *owner = d->doc.settings.owner;
    const tu_provider_ops *ops = d->target.ops;
    const char *field = ops->owner_field ? ops->owner_field(d->target.cfg)
                                         : NULL;

    if (!owner)
        return 0;
    if (!field) {
        tu_error_at(err, tu_srcmap_member(d->doc.map, json_object_get(
                        d->doc.root, "settings"), "owner"), "settings.owner: "
                    "this target has no place for an ownership mark (provider "
                    "rest: name the field with target.resource.owner_field)");
        return -1;
    }
    for (size_t i = 0; i < d->records.count; i++) {
        tu_record *r = &d->records.items[i];
        json_t *have = json_object_get(tu_record_fields(r), field), *copy;
        if (r->absent || (json_is_string(have) &&
                          strcmp(json_string_value(have), owner) == 0))
            continue;
        if (have) {
            tu_error_at(err, r->pos, "record '%s': '%s' holds the ownership "
                        "mark, which trueup sets to settings.owner ('%s'); "
                        "leave the field out", tu_record_label(r), field,
                        owner);
            return -1;
        }
        copy = json_copy(tu_record_fields(r));
        if (!copy || json_object_set_new(copy, field, json_string(owner))) {
            json_decref(copy);
            tu_error_set(err, TU_ERR_NOMEM, "out of memory");
            return -1;
        }
        if (tu_record_set_fields(r, copy) != 0) {
            tu_error_set(err, TU_ERR_NOMEM, "out of memory");
            return -1;
        }
    }
    return 0;
}

/* Every rule's match keys can select a record (tu_target_check_match). */
static int check_rules(const tu_desired *d, tu_error *err)
{
    const tu_rules *lists[] = {&d->doc.protect, &d->doc.prune_scope};

    for (size_t l = 0; l < 2; l++) {
        if (tu_items_check(&d->target, lists[l], err) != 0)
            return -1;
        for (size_t i = 0; i < lists[l]->count; i++) {
            const tu_rule *r = &lists[l]->items[i];
            if (tu_target_check_match(&d->target, r->match, r->where,
                                      r->pos, err) != 0)
                return -1;
        }
    }
    for (size_t i = 0; i < d->doc.bulk.count; i++) {
        const tu_bulk_rule *r = &d->doc.bulk.rules[i];
        if (tu_target_check_match(&d->target, r->match, r->where, r->pos,
                                  err) != 0)
            return -1;
    }
    return 0;
}

static tu_desired *desired_finish(tu_desired *d, tu_error *err);
static tu_desired *desired_part(const tu_desired *d, const char *name,
                                   tu_error *err);

/* A system: each resource's desired state, then their references. */
static int load_system(tu_desired *d, tu_error *err)
{
    json_t *list = tu_doc_part_names(&d->doc);
    const char **names = calloc(json_array_size(list) + 1, sizeof *names);
    size_t n = json_array_size(list);

    if (list && names) {
        for (size_t i = 0; i < n; i++)
            names[i] = json_string_value(json_array_get(list, i));
        d->system = tu_system_new(names, n);
    }
    free(names);
    json_decref(list);
    if (!d->system) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        d->system->parts[i] = desired_part(d, d->system->names[i], err);
        if (!d->system->parts[i])
            return -1;
        d->system->targets[i] = &d->system->parts[i]->target;
    }
    return tu_system_link(d->system, err);
}

/* The document is loaded: read the target, build the desired records (or,
 * for a system, each resource's). */
static tu_desired *desired_finish(tu_desired *d, tu_error *err)
{
    tu_keyspec key;
    const char **ignore;
    size_t nignore;

    if (d->doc.parts) {
        if (load_system(d, err) == 0)
            return d;
        tu_desired_free(d);
        return NULL;
    }
    if (tu_run_target(&d->target, &d->doc, err) != 0) {
        tu_doc_free(&d->doc);
        free(d);
        return NULL;
    }
    d->target.ops->describe(d->target.cfg, &key, &ignore, &nignore);
    tu_doc_set_meta_prefix(&d->doc, d->target.meta_prefix);
    if (check_rules(d, err) != 0 ||
        tu_doc_records(&d->doc, &key, tu_desired_normalizer(&d->target),
                       &d->target, &d->records, err) != 0 ||
        mark_records(d, err) != 0) {
        tu_desired_free(d);
        return NULL;
    }
    (void)tu_doc_compact(&d->doc);   /* memory: the document is whole */
    return d;
}

/* An empty tu_desired, err cleared; NULL with err set. */
static tu_desired *desired_new(tu_error *err)
{
    tu_desired *d = calloc(1, sizeof *d);

    tu_error_clear(err);
    if (!d)
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
    return d;
}

tu_desired *tu_desired_load(const char *const *paths, size_t npaths,
                            tu_error *err)
{
    tu_desired *d = desired_new(err);

    if (!d)
        return NULL;
    if (tu_doc_load(&d->doc, paths, npaths, err) != 0) {
        free(d);
        return NULL;
    }
    return desired_finish(d, err);
}

tu_desired *tu_desired_load_json(const json_t *document, const char *name,
                                 tu_error *err)
{
    tu_desired *d = desired_new(err);

    if (!d)
        return NULL;
    if (tu_doc_load_value(&d->doc, document, name ? name : "<inline>",
                          err) != 0) {
        free(d);
        return NULL;
    }
    return desired_finish(d, err);
}

/* The tu_desired of the resource `name` of the system `d`; NULL with err
 * set. It borrows d's source map: free it before d. */
static tu_desired *desired_part(const tu_desired *d, const char *name,
                                   tu_error *err)
{
    tu_desired *part = desired_new(err);

    if (!part)
        return NULL;
    if (tu_doc_part(&d->doc, name, &part->doc, err) != 0) {
        free(part);
        return NULL;
    }
    return desired_finish(part, err);
}

const char *tu_desired_secret(const tu_desired *d, size_t index)
{
    if (!d->system)
        return index < d->target.nsecrets ? d->target.secrets[index] : NULL;
    for (size_t i = 0; i < d->system->nparts; i++) {
        const tu_target *t = &d->system->parts[i]->target;
        if (index < t->nsecrets)
            return t->secrets[index];
        index -= t->nsecrets;
    }
    return NULL;
}

size_t tu_desired_record_count(const tu_desired *d)
{
    size_t n = d->records.count;

    for (size_t i = 0; d->system && i < d->system->nparts; i++)
        n += d->system->parts[i]->records.count;
    return n;
}

tu_desired *tu_desired_load_overlapped(const char *const *paths,
                                       size_t npaths, tu_error *err)
{
    tu_prefetch *pf = tu_prefetch_start(paths, npaths);
    tu_desired *d = tu_desired_load(paths, npaths, err);

    if (d && pf && !d->system && tu_prefetch_check(pf, &d->doc))
        d->prefetch = pf;
    else
        tu_prefetch_free(pf);
    return d;
}

void tu_desired_free(tu_desired *d)
{
    if (!d)
        return;
    tu_prefetch_free(d->prefetch);
    for (size_t i = 0; d->system && i < d->system->nparts; i++)
        tu_desired_free(d->system->parts[i]);
    tu_system_free(d->system);
    tu_recordset_free(&d->records);
    tu_target_free(&d->target);
    tu_doc_free(&d->doc);
    free(d);
}

int tu_desired_add_bulk(tu_desired *d, const char *const *match,
                        size_t nmatch, const char *const *set, size_t nset,
                        const tu_bulk_names *names, tu_error *err)
{
    const tu_bulk_rule *r;

    tu_error_clear(err);
    if (d->system) {
        tu_error_set(err, TU_ERR_BAD_INPUT, "a bulk rule from %s applies to "
                     "one resource, and this desired state has several "
                     "(resources:): write it in the resource's own `bulk` "
                     "list", names && names->match ? names->match : "--match");
        return -1;
    }
    if (tu_bulk_add_args(&d->doc.bulk, match, nmatch, set, nset, names,
                         err) != 0)
        return -1;
    r = &d->doc.bulk.rules[d->doc.bulk.count - 1];
    if (tu_target_check_match(&d->target, r->match, r->where, r->pos,
                              err) == 0)
        return 0;
    tu_bulk_drop_last(&d->doc.bulk);    /* `desired` stays unchanged */
    return -1;
}
