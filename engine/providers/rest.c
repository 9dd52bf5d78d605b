/* rest.c -- the generic REST provider.
 *
 * For any API that lists records with a GET and changes them one request
 * per record. `target.resource` says how:
 *
 *   list      GET path of the list (a JSON array, or an object holding it)
 *   get       or, for APIs without a list: "GET /path/{id}", one record
 *             at a time, for the desired records (which carry their id)
 *   items     dotted path to the array in the list response (to the record
 *             in a get response)
 *   paginate  none | link | page | offset | next | cursor, with the keys
 *             that go with them (rest_fetch.c reads the list)
 *   key, id, ignore    the key fields, the server's id field, fields never
 *                      compared
 *   create, update, delete   "METHOD /path/{placeholders}"
 *
 * Placeholders are checked at load time: in `list` each must name a
 * variable of target.vars (a variable with several values makes one list
 * per value, each paged on its own); elsewhere {id}, the id field, a key
 * field or a variable.
 *
 * update_body says what an update sends: the changed fields (PATCH's
 * default), the declared record, or the live record with the desired
 * fields laid over it (PUT's and POST's default); target.fields decides
 * which fields never go (server-owned, write-only) -- state/fields.h.
 */
#include "rest.h"
#include "engine/fetch.h"
#include "engine/push.h"
#include "engine/target.h"
#include "engine/urltemplate.h"
#include "state/error.h"
#include "util/json_util.h"
#include "state/listpage.h"
#include "state/schema.h"
#include "util/suggest.h"
#include "util/strmap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const target_keys[] = {"resource", NULL};
static const char *const resource_keys[] = {
    "list", "get", "items", "key", "id", "create", "update", "delete",
    "ignore", "owner_field", "update_body", NULL};
static const char *const update_body_names[] = {"changed", "declared",
                                                "merged", NULL};
static const char *const methods[] = {"GET", "POST", "PUT", "PATCH",
                                      "DELETE", NULL};

/* ---- configuration ------------------------------------------------------ */

static void rest_free(void *p)
{
    rest_cfg *c = p;
    if (!c)
        return;
    json_decref(c->resource);
    free(c->key);
    free(c->ignore);
    free(c);
}

/* "PATCH /records/{id}" -> method and path. A lone path takes `deflt`. */
static int parse_op(const json_t *res, const char *name, const char *deflt,
                    const tu_srcmap *map, rest_op *op, tu_error *err)
{
    const char *text = NULL, *space;
    tu_srcpos pos = tu_srcmap_member(map, res, name);
    int rc = tu_schema_string(res, name, 0, map, "target.resource", &text,
                              err);

    if (rc <= 0)
        return rc;
    space = strchr(text, ' ');
    op->method = deflt;
    op->path = text;
    if (space) {
        op->method = NULL;
        for (size_t i = 0; methods[i]; i++) {
            if (strncasecmp(text, methods[i], (size_t)(space - text)) == 0 &&
                strlen(methods[i]) == (size_t)(space - text))
                op->method = methods[i];
        }
        op->path = space + strspn(space, " ");
    }
    if (!op->method) {
        tu_error_at(err, pos, "target.resource.%s: '%.*s' is not a method "
                    "trueup sends (GET, POST, PUT, PATCH, DELETE)", name,
                    (int)(space - text), text);
        return -1;
    }
    if ((strcmp(name, "get") == 0) != (strcmp(op->method, "GET") == 0)) {
        tu_error_at(err, pos, "target.resource.%s: %s cannot %s records",
                    name, op->method, name);
        return -1;
    }
    return 1;
}

/* A known name for resource.NAME's placeholders, or NULL: in `list`, a
 * variable of target.vars; elsewhere also {id}, the id field and the key
 * fields. *several: the name is only a variable, with several values. */
static const char *known_name(const rest_cfg *c, int record,
                              const json_t *vars, const char *ph, size_t len,
                              int *several)
{
    const char *name;
    json_t *values;

    *several = 0;
    for (size_t i = 0; record && i < c->nkey + 2; i++) {
        name = i == 0 ? "id" : i == 1 ? c->id : c->key[i - 2];
        if (strlen(name) == len && memcmp(name, ph, len) == 0)
            return name;
    }
    json_object_foreach((json_t *)vars, name, values) {
        if (strlen(name) == len && memcmp(name, ph, len) == 0) {
            *several = json_is_array(values) && json_array_size(values) > 1;
            return name;
        }
    }
    return NULL;
}

