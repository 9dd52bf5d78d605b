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
 * The files' mappings of one resource merge as one-resource files merge
 * (tu_doc_part), so a second file may add records to a resource. The
 * system's own document (desired.c) holds the merged settings and target
 * and, in `parts`, the mappings; engine/desired.c makes a tu_desired of
 * each resource from tu_doc_part.
 */
#include "desired_int.h"
#include "error.h"
#include "schema.h"
#include "util/json_util.h"

#include <stdio.h>
#include <string.h>

/* A resource's settings: what is its own, not the run's. */
static const char *const part_settings[] = {
    "prune", "owner", "max_updates", "max_deletes", "min_existing", NULL};

static int valid_name(const char *name)
{
    if (!*name)
        return 0;
    for (const char *p = name; *p; p++) {
        if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
            !(*p >= '0' && *p <= '9') && *p != '_' && *p != '-')
            return 0;
    }
    return 1;
}

static int check_resources(const tu_srcmap *map, const json_t *res,
                           const json_t *root, tu_error *err)
{
    const char *name;
    json_t *value;

    if (!json_is_object(res) || json_object_size(res) == 0) {
        tu_error_at(err, tu_srcmap_member(map, root, "resources"),
                    "resources: expected a mapping of resources by name "
                    "(resources: {vhosts: {target: ..., records: ...}}), "
                    "got %s", json_is_object(res) ? "an empty mapping"
                                                  : tu_json_type_name(res));
        return -1;
    }
    json_object_foreach((json_t *)res, name, value) {
        tu_srcpos pos = tu_srcmap_member(map, res, name);
        if (!valid_name(name)) {
            tu_error_at(err, pos, "resources.%s: a resource's name is "
                        "letters, digits, '_' and '-'", name);
            return -1;
        }
        if (!json_is_object(value)) {
            tu_error_at(err, pos, "resources.%s: expected a mapping with "
                        "target, settings, defaults and records, got %s",
                        name, tu_json_type_name(value));
            return -1;
        }
        if (json_object_get(value, "resources")) {
            tu_error_at(err, tu_srcmap_member(map, value, "resources"),
                        "resources.%s.resources: resources do not nest; "
                        "declare every resource under the top-level "
                        "resources", name);
            return -1;
        }
    }
    return 0;
}

int tu_doc_check_system_file(const tu_srcmap *map, const json_t *root,
                             tu_error *err)
{
    const json_t *res = json_object_get(root, "resources");
    const char *key;
    json_t *value;

    if (!res)
        return 0;
    if (check_resources(map, res, root, err) != 0)
        return -1;
    json_object_foreach((json_t *)root, key, value) {
        if (strcmp(key, "settings") && strcmp(key, "target") &&
            strcmp(key, "resources")) {
            tu_error_at(err, tu_srcmap_member(map, root, key),
                        "%s: in a file with resources, %s belong to a "
                        "resource: write them under resources.NAME.%s",
                        key, key, key);
            return -1;
        }
    }
    return 0;
}

int tu_doc_add_parts(tu_doc *doc, const json_t *resources, tu_error *err)
{
    const char *name;
    json_t *value, *list;

    if (!doc->parts && !(doc->parts = json_object()))
        goto oom;
    json_object_foreach((json_t *)resources, name, value) {
        list = json_object_get(doc->parts, name);
        if (!list && (json_object_set_new(doc->parts, name,
                                          list = json_array()) != 0 || !list))
            goto oom;
        if (json_array_append(list, value) != 0)
            goto oom;
    }
    return 0;
oom:
    tu_error_set(err, TU_ERR_NOMEM, "out of memory");
    return -1;
}

int tu_doc_check_system(const tu_doc *doc, tu_error *err)
{
    const char *what = doc->nrecords ? "records"
                       : doc->bulk.count ? "bulk"
                       : doc->protect.count ? "protect"
                       : doc->prune_scope.count ? "prune_scope"
                       : doc->defaults ? "defaults" : NULL;
    tu_srcpos pos = {0};

    if (!what)
        return 0;
    if (doc->nrecords)
        pos = doc->records[0].origin.pos;
    else if (doc->defaults)
        pos = tu_srcmap_member(doc->map, doc->root, "defaults");
    tu_error_at(err, pos, "%s: a file without resources gives %s, while "
                "another file declares a system (resources:); write them "
                "under resources.NAME.%s", what, what, what);
    if (!pos.file)
        tu_error_set(err, TU_ERR_BAD_INPUT, "a file without resources "
                     "gives %s, while another file declares a system "
                     "(resources:); write them under resources.NAME.%s",
                     what, what);
    return -1;
}

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
