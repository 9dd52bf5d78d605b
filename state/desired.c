/* desired.c -- loading, merging and checking desired-state files.
 *
 * Each file is parsed by yaml_load.c into jansson values sharing one source
 * map. The merged document is built fresh: a mapping given in several files
 * is copied and merged key by key (never mutating the loaded values, which
 * YAML aliases may share), records are appended in file order. Settings are
 * read into a struct with their defaults; records are kept in a list of
 * their own, each with where it was written, checked for shape and turned
 * into a keyed record set by tu_doc_records().
 */
#include "desired.h"
#include "error.h"
#include "util/json_util.h"
#include "schema.h"
#include "yaml_load.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = {"target", "settings", "defaults",
                                       "records", "bulk", "protect",
                                       "prune_scope", "resources", NULL};
static const char *const settings_keys[] = {
    "concurrency", "timeout", "connect_timeout", "retries", "retry_delay",
    "retry_max_delay", "rate_limit", "adaptive", "deadline", "prune",
    "max_updates", "max_deletes", "min_existing", "max_response_mb", "owner",
    "http2", "max_connections", NULL};
static const char *const http2_modes[] = {"auto", "on", "off", NULL};

void tu_settings_init(tu_settings *s)
{
    s->concurrency = 16;
    s->timeout = 30;
    s->connect_timeout = 10;
    s->retries = 3;
    s->retry_delay = 0.2;
    s->retry_max_delay = 10;
    s->rate_limit = 0;
    s->adaptive = 0;
    s->deadline = 0;
    s->prune = 0;
    s->max_updates = 100;
    s->max_deletes = 30;
    s->min_existing = 10;
    s->max_response_mb = 256;
    s->owner = NULL;
    s->http2 = TU_SETTINGS_HTTP2_AUTO;
    s->max_connections = 0;
}

/* ---- a system's files (desired_parts.c makes each resource's document) -- */

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

/* A file with `resources:` holds only settings, target and resources,
 * each resource a mapping named [A-Za-z0-9_-]. 0 or -1. */