/* The names a placeholder of resource.NAME may take, for a suggestion. */
static void candidates(const rest_cfg *c, int record, const json_t *vars,
                       const char **out, size_t max)
{
    size_t n = 0;
    const char *name;
    json_t *values;

    for (size_t i = 0; record && i < c->nkey + 2 && n + 1 < max; i++)
        out[n++] = i == 0 ? "id" : i == 1 ? c->id : c->key[i - 2];
    json_object_foreach((json_t *)vars, name, values) {
        if (n + 1 < max)
            out[n++] = name;
    }
    out[n] = NULL;
}

static void unknown_placeholder(const rest_cfg *c, const char *key,
                                const char *path, const json_t *vars,
                                const char *ph, size_t len, tu_srcpos pos,
                                tu_error *err)
{
    const char *known[64], *hint;
    char word[128];
    int record = strcmp(key, "list") != 0;

    snprintf(word, sizeof word, "%.*s", (int)len, ph);
    candidates(c, record, vars, known, 64);
    hint = tu_suggest(word, known);
    if (hint)
        tu_error_at(err, pos, "target.resource.%s: unknown placeholder {%s} "
                    "in '%s': did you mean {%s}?", key, word, path, hint);
    else if (!record)
        tu_error_at(err, pos, "target.resource.%s: unknown placeholder {%s} "
                    "in '%s': a list path has no record to fill it from, so "
                    "declare it in target.vars (vars: {%s: VALUE})", key,
                    word, path, word);
    else
        tu_error_at(err, pos, "target.resource.%s: unknown placeholder {%s} "
                    "in '%s': it is not {id}, the id field '%s', a key field "
                    "(target.resource.key) or a variable of target.vars; add "
                    "the field to the key, or declare the variable", key,
                    word, path, c->id);
}

/* Every placeholder of resource.KEY's path must be one trueup can fill. */
static int check_placeholders(const rest_cfg *c, const char *key,
                              const char *path, const json_t *vars,
                              tu_srcpos pos, tu_error *err)
{
    const char *p = path, *next, *ph;
    size_t len;
    int record = strcmp(key, "list") != 0, several;

    while ((next = tu_url_placeholder(p, &ph, &len)) != NULL) {
        const char *name = known_name(c, record, vars, ph, len, &several);
        if (!name) {
            unknown_placeholder(c, key, path, vars, ph, len, pos, err);
            return -1;
        }
        if (record && several) {
            tu_error_at(err, pos, "target.resource.%s: {%s} is a variable "
                        "with several values, which only a list path can "
                        "take (it is listed once per value); make it a key "
                        "field of the records, or give it one value", key,
                        name);
            return -1;
        }
        p = next;
    }
    return 0;
}

/* resource.list and every operation's path: braces and placeholders. */
static int check_paths(const rest_cfg *c, const json_t *target,
                       const json_t *res, const tu_srcmap *map,
                       tu_error *err)
{
    const json_t *vars = json_object_get(target, "vars");
    const char *keys[] = {"list", "get", "create", "update", "delete"};
    const char *paths[] = {c->list, c->get.path, c->create.path,
                           c->update.path, c->del.path};
    const char *problem;

    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        tu_srcpos pos = tu_srcmap_member(map, res, keys[i]);
        if (!paths[i])
            continue;
        if ((problem = tu_url_template_check(paths[i])) != NULL) {
            tu_error_at(err, pos, "target.resource.%s: the path has %s",
                        keys[i], problem);
            return -1;
        }
        if (check_placeholders(c, keys[i], paths[i], vars, pos, err) != 0)
            return -1;
    }
    return 0;
}

