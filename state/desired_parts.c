/* desired_parts.c -- a system: several resources in one desired state.
 *
 * A file whose top level has `resources:` declares several resources (of
 * one API or of several), each a mapping with the keys of a one-resource
 * file (target, settings, defaults, records, bulk, protect, prune_scope):
 *
 *   settings: {concurrency: 8}         # the run's, and every resource's
 *   target: {base_url: ..., auth: ...} # every resource's target inherits
 *   resources:
 *     vhosts: {target: {...}, records: [...]}
 *     queues: {target: {...}, records: [...]}
 *
 * The system's own document (desired.c, which checks such files and keeps
 * their `resources:` in doc->parts) holds the merged settings and target.
 * Here each resource's document is made (tu_doc_part): its files' mappings
 * merge as one-resource files merge, so a second file may add records to
 * a resource, and it inherits the system's settings and target;
 * engine/desired.c makes a tu_desired of each.
 */
#include "desired.h"
#include "error.h"
#include "schema.h"
#include "util/json_util.h"

#include <stdio.h>
#include <string.h>

/* A resource's settings: what is its own, not the run's. */
static const char *const part_settings[] = {
    "prune", "owner", "max_updates", "max_deletes", "min_existing", NULL};

json_t *tu_doc_part_names(const tu_doc *doc)
{
    json_t *names = json_array();
    const char *name;
    json_t *value;

    json_object_foreach(doc->parts, name, value) {
        if (names && json_array_append_new(names, json_string(name)) != 0) {
            json_decref(names);
            names = NULL;
        }
    }
    return names;
}

/* The keys of the system's `key` mapping (settings, target) that the
 * part does not give itself, added to a copy of the part's. 0 or -1. */
static int inherit(tu_doc *part, const tu_doc *sys, const char *key,
                   tu_error *err)
{
    const json_t *from = json_object_get(sys->root, key);
    const json_t *own = json_object_get(part->root, key);
    json_t *merged;
    const char *k;
    json_t *v;

    if (!from)
        return 0;
    merged = tu_doc_copy_mapping(part->map, own ? own : from);
    if (!merged || json_object_set_new(part->root, key, merged) != 0)
        goto oom;
    json_object_foreach((json_t *)from, k, v) {
        if (json_object_get(merged, k))
            continue;
        if (json_object_set(merged, k, v) != 0 ||
            tu_srcmap_add_member(part->map, merged,
                                 tu_srcmap_member(sys->map, from, k)) != 0)
            goto oom;
    }
    return 0;
oom:
    tu_error_set(err, TU_ERR_NOMEM, "out of memory");
    return -1;
}

static int check_part_settings(const tu_doc *part, const char *name,
                               tu_error *err)
{
    const json_t *s = json_object_get(part->root, "settings");
    char ctx[300];

    if (!s)
        return 0;
    snprintf(ctx, sizeof ctx, "resources.%s.settings", name);
    if (tu_schema_keys(s, part_settings, part->map, ctx, err) == 0)
        return 0;
    if (err) {
        size_t n = strlen(err->message);
        snprintf(err->message + n, sizeof err->message - n, " (a resource's "
                 "settings are prune, owner, max_updates, max_deletes and "
                 "min_existing; the run's go in the top-level settings)");
    }
    return -1;
}

int tu_doc_part(const tu_doc *sys, const char *name, tu_doc *part,
                tu_error *err)
{
    const json_t *list = json_object_get(sys->parts, name);
    size_t i;
    json_t *mapping;

    if (tu_doc_begin(part, sys->map, err) != 0)
        goto fail;
    json_array_foreach(list, i, mapping) {
        if (tu_doc_add_document(part, mapping, name, err) != 0)
            goto fail;
    }
    if (check_part_settings(part, name, err) != 0 ||
        inherit(part, sys, "settings", err) != 0 ||
        inherit(part, sys, "target", err) != 0)
        goto fail;
    if (tu_doc_finish(part, name, 1, err) == 0)
        return 0;
fail:
    tu_doc_free(part);
    return -1;
}
