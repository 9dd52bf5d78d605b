/* rest.c -- the generic REST provider: reading target.resource.
 *
 * For any API that lists records (or reads them one by one) and changes
 * them one request per record. `target.resource` says how:
 *
 *   list      path of the list (GET), a JSON array or an object holding it
 *   get       or, for APIs without a list: "GET /path/{id}", one record
 *             at a time, for the desired records (which carry their id)
 *   items     dotted path to the array in the list response (to the record
 *             in a get response)
 *   paginate  none | link | page | offset | next | cursor, with the keys
 *             that go with them (rest_fetch.c reads the list)
 *   key, id, ignore    the key fields, the server's id field, fields never
 *                      compared
 *   create, update, delete   "METHOD /path/{placeholders}"
 *   success   {path, equals, message}: what every 2xx answer must hold
 *
 * Each action may also be a mapping {request: "METHOD /path", send, body}
 * (create: and id, the new id's path in its answer): any method for any
 * action, and a body template whose values go as `send` says (json, form,
 * query or none); rest_request.c builds the requests.
 *
 * Placeholders are checked at load time: in `list` each must name a
 * variable of target.vars (a variable with several values makes one list
 * per value, each paged on its own); elsewhere {id}, the id field, a key
 * field or a variable; {env.NAME} anywhere (engine/target.c reads it). In
 * a body, {fields} (create and update, a whole value) and, but in a list's,
 * any field of the record.
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
    "ignore", "owner_field", "update_body", "success", NULL};
static const char *const update_body_names[] = {"changed", "declared",
                                                "merged", NULL};
static const char *const methods[] = {"GET", "POST", "PUT", "PATCH",
                                      "DELETE", NULL};
static const char *const op_keys[] = {"request", "send", "body", NULL};
static const char *const create_keys[] = {"request", "send", "body", "id",
                                          NULL};
static const char *const send_names[] = {"json", "form", "query", "none",
                                         NULL};

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

/* "PATCH /records/{id}" (at pos) -> method and path. A lone path (its
 * first word is not a word of letters: "/r/{id | base64}") takes
 * `deflt`. 0 or -1. */
static int parse_request(const char *text, const char *name,
                         const char *deflt, tu_srcpos pos, rest_op *op,
                         tu_error *err)
{
    const char *space = strchr(text, ' ');
    size_t word = strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrs"
                               "tuvwxyz");

    if (space && (size_t)(space - text) != word)
        space = NULL;

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
    return 0;
}

/* The mapping form {request, send, body, id}. 0 or -1. */
static int parse_op_mapping(const json_t *spec, const char *name,
                            const char *deflt, const tu_srcmap *map,
                            rest_op *op, tu_error *err)
{
    const char *text = NULL;
    char ctx[48];

    snprintf(ctx, sizeof ctx, "target.resource.%s", name);
    if (tu_schema_keys(spec, strcmp(name, "create") == 0 ? create_keys
                                                         : op_keys,
                       map, ctx, err) != 0 ||
        tu_schema_string(spec, "request", 1, map, ctx, &text, err) < 0 ||
        parse_request(text, name, deflt,
                      tu_srcmap_member(map, spec, "request"), op, err) != 0 ||
        tu_schema_string(spec, "id", 0, map, ctx, &op->id_path, err) < 0 ||
        tu_schema_object(spec, "body", 0, map, ctx, &op->body, err) < 0)
        return -1;
    if (op->body)
        op->send = REST_SEND_JSON;
    if (tu_schema_enum(spec, "send", send_names, map, ctx, &op->send,
                       err) < 0)
        return -1;
    if (op->send == REST_SEND_NONE && op->body) {
        tu_error_at(err, tu_srcmap_member(map, spec, "send"), "%s: body is "
                    "set but send is none; say where its values go (json, "
                    "form or query)", ctx);
        return -1;
    }
    return 0;
}

/* resource.NAME: "PATCH /records/{id}" or the mapping form. Create and
 * update send JSON unless told otherwise, the others nothing. */