static int parse_lists(rest_cfg *c, const json_t *res, const tu_srcmap *map,
                       tu_error *err)
{
    const char *ctx = "target.resource";
    if (tu_schema_string_list(res, "key", 1, map, ctx, &c->key, &c->nkey,
                              err) < 0 ||
        tu_schema_string_list(res, "ignore", 0, map, ctx, &c->ignore,
                              &c->nignore, err) < 0)
        return -1;
    if (c->nkey == 0) {
        tu_error_at(err, tu_srcmap_member(map, res, "key"),
                    "target.resource.key: name at least one field");
        return -1;
    }
    return 0;
}

/* The live records are read either by listing them or one by one. */
/* PATCH sends the changed fields by default, PUT and POST the merged
 * record (the whole record, as they replace it). */
static int parse_update_body(rest_cfg *c, const json_t *res,
                             const tu_srcmap *map, tu_error *err)
{
    c->update_body = c->update.method && strcmp(c->update.method, "PATCH")
                         ? TU_BODY_MERGED : TU_BODY_CHANGED;
    return tu_schema_enum(res, "update_body", update_body_names, map,
                          "target.resource", &c->update_body, err) < 0
               ? -1 : 0;
}

static int check_list_or_get(const rest_cfg *c, const json_t *res,
                             const tu_srcmap *map, tu_error *err)
{
    if (!c->list == !c->get.method) {
        tu_error_at(err, tu_srcmap_get(map, res), "target.resource: set %s "
                    "of 'list' (GET of all records) and 'get' (GET of one "
                    "record, for APIs without a list)",
                    c->list ? "only one" : "one");
        return -1;
    }
    return 0;
}

/* The keys of target.resource: this file's and paging's. */
static int check_resource_keys(const json_t *res, const tu_srcmap *map,
                               tu_error *err)
{
    const char *all[40];
    size_t n = 0;

    for (size_t i = 0; resource_keys[i]; i++)
        all[n++] = resource_keys[i];
    for (size_t i = 0; tu_rest_paging_keys[i] && n < 39; i++)
        all[n++] = tu_rest_paging_keys[i];
    all[n] = NULL;
    return tu_schema_keys(res, all, map, "target.resource", err);
}

static int parse_resource(rest_cfg *c, const json_t *target,
                          const json_t *res, const tu_srcmap *map,
                          tu_error *err)
{
    const char *ctx = "target.resource";
    c->id = "id";
    if (check_resource_keys(res, map, err) != 0 ||
        tu_schema_string(res, "list", 0, map, ctx, &c->list, err) < 0 ||
        parse_op(res, "get", "GET", map, &c->get, err) < 0 ||
        check_list_or_get(c, res, map, err) != 0 ||
        tu_schema_string(res, "items", 0, map, ctx, &c->items, err) < 0 ||
        tu_schema_string(res, "id", 0, map, ctx, &c->id, err) < 0 ||
        tu_schema_string(res, "owner_field", 0, map, ctx, &c->owner_field,
                         err) < 0 ||
        tu_rest_parse_paging(c, res, map, err) != 0 ||
        parse_lists(c, res, map, err) != 0 ||
        parse_op(res, "create", "POST", map, &c->create, err) < 0 ||
        parse_op(res, "update", "PATCH", map, &c->update, err) < 0 ||
        parse_op(res, "delete", "DELETE", map, &c->del, err) < 0 ||
        check_paths(c, target, res, map, err) != 0 ||
        parse_update_body(c, res, map, err) != 0)
        return -1;
    return 0;
}