static int check_system_file(const tu_srcmap *map, const json_t *root,
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

/* Keep a file's `resources:` mappings (doc->parts), by resource. */
static int add_parts(tu_doc *doc, const json_t *resources, tu_error *err)
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

/* A merged system has no records of its own (from a file without
 * `resources:` that gives records, rules or defaults). 0 or -1. */
static int check_system(const tu_doc *doc, tu_error *err)
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

/* ---- merging ------------------------------------------------------------ */

json_t *tu_doc_copy_mapping(tu_srcmap *map, const json_t *obj)
{
    json_t *copy = json_object();
    const char *key;
    json_t *value;

    if (!copy)
        return NULL;
    tu_srcmap_set(map, copy, tu_srcmap_get(map, obj));
    json_object_foreach((json_t *)obj, key, value) {
        if (json_object_set(copy, key, value) != 0 ||
            tu_srcmap_add_member(map, copy, tu_srcmap_member(map, obj, key))) {
            json_decref(copy);
            return NULL;
        }
    }
    return copy;
}

static int merge_into(tu_srcmap *map, json_t *acc, const json_t *add,
                      const char *path, tu_error *err);

static int merge_member(tu_srcmap *map, json_t *acc, const json_t *add,
                        const char *key, const char *path, tu_error *err)
{
    json_t *old = json_object_get(acc, key);
    json_t *new = json_object_get(add, key);
    char sub[512];
    tu_srcpos old_pos, new_pos;

    snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", key);
    if (!old) {
        if (json_object_set(acc, key, new) != 0)
            return -1;
        return tu_srcmap_add_member(map, acc, tu_srcmap_member(map, add, key));
    }
    if (json_is_object(old) && json_is_object(new)) {
        json_t *merged = tu_doc_copy_mapping(map, old);
        if (!merged || json_object_set_new(acc, key, merged) != 0)
            return -1;
        return merge_into(map, merged, new, sub, err);
    }
    if (tu_json_equal(old, new))
        return 0;
    old_pos = tu_srcmap_member(map, acc, key);
    new_pos = tu_srcmap_member(map, add, key);
    tu_error_at(err, new_pos,
                "%s is given a different value here than at %s:%u:%u; "
                "keep one of them",
                sub, old_pos.file ? old_pos.file : "?", old_pos.line,
                old_pos.column);
    return -1;
}

static int merge_into(tu_srcmap *map, json_t *acc, const json_t *add,
                      const char *path, tu_error *err)
{
    const char *key;
    json_t *value;

    json_object_foreach((json_t *)add, key, value) {
        if (merge_member(map, acc, add, key, path, err) != 0) {
            if (!err || !err->message[0])
                tu_error_set(err, TU_ERR_NOMEM,
                             "out of memory while merging %s", path);
            return -1;
        }
    }
    return 0;
}

/* Keep one record as written: packed when a mapping (or packed already,
 * by the loader), with the places of its fields copied into `places`. 0
 * or -1 (out of memory). The first item of a list notes where the
 * records stood, for drop_items. */
static int keep_item(const tu_yaml_item *item, void *data)
{
    tu_doc *doc = data;
    tu_doc_record *r;
    uint32_t *at = NULL;
    size_t n = 2 * item->nmembers;

    if (item->index == 0) {
        doc->list_from = doc->nrecords;
        tu_arena_save(&doc->places, &doc->list_places);
    }
    if (tu_array_grow(&doc->records, &doc->records_cap, doc->nrecords + 1,
                      sizeof *doc->records, 64) != 0)
        return -1;
    r = &doc->records[doc->nrecords];
    memset(r, 0, sizeof *r);
    r->origin.pos = item->pos;
    r->origin.index = item->index;
    if (item->packed)
        r->fields = item->packed;
    else if (json_is_object(item->value)
                 ? !(r->fields = tu_pack(&doc->store, item->value))
                 : !(r->value = json_incref(item->value)))
        return -1;
    doc->nvalues += r->value != NULL;
    if (r->fields && item->members && n == 2 * (size_t)r->fields->count) {
        if (!(at = tu_arena_alloc(&doc->places, n * sizeof *at)))
            return -1;
        memcpy(at, item->members, n * sizeof *at);
        r->members = at;
    }
    doc->nrecords++;
    return 0;
}

/* Take back the records of the list being read (yaml_items.h): a list
 * the fast reader began is read by libyaml after all, or not at all. Their
 * packed fields were in the store, which the loader rewinds. */
static void drop_items(void *data)
{
    tu_doc *doc = data;

    while (doc->nrecords > doc->list_from) {
        tu_doc_record *r = &doc->records[--doc->nrecords];
        doc->nvalues -= r->value != NULL;
        json_decref(r->value);
    }
    tu_arena_rewind(&doc->places, &doc->list_places);
}

/* Append the records a file still holds (those of a document given as a
 * value: a loaded file's went to keep_item as they were read). */
static int append_records(tu_doc *doc, const json_t *file_root)
{
    const json_t *records = json_object_get(file_root, "records");
    tu_srcpos key_pos = tu_srcmap_member(doc->map, file_root, "records");
    size_t i;
    json_t *item;

    json_array_foreach(records, i, item) {
        tu_srcpos pos = tu_srcmap_get(doc->map, item);
        tu_yaml_item it = {item, pos.file ? pos : key_pos, i, NULL, 0, NULL};
        if (keep_item(&it, doc) != 0)
            return -1;
    }
    return 0;
}

json_t *tu_doc_records_json(const tu_doc *doc)
{
    json_t *all = json_array();

    for (size_t i = 0; all && i < doc->nrecords; i++) {
        const tu_doc_record *r = doc->records ? &doc->records[i] : NULL;
        json_t *v = !r ? tu_packed_json(doc->written[i])
                    : r->fields ? tu_packed_json(r->fields)
                    : json_incref(r->value);
        if (json_array_append_new(all, v) != 0) {
            json_decref(all);
            all = NULL;
        }
    }
    return all;
}

/* Check and keep one file's bulk rules. */
static int add_bulk_rules(tu_doc *doc, const json_t *file_root,
                          tu_error *err)
{
    const json_t *list = json_object_get(file_root, "bulk");
    tu_srcpos key_pos = tu_srcmap_member(doc->map, file_root, "bulk");
    size_t i;
    json_t *item;

    json_array_foreach(list, i, item) {
        tu_srcpos pos = tu_srcmap_get(doc->map, item);
        if (tu_bulk_add_item(&doc->bulk, item, pos.file ? pos : key_pos, i,
                             doc->map, err) != 0)
            return -1;
    }
    return 0;
}

/* Check and keep one file's `protect` or `prune_scope` rules. */
static int add_rules(tu_doc *doc, const json_t *file_root, const char *name,
                     tu_rules *rules, tu_error *err)
{
    const json_t *list = json_object_get(file_root, name);
    tu_srcpos key_pos = tu_srcmap_member(doc->map, file_root, name);
    size_t i;
    json_t *item;

    json_array_foreach(list, i, item) {
        tu_srcpos pos = tu_srcmap_get(doc->map, item);
        if (tu_rules_add_item(rules, name, item, pos.file ? pos : key_pos, i,
                              doc->map, err) != 0)
            return -1;
    }
    return 0;
}

static int merge_file(tu_doc *doc, const json_t *root, tu_error *err)
{
    const char *key;
    json_t *value;

    json_object_foreach((json_t *)root, key, value) {
        int rc;
        if (strcmp(key, "records") == 0) {
            rc = append_records(doc, root);
            if (rc)
                tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        } else if (strcmp(key, "bulk") == 0) {
            rc = add_bulk_rules(doc, root, err);
        } else if (strcmp(key, "protect") == 0) {
            rc = add_rules(doc, root, key, &doc->protect, err);
        } else if (strcmp(key, "prune_scope") == 0) {
            rc = add_rules(doc, root, key, &doc->prune_scope, err);
        } else if (strcmp(key, "resources") == 0) {
            rc = add_parts(doc, value, err);
        } else {
            rc = merge_member(doc->map, doc->root, root, key, "", err);
        }
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* ---- checking one file -------------------------------------------------- */

static int check_rule_list(const tu_srcmap *map, const json_t *root,
                           const char *name, tu_error *err)
{
    const json_t *v = json_object_get(root, name);
    if (!v || json_is_array(v))
        return 0;
    tu_error_at(err, tu_srcmap_member(map, root, name), "%s: expected a list "
                "of rules (- match: {FIELD: VALUE}), got %s", name,
                tu_json_type_name(v));
    return -1;
}

static int check_file(const tu_srcmap *map, const json_t *root,
                      const char *path, tu_error *err)
{
    const json_t *v;

    if (!json_is_object(root)) {
        tu_srcpos pos = tu_srcmap_get(map, root);
        if (!pos.file)
            pos.file = path;
        tu_error_at(err, pos, "the file must be a mapping with target, "
                    "settings, defaults and records; got %s",
                    tu_json_type_name(root));
        return -1;
    }
    if (tu_schema_keys(root, top_keys, map, "", err) != 0 ||
        check_system_file(map, root, err) != 0)
        return -1;
    if (tu_schema_object(root, "target", 0, map, "", &v, err) < 0 ||
        tu_schema_object(root, "settings", 0, map, "", &v, err) < 0 ||
        tu_schema_object(root, "defaults", 0, map, "", &v, err) < 0)
        return -1;
    v = json_object_get(root, "records");
    if (v && !json_is_array(v)) {
        tu_error_at(err, tu_srcmap_member(map, root, "records"),
                    "records: expected a list of records, got %s",
                    tu_json_type_name(v));
        return -1;
    }
    v = json_object_get(root, "bulk");
    if (v && !json_is_array(v)) {
        tu_error_at(err, tu_srcmap_member(map, root, "bulk"),
                    "bulk: expected a list of rules (match, set), got %s",
                    tu_json_type_name(v));
        return -1;
    }
    return check_rule_list(map, root, "protect", err) ||
           check_rule_list(map, root, "prune_scope", err) ? -1 : 0;
}

/* http2: auto, on or off; true and false stand for on and off. */
static int read_http2(const json_t *s, const tu_srcmap *m, int *out,
                      tu_error *err)
{
    const json_t *v = json_object_get(s, "http2");

    if (json_is_boolean(v)) {
        *out = json_is_true(v) ? TU_SETTINGS_HTTP2_ON : TU_SETTINGS_HTTP2_OFF;
        return 0;
    }
    return tu_schema_enum(s, "http2", http2_modes, m, "settings", out,
                          err) < 0 ? -1 : 0;
}

/* The connection settings: http2 and max_connections. */
static int read_connection_settings(const json_t *s, const tu_srcmap *m,
                                    tu_settings *out, tu_error *err)
{
    if (read_http2(s, m, &out->http2, err) < 0 ||
        tu_schema_int(s, "max_connections", 1, 10000, m, "settings",
                      &out->max_connections, err) < 0)
        return -1;
    return 0;
}

static int read_settings(tu_doc *doc, tu_error *err)
{
    const json_t *s = json_object_get(doc->root, "settings");
    const tu_srcmap *m = doc->map;
    tu_settings *out = &doc->settings;

    tu_settings_init(out);
    if (!s)
        return 0;
    if (tu_schema_keys(s, settings_keys, m, "settings", err) != 0 ||
        tu_schema_int(s, "concurrency", 1, 10000, m, "settings",
                      &out->concurrency, err) < 0 ||
        tu_schema_number(s, "timeout", 0.001, 86400, m, "settings",
                         &out->timeout, err) < 0 ||
        tu_schema_number(s, "connect_timeout", 0.001, 3600, m, "settings",
                         &out->connect_timeout, err) < 0 ||
        tu_schema_int(s, "retries", 0, 100, m, "settings", &out->retries,
                      err) < 0 ||
        tu_schema_number(s, "retry_delay", 0.001, 60, m, "settings",
                         &out->retry_delay, err) < 0 ||
        tu_schema_number(s, "retry_max_delay", 0.001, 3600, m, "settings",
                         &out->retry_max_delay, err) < 0 ||
        tu_schema_number(s, "rate_limit", 0, 1000000, m, "settings",
                         &out->rate_limit, err) < 0 ||
        tu_schema_bool(s, "adaptive", m, "settings", &out->adaptive,
                       err) < 0 ||
        tu_schema_number(s, "deadline", 0, 31536000, m, "settings",
                         &out->deadline, err) < 0 ||
        tu_schema_bool(s, "prune", m, "settings", &out->prune, err) < 0 ||
        tu_schema_number(s, "max_updates", 0, 100, m, "settings",
                         &out->max_updates, err) < 0 ||
        tu_schema_number(s, "max_deletes", 0, 100, m, "settings",
                         &out->max_deletes, err) < 0 ||
        tu_schema_int(s, "min_existing", 0, 1000000000, m, "settings",
                      &out->min_existing, err) < 0 ||
        tu_schema_int(s, "max_response_mb", 1, 4096, m, "settings",
                      &out->max_response_mb, err) < 0 ||
        tu_schema_string(s, "owner", 0, m, "settings", &out->owner, err) < 0 ||
        read_connection_settings(s, m, out, err) < 0)
        return -1;
    if (out->owner && !*out->owner) {
        tu_error_at(err, tu_srcmap_member(m, s, "owner"), "settings.owner: "
                    "give a non-empty owner id (team-a), or leave it out to "
                    "not use ownership marks");
        return -1;
    }
    return 0;
}

int tu_doc_add_document(tu_doc *doc, const json_t *root, const char *name,
                        tu_error *err)
{
    if (check_file(doc->map, root, name, err) != 0)
        return -1;
    return merge_file(doc, root, err);
}

int tu_doc_begin(tu_doc *doc, tu_srcmap *map, tu_error *err)
{
    memset(doc, 0, sizeof *doc);
    tu_doc_set_meta_prefix(doc, "");
    tu_bulk_init(&doc->bulk);
    tu_rules_init(&doc->protect);
    tu_rules_init(&doc->prune_scope);
    tu_pack_store_init(&doc->store);
    doc->map = map ? map : tu_srcmap_new();
    doc->map_borrowed = map != NULL;
    doc->root = json_object();
    if (doc->map && doc->root)
        return 0;
    tu_error_set(err, TU_ERR_NOMEM, "out of memory");
    return -1;
}

int tu_doc_finish(tu_doc *doc, const char *name, size_t count,
                  tu_error *err)
{
    if (read_settings(doc, err) != 0)
        return -1;
    doc->target = json_object_get(doc->root, "target");
    doc->defaults = json_object_get(doc->root, "defaults");
    if (doc->parts)
        return check_system(doc, err);
    if (!doc->target) {
        tu_error_set(err, TU_ERR_BAD_INPUT,
                     "%s%s: no target: one of the files must have a "
                     "'target' mapping saying which API to reconcile "
                     "(see docs/desired-state.md)", name,
                     count > 1 ? " (and the others)" : "");
        return -1;
    }
    return 0;
}

int tu_doc_load(tu_doc *doc, const char *const *paths, size_t npaths,
                tu_error *err)
{
    tu_buffer text = TU_BUFFER_INIT;     /* every file read into it */

    if (tu_doc_begin(doc, NULL, err) != 0)
        goto fail;
    if (npaths == 0) {
        tu_error_set(err, TU_ERR_BAD_INPUT, "no desired-state file given");
        goto fail;
    }
    for (size_t i = 0; i < npaths; i++) {
        tu_yaml_items items = {"records", keep_item, doc, &doc->store,
                               drop_items};
        json_t *root = tu_yaml_load_file_text(paths[i], doc->map, &items,
                                              &text, err);
        int rc = root ? tu_doc_add_document(doc, root, paths[i], err) : -1;
        json_decref(root);
        if (rc != 0)
            goto fail;
    }
    tu_buffer_free(&text);
    if (tu_doc_finish(doc, paths[0], npaths, err) == 0)
        return 0;
fail:
    tu_buffer_free(&text);
    tu_doc_free(doc);
    return -1;
}

int tu_doc_load_value(tu_doc *doc, const json_t *root, const char *name,
                      tu_error *err)
{
    if (tu_doc_begin(doc, NULL, err) == 0 &&
        tu_doc_add_document(doc, root, name, err) == 0 &&
        tu_doc_finish(doc, name, 1, err) == 0)
        return 0;
    tu_doc_free(doc);
    return -1;
}

void tu_doc_free(tu_doc *doc)
{
    json_decref(doc->root);
    for (size_t i = 0; doc->records && i < doc->nrecords; i++)
        json_decref(doc->records[i].value);
    free(doc->records);
    free(doc->written);
    tu_pack_store_free(&doc->store);
    tu_arena_free(&doc->places);
    tu_bulk_free(&doc->bulk);
    tu_rules_free(&doc->protect);
    tu_rules_free(&doc->prune_scope);
    json_decref(doc->parts);
    if (!doc->map_borrowed)
        tu_srcmap_free(doc->map);
    memset(doc, 0, sizeof *doc);
}

/* ---- records ------------------------------------------------------------ */

int tu_doc_set_meta_prefix(tu_doc *doc, const char *prefix)
{
    int a = snprintf(doc->state_key, sizeof doc->state_key, "%sstate",
                     prefix);
    int b = snprintf(doc->takeover_key, sizeof doc->takeover_key,
                     "%stakeover", prefix);
    return a < (int)sizeof doc->state_key &&
           b < (int)sizeof doc->takeover_key ? 0 : -1;
}

/* The state key says whether one record exists; as a default it would be
 * sent to the API as a field instead. */
static int check_defaults(const tu_doc *doc, tu_error *err)
{
    const char *k = doc->state_key;
    if (!doc->defaults || !json_object_get(doc->defaults, k))
        return 0;
    tu_error_at(err, tu_srcmap_member(doc->map, doc->defaults, k),
                "defaults: '%s' cannot be a default; set %s: absent on each "
                "record that should not exist", k, k);
    return -1;
}

/* `state` and `takeover` (with target.meta_prefix in front): what trueup
 * does with a record, not fields. */
static int record_state(const tu_doc *doc, const json_t *item, int *absent,
                        int *takeover, tu_error *err)
{
    static const char *const states[] = {"present", "absent", NULL};
    int index = 0;
    *takeover = 0;
    if (tu_schema_enum(item, doc->state_key, states, doc->map, "record",
                       &index, err) < 0 ||
        tu_schema_bool(item, doc->takeover_key, doc->map, "record", takeover,
                       err) < 0)
        return -1;
    *absent = index == 1;
    return 0;
}

static int meta_key(const tu_doc *doc, const char *key)
{
    return strcmp(key, doc->state_key) == 0 ||
           strcmp(key, doc->takeover_key) == 0;
}

/* The record's fields: the loaded mapping itself when there is nothing to
 * add or take out and nobody will change it (no defaults, no `state`, no
 * normaliser), which saves a copy of every record of a large file; else a
 * copy with `state` taken out and the defaults merged under. */
static json_t *record_fields(const tu_doc *doc, const json_t *item,
                             int will_normalize)
{
    const json_t *defaults = doc->defaults;
    json_t *fields;
    const char *key;
    json_t *value;

    if (!will_normalize && json_object_size(defaults) == 0 &&
        !json_object_get(item, doc->state_key) &&
        !json_object_get(item, doc->takeover_key))
        return json_incref((json_t *)item);
    fields = json_object();
    if (!fields)
        return NULL;
    json_object_foreach((json_t *)item, key, value) {
        if (!meta_key(doc, key) && json_object_set(fields, key, value) != 0)
            goto fail;
    }
    if (defaults &&
        json_object_update_missing(fields, (json_t *)defaults) != 0)
        goto fail;
    return fields;
fail:
    json_decref(fields);
    return NULL;
}

static void key_list(const tu_keyspec *spec, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < spec->count; i++) {
        strncat(buf, i ? ", " : "", size - strlen(buf) - 1);
        strncat(buf, spec->fields[i], size - strlen(buf) - 1);
    }
}


static int key_error(const tu_keyspec *spec, const char *missing,
                     tu_srcpos pos, tu_error *err)
{
    char keys[256];

    if (!missing) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    key_list(spec, keys, sizeof keys);
    tu_error_at(err, pos, "record: key field '%s' is missing or not a "
                "string, number or boolean (the key is [%s])", missing,
                keys);
    return -1;
}

/* A record just appended (NULL: out of memory) gets its place. */
static int placed(tu_record *r, tu_srcpos pos, tu_error *err)
{
    if (!r) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    r->pos = pos;
    return 0;
}

/* The error of record `dup`, whose key record `first` declared before. */
static int declared_twice(const tu_recordset *out, size_t dup, size_t first,
                          const tu_record_origin *origin, tu_error *err)
{
    const tu_record *r = &out->items[dup];

    if (out->items[first].pos.file)
        tu_error_at(err, r->pos, "record '%s' is declared twice: also at "
                    "%s:%u; keep one of them", tu_record_label(r),
                    out->items[first].pos.file, out->items[first].pos.line);
    else
        tu_error_at(err, r->pos, "records[%zu]: record '%s' is declared "
                    "twice; keep one of them", origin->index,
                    tu_record_label(r));
    return -1;
}

/* 1 when a record is used as written: nothing to merge in, take out or
 * normalise. */
static int as_written(const tu_doc *doc, const tu_packed *p, int normalize)
{
    return !normalize && json_object_size(doc->defaults) == 0 &&
           !tu_packed_get(p, doc->state_key) &&
           !tu_packed_get(p, doc->takeover_key);
}

/* A record as written: its packed fields are shared with the document. */
static int add_as_written(const tu_doc_record *rec, const tu_keyspec *spec,
                          tu_recordset *out, tu_buffer *key, tu_error *err)
{
    const char *missing;
    tu_record *r;

    if (tu_packed_key(rec->fields, spec, key, NULL, &missing))
        return key_error(spec, missing, rec->origin.pos, err);
    r = tu_recordset_append_stored(out, rec->fields, key->data, NULL);
    return placed(r, rec->origin.pos, err);
}

/* The fields of a record made from what was written (defaults, state,
 * normalize), keyed and packed into `out`. */
static int add_fields(const tu_doc *doc, json_t *item, tu_srcpos pos,
                      const tu_doc_record *rec, const tu_keyspec *spec,
                      tu_normalize_fn normalize, void *data,
                      tu_recordset *out, tu_buffer *key, tu_error *err)
{
    json_t *fields;
    const char *missing;
    int absent, takeover, rc = -1;
    tu_record *r = NULL;

    if (record_state(doc, item, &absent, &takeover, err) != 0)
        return -1;
    if (!(fields = record_fields(doc, item, normalize != NULL))) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    if (!normalize || normalize(fields, pos, data, err) == 0) {
        if (tu_record_key_buf(fields, spec, key, NULL, &missing)) {
            rc = key_error(spec, missing, pos, err);
        } else {
            r = tu_recordset_append_packed(out, fields, key->data, NULL);
            rc = placed(r, rec->origin.pos, err);
        }
        if (rc == 0) {
            r->absent = (unsigned)absent;
            r->takeover = (unsigned)takeover;
        }
    }
    json_decref(fields);
    return rc;
}

/* Record where `item` (made from rec) and its fields stand. 0 or -1. */
static int place_fields(tu_srcmap *map, const json_t *item,
                        const tu_doc_record *rec)
{
    tu_srcpos at = rec->origin.pos;

    if (tu_srcmap_set(map, item, at) < 0)
        return -1;
    for (uint32_t i = 0; rec->members && i < rec->fields->count; i++) {
        at.line = rec->members[2 * i];
        at.column = rec->members[2 * i + 1];
        if (tu_srcmap_add_member(map, item, at) < 0)
            return -1;
    }
    return 0;
}

static int add_record(const tu_doc *doc, const tu_doc_record *rec,
                      const tu_keyspec *spec, tu_normalize_fn normalize,
                      void *data, tu_recordset *out, tu_buffer *key,
                      tu_error *err)
{
    tu_srcpos pos = rec->origin.pos;
    json_t *item;
    int rc;

    if (!rec->fields) {
        tu_error_at(err, pos, "records[%zu]: expected a mapping of fields, "
                    "got %s", rec->origin.index, tu_json_type_name(rec->value));
        return -1;
    }
    if (as_written(doc, rec->fields, normalize != NULL))
        return add_as_written(rec, spec, out, key, err);
    /* a jansson form for this record alone, placed for messages */
    if (!(item = tu_packed_json(rec->fields)) ||
        place_fields(doc->map, item, rec) != 0) {
        json_decref(item);
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    rc = add_fields(doc, item, pos, rec, spec, normalize, data, out, key, err);
    tu_srcmap_forget(doc->map, item);
    json_decref(item);
    return rc;
}

/* The records appended (all of them when rc is 0; else those before the
 * one that failed) indexed at once, their slots fetched ahead: a key
 * declared twice among them is the error, as it comes before the one that
 * stopped the load. 0, or -1 with err set. */
static int index_records(const tu_doc *doc, tu_recordset *out, int rc,
                         tu_error *err)
{
    size_t dup, first;

    switch (tu_recordset_index_unique(out, out->count, &dup, &first)) {
    case 0:
        return rc;
    case 1:
        return declared_twice(out, dup, first, &doc->records[dup].origin,
                              err);
    default:
        if (rc == 0)
            tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
}

int tu_doc_records(const tu_doc *doc, const tu_keyspec *spec,
                   tu_normalize_fn normalize, void *data, tu_recordset *out,
                   tu_error *err)
{
    size_t n = doc->nrecords;
    tu_buffer key = TU_BUFFER_INIT;   /* reused for every record's key */
    int rc = 0;

    tu_recordset_init(out);
    if (doc->written) {
        tu_error_set(err, TU_ERR_INTERNAL, "the records of a compacted "
                     "document were asked for again");
        return -1;
    }
    if (check_defaults(doc, err) != 0)
        return -1;
    if (tu_recordset_reserve(out, n) != 0) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory for %zu records", n);
        return -1;
    }
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = add_record(doc, &doc->records[i], spec, normalize, data, out,
                        &key, err);
    tu_buffer_free(&key);
    if (index_records(doc, out, rc, err) != 0)
        rc = -1;
    if (rc != 0)
        tu_recordset_free(out);
    return rc;
}

int tu_doc_compact(tu_doc *doc)
{
    const tu_packed **written, **shrunk;
    size_t n = doc->nrecords;

    if (doc->written)
        return 0;
    if (doc->nvalues)
        return -1;          /* a record that is not a mapping: no fields */
    /* One pass, in the records' own memory: a record is larger than a
     * pointer, so written[i] lands on records[i] or one before it, all
     * read already. (A new array was 80 MB of fresh memory at 10M
     * records; a pass that first checked every record read 480 MB more,
     * 0.3 s on the VM of bench/LOG.md, where memory not read for a few
     * seconds is slow to read again.) */
    written = (const tu_packed **)(void *)doc->records;
    for (size_t i = 0; i < n; i++) {
        const tu_packed *p = doc->records[i].fields;
        memcpy(&written[i], &p, sizeof p);
    }
    shrunk = realloc(written, (n ? n : 1) * sizeof *written);
    doc->records = NULL;
    doc->records_cap = 0;
    doc->written = shrunk ? shrunk : written;
    tu_arena_free(&doc->places);
    return 0;
}