static int parse_op(const json_t *res, const char *name, const char *deflt,
                    const tu_srcmap *map, rest_op *op, tu_error *err)
{
    const json_t *spec = json_object_get(res, name);
    const char *text = NULL;
    int rc;

    op->send = strcmp(name, "create") == 0 || strcmp(name, "update") == 0
                   ? REST_SEND_JSON : REST_SEND_NONE;
    if (json_is_object(spec))
        return parse_op_mapping(spec, name, deflt, map, op, err) ? -1 : 1;
    rc = tu_schema_string(res, name, 0, map, "target.resource", &text, err);
    if (rc <= 0)
        return rc;
    return parse_request(text, name, deflt, tu_srcmap_member(map, res, name),
                         op, err) ? -1 : 1;
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

/* {env.NAME}: read by engine/target.c at load, which fails when unset. */
static int is_env(const tu_placeholder *ph)
{
    return ph->len > 4 && memcmp(ph->name, "env.", 4) == 0;
}

/* The placeholder text ph[0..len) of resource.KEY split into its name and
 * filter; -1 (err set) when the filter is not one trueup knows. */
static int check_filter(const char *key, const char *ph, size_t len,
                        tu_placeholder *out, tu_srcpos pos, tu_error *err)
{
    if (tu_placeholder_parse(ph, len, out) == 0)
        return 0;
    tu_error_at(err, pos, "target.resource.%s: {%.*s}: trueup knows one "
                "filter, '| base64'", key, (int)len, ph);
    return -1;
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
        tu_placeholder parts;
        const char *name;
        if (check_filter(key, ph, len, &parts, pos, err) != 0)
            return -1;
        if (is_env(&parts)) {
            p = next;
            continue;
        }
        name = known_name(c, record, vars, parts.name, parts.len, &several);
        if (!name) {
            unknown_placeholder(c, key, path, vars, parts.name, parts.len,
                                pos, err);
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
    const char *paths[] = {c->list.path, c->get.path, c->create.path,
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

/* What check_body_string needs besides the string. */
typedef struct body_check {
    const rest_cfg *c;
    const char *key;       /* the action */
    rest_op *op;
    const json_t *vars;
    tu_error *err;
} body_check;

/* One placeholder of resource.KEY.body (in string s): {fields} only as a
 * whole value of a create's or update's body; in a list's (which has no
 * record) only variables of one value. Any other name is a field of the
 * record, which only the record can say it has. 0 or -1. */
static int check_body_placeholder(body_check *b, const char *s,
                                  const tu_placeholder *ph, tu_srcpos pos)
{
    int several, writes = b->op == &b->c->create || b->op == &b->c->update;

    if (ph->len == 6 && memcmp(ph->name, "fields", 6) == 0) {
        if (!writes || !tu_template_is_whole(s) || ph->base64) {
            tu_error_at(b->err, pos, "target.resource.%s.body: {fields} is "
                        "the record's values: only create and update send "
                        "them, as a whole value (data: \"{fields}\")",
                        b->key);
            return -1;
        }
        b->op->wraps = 1;
        return 0;
    }
    if (is_env(ph) || b->op != &b->c->list)
        return 0;   /* the environment; a field of the record */
    if (!known_name(b->c, 0, b->vars, ph->name, ph->len, &several)) {
        unknown_placeholder(b->c, b->key, s, b->vars, ph->name, ph->len, pos,
                            b->err);
        return -1;
    }
    if (several) {
        tu_error_at(b->err, pos, "target.resource.list.body: {%.*s} is a "
                    "variable with several values; a body takes one value",
                    (int)ph->len, ph->name);
        return -1;
    }
    return 0;
}

/* One string of resource.KEY.body: its braces, filters and placeholders. */
static int check_body_string(const char *s, tu_srcpos pos, void *data)
{
    body_check *b = data;
    const char *p = s, *next, *ph, *problem;
    size_t len;
    tu_placeholder parts;

    if ((problem = tu_url_template_check(s)) != NULL) {
        tu_error_at(b->err, pos, "target.resource.%s.body: '%s' has %s",
                    b->key, s, problem);
        return -1;
    }
    while ((next = tu_url_placeholder(p, &ph, &len)) != NULL) {
        if (check_filter(b->key, ph, len, &parts, pos, b->err) != 0 ||
            check_body_placeholder(b, s, &parts, pos) != 0)
            return -1;
        p = next;
    }
    return 0;
}

/* Every action's body template. */
static int check_bodies(rest_cfg *c, const json_t *target, const json_t *res,
                        const tu_srcmap *map, tu_error *err)
{
    const char *keys[] = {"list", "get", "create", "update", "delete"};
    rest_op *ops[] = {&c->list, &c->get, &c->create, &c->update, &c->del};
    body_check b = {c, NULL, NULL, json_object_get(target, "vars"), err};

    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        const json_t *spec = json_object_get(res, keys[i]);
        if (!ops[i]->body)
            continue;
        b.key = keys[i];
        b.op = ops[i];
        if (tu_schema_each_string(ops[i]->body,
                                  tu_srcmap_member(map, spec, "body"), map,
                                  check_body_string, &b) != 0)
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
    if (!c->list.method == !c->get.method) {
        tu_error_at(err, tu_srcmap_get(map, res), "target.resource: set %s "
                    "of 'list' (GET of all records) and 'get' (GET of one "
                    "record, for APIs without a list)",
                    c->list.method ? "only one" : "one");
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

/* resource.success, {path, equals, message}: what every 2xx answer must
 * hold to be a success (state/answer.h); and where a create's answer
 * names the new record's id: the id field. 0, or -1 with err set. */
static int parse_answers(rest_cfg *c, const json_t *res,
                         const tu_srcmap *map, tu_error *err)
{
    static const char *const keys[] = {"path", "equals", "message", NULL};
    const char *ctx = "target.resource.success";
    tu_success_rule *rule = &c->answers.success;
    const json_t *success = NULL, *equals;
    int rc = tu_schema_object(res, "success", 0, map, "target.resource",
                              &success, err);

    c->answers.id_field = c->id;
    c->answers.id_path = c->create.id_path;  /* create: {..., id: PATH} */
    if (rc <= 0)
        return rc;
    if (tu_schema_keys(success, keys, map, ctx, err) != 0 ||
        tu_schema_string(success, "path", 1, map, ctx, &rule->path,
                         err) < 0 ||
        tu_schema_string(success, "message", 0, map, ctx, &rule->message,
                         err) < 0)
        return -1;
    equals = json_object_get(success, "equals");
    if (!equals || json_is_object(equals) || json_is_array(equals)) {
        tu_error_at(err, equals ? tu_srcmap_member(map, success, "equals")
                                : tu_srcmap_get(map, success),
                    "%s%s: the value the answer holds at '%s' when it is "
                    "a success (a string, a number, true, false or null)",
                    ctx, equals ? ".equals: expected one value, got a list "
                    "or a mapping" : ": missing required key 'equals'",
                    rule->path);
        return -1;
    }
    rule->equals = equals;
    return 0;
}

static const tu_answer_rules *rest_answers(const void *p)
{
    const rest_cfg *c = p;
    return &c->answers;
}

static int parse_resource(rest_cfg *c, const json_t *target,
                          const json_t *res, const tu_srcmap *map,
                          tu_error *err)
{
    const char *ctx = "target.resource";
    c->id = "id";
    if (check_resource_keys(res, map, err) != 0 ||
        parse_op(res, "list", "GET", map, &c->list, err) < 0 ||
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
        check_bodies(c, target, res, map, err) != 0 ||
        parse_update_body(c, res, map, err) != 0 ||
        parse_answers(c, res, map, err) != 0)
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

static int rest_push_per_action(const void *cfg)
{
    (void)cfg;
    return 1;
}

const tu_provider_ops tu_provider_rest = {
    .name = "rest",
    .target_keys = target_keys,
    .parse = rest_parse,
    .free = rest_free,
    .describe = rest_describe,
    .protect = NULL,
    .owner_field = rest_owner_field,
    .answers = rest_answers,
    .normalize = NULL,
    .export_record = rest_export,
    .fetch = tu_rest_fetch,
    .fetch_uses_desired = tu_rest_fetch_uses_desired,
    .push = tu_rest_push,
    .push_per_action = rest_push_per_action,
};