static int rest_parse(const json_t *target, const tu_srcmap *map, void **out,
                      tu_error *err)
{
    const json_t *res = NULL;
    rest_cfg *c;

    if (tu_schema_object(target, "resource", 1, map, "target", &res, err) < 0)
        return -1;
    c = calloc(1, sizeof *c);
    if (!c) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    c->resource = json_incref((json_t *)res);
    if (parse_resource(c, target, res, map, err) != 0) {
        rest_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

static void rest_describe(const void *p, tu_keyspec *key, const char ***ignore,
                          size_t *nignore)
{
    const rest_cfg *c = p;
    key->fields = c->key;
    key->count = c->nkey;
    *ignore = c->ignore;
    *nignore = c->nignore;
}

static const char *rest_owner_field(const void *p)
{
    const rest_cfg *c = p;
    return c->owner_field;
}

/* Every field but the server's id, the ignored ones and the ownership
 * mark, key fields first: the id is the server's to assign and the mark
 * trueup's to set, neither part of the desired state. */
static json_t *rest_export(const void *p, const tu_record *live)
{
    const rest_cfg *c = p;
    tu_keyspec key = {c->key, c->nkey};
    const char **leave_out = malloc((c->nignore + 1) * sizeof *leave_out);
    json_t *out, *fields;

    if (!leave_out)
        return NULL;
    if (c->nignore)
        memcpy(leave_out, c->ignore, c->nignore * sizeof *leave_out);
    leave_out[c->nignore] = c->owner_field ? c->owner_field : c->id;
    fields = tu_record_json(live);
    out = fields ? tu_record_declared(fields, &key, leave_out,
                                      c->nignore + 1, c->id) : NULL;
    json_decref(fields);
    free(leave_out);
    return out;
}

/* ---- pushing ------------------------------------------------------------ */

/* The jansson form of a record's fields for one request: a new reference,
 * made from the packed form and dropped after (not kept on the record:
 * the push visits every changed record once). */
static json_t *fields_of(const tu_record *r)
{
    return r ? tu_record_json(r) : NULL;
}

/* For an update that sends the changed fields: only those of the desired
 * record, taken from its packed form (a new object; NULL: none or out of
 * memory). */
static json_t *changed_desired(const tu_action *a, const char *const *names,
                               size_t n)
{
    const tu_packed *p = a->desired->packed;
    json_t *out = json_object(), *v;

    for (size_t i = 0; out && i < n; i++) {
        const tu_pfield *f = tu_packed_get(p, names[i]);
        if (f && (!(v = tu_pfield_json(f)) ||
                  json_object_set_new(out, names[i], v) != 0)) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

/* The names of the fields `a` changes: `stack` when they fit in `cap`,
 * else a malloc'd array (the caller frees what is not `stack`); NULL
 * when out of memory. */
static const char **changed_names(const tu_action *a, const char **stack,
                                  size_t cap, size_t *n)
{
    const char **names = stack;

    *n = tu_action_changed_fields(a, stack, cap);
    if (*n > cap && (names = malloc(*n * sizeof *names)) != NULL)
        tu_action_changed_fields(a, names, *n);
    return names;
}

/* The body of an update, made as resource.update_body says. The changed
 * fields (PATCH's default) need only the desired values of the changed
 * fields, and the live record only for a write-only field's stored form. */
static json_t *update_body(const tu_target *t, const tu_action *a)
{
    const rest_cfg *c = t->cfg;
    tu_keyspec key = {c->key, c->nkey};
    int changed = c->update_body == TU_BODY_CHANGED;
    int need_live = !changed || tu_field_rules_stored(&t->fields);
    const char *stack[16], **names;
    size_t n;
    json_t *desired = NULL, *live = NULL, *body = NULL;

    if (!(names = changed_names(a, stack, 16, &n)))
        return NULL;
    desired = changed && !a->desired->json && a->desired->packed
                  ? changed_desired(a, names, n) : fields_of(a->desired);
    live = need_live ? fields_of(a->live) : NULL;
    if (desired && (live || !need_live || !a->live)) {
        tu_update_input in = {desired, live, names, n, &key, c->id};
        body = tu_field_update_body(&t->fields,
                                    (tu_update_body)c->update_body, &in);
    }
    json_decref(desired);
    json_decref(live);
    if (names != stack)
        free(names);
    return body;
}

static const rest_op *op_for(const rest_cfg *c, const tu_action *a,
                             const char **name)
{
    switch (tu_action_request(a)) {
    case TU_ACTION_CREATE: *name = "create"; return &c->create;
    case TU_ACTION_UPDATE: *name = "update"; return &c->update;
    default:               *name = "delete"; return &c->del;
    }
}

/* The buffers a push reuses for every request's path, URL and body: no
 * allocation per request once they have grown (tu_push_send_copy copies
 * the URL and body into the write's one block). */
typedef struct rest_scratch {
    tu_buffer path;
    tu_buffer url;
    tu_buffer body;
} rest_scratch;

/* The URL of a's request into s->url. 0, or -1 with a failed. */
static int request_url(const tu_target *t, const rest_op *op,
                       const char *name, tu_action *a, rest_scratch *s)
{
    const rest_cfg *c = t->cfg;
    const tu_record *r = a->live && tu_action_request(a) != TU_ACTION_CREATE
                             ? a->live : a->desired;
    const char *missing = NULL;
    char msg[512];
    int rc;

    s->path.len = 0;
    s->url.len = 0;
    if (!r->json && r->packed)
        rc = tu_url_expand_packed(&s->path, op->path, r->packed, c->id,
                                  t->vars, &missing);
    else
        rc = tu_url_expand_into(&s->path, op->path, tu_record_fields(r),
                                c->id, t->vars, &missing);
    if (rc < 0) {
        snprintf(msg, sizeof msg, "target.resource.%s: the record has no "
                 "value for %.*s", name,
                 missing ? (int)strcspn(missing, "}") + 1 : 0,
                 missing ? missing : "");
        tu_action_fail(a, missing ? msg : "out of memory");
        return -1;
    }
    if (tu_target_url_into(t, s->path.data ? s->path.data : "", &s->url) < 0) {
        tu_action_fail(a, "out of memory");
        return -1;
    }
    return 0;
}

/* The body of a's request into s->body (none for a delete). 0, or -1
 * with a failed. */
static int request_body(const tu_target *t, tu_action *a, rest_scratch *s)
{
    tu_action_kind kind = tu_action_request(a);
    json_t *body_json = NULL;
    int rc = 0;

    s->body.len = 0;
    if (kind == TU_ACTION_CREATE) {
        json_t *desired = fields_of(a->desired);
        body_json = desired ? tu_field_create_body(&t->fields, desired)
                            : NULL;
        json_decref(desired);
    } else if (kind == TU_ACTION_UPDATE)
        body_json = update_body(t, a);
    else
        return 0;
    if (!body_json || tu_json_dumpb(body_json, JSON_COMPACT, &s->body) < 0)
        rc = -1;
    json_decref(body_json);
    if (rc < 0)
        tu_action_fail(a, "out of memory");
    return rc;
}

static void push_one(const tu_target *t, tu_push *p, tu_action *a,
                     rest_scratch *s)
{
    const rest_cfg *c = t->cfg;
    const char *name;
    const rest_op *op = op_for(c, a, &name);
    char msg[512];

    if (!op->method) {
        snprintf(msg, sizeof msg, "target.resource.%s is not set, so trueup "
                 "cannot %s records", name, name);
        tu_action_fail(a, msg);
        return;
    }
    if (request_url(t, op, name, a, s) < 0 || request_body(t, a, s) < 0)
        return;
    tu_push_send_copy(p, op->method, s->url.data,
                      tu_action_request(a) == TU_ACTION_DELETE
                          ? NULL : s->body.data,
                      s->body.len, strcmp(op->method, "POST") != 0, &a, 1);
}

static int rest_push_per_action(const void *cfg)
{
    (void)cfg;
    return 1;
}

static int rest_push(const tu_target *t, tu_push *p, tu_action **actions,
                     size_t n)
{
    rest_scratch s = {TU_BUFFER_INIT, TU_BUFFER_INIT, TU_BUFFER_INIT};

    for (size_t i = 0; i < n; i++)
        push_one(t, p, actions[i], &s);
    tu_buffer_free(&s.path);
    tu_buffer_free(&s.url);
    tu_buffer_free(&s.body);
    return 0;
}

const tu_provider_ops tu_provider_rest = {
    .name = "rest",
    .target_keys = target_keys,
    .parse = rest_parse,
    .free = rest_free,
    .describe = rest_describe,
    .protect = NULL,
    .owner_field = rest_owner_field,
    .normalize = NULL,
    .export_record = rest_export,
    .fetch = tu_rest_fetch,
    .fetch_uses_desired = tu_rest_fetch_uses_desired,
    .push = rest_push,
    .push_per_action = rest_push_per_action,
};
