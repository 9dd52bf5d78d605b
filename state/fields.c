/* fields.c -- per-field rules: parsing, comparing, reading, bodies (see
 * fields.h).
 *
 * Rules are parsed once from target.fields into an array indexed by name.
 * A comparison under a rule puts both values in a normal form first (split
 * strings into lists, lower-case strings, sort and de-duplicate lists by
 * their canonical text) and compares those by value; fields without
 * normalising rules are compared as they are, with no copy.
 */
#include "fields.h"
#include "error.h"
#include "util/json_util.h"
#include "schema.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rule_keys[] = {
    "compare", "split", "read", "read_only", "write_only", "update",
    "value_env", "stored_as", "immutable", "write_as", "strip_suffix", "ref",
    "by", "send", NULL};
static const char *const shorthands[] = {"read_only", "write_only",
                                         "immutable", NULL};
static const char *const compare_names[] = {"exact", "set", "caseless",
                                            "number", "declared", NULL};
static const char *const update_names[] = {"on_create", "always", NULL};

/* ---- parsing ------------------------------------------------------------ */

static int parse_compare_one(tu_field_rule *r, const json_t *v,
                             tu_srcpos pos, tu_error *err)
{
    const char *s = json_string_value(v);
    for (int i = 0; s && compare_names[i]; i++) {
        if (strcmp(s, compare_names[i]) == 0) {
            r->set |= i == 1;
            r->caseless |= i == 2;
            r->number |= i == 3;
            r->declared |= i == 4;
            return 0;
        }
    }
    tu_error_at(err, pos, "target.fields.%s.compare: expected exact, set, "
                "caseless, number or declared (or a list of them), got "
                "%s%s%s", r->name, s ? "'" : tu_json_type_name(v),
                s ? s : "", s ? "'" : "");
    return -1;
}

static int parse_compare(tu_field_rule *r, const json_t *rule,
                         const tu_srcmap *map, tu_error *err)
{
    const json_t *v = json_object_get(rule, "compare");
    tu_srcpos pos = tu_srcmap_member(map, rule, "compare");
    size_t i;
    json_t *item;

    if (!v)
        return 0;
    if (!json_is_array(v))
        return parse_compare_one(r, v, pos, err);
    json_array_foreach(v, i, item) {
        if (parse_compare_one(r, item, pos, err) != 0)
            return -1;
    }
    if (r->declared && r->set) {
        tu_error_at(err, pos, "target.fields.%s.compare: declared compares "
                    "lists item by item, so it does not go with set",
                    r->name);
        return -1;
    }
    return 0;
}

/* ref (a resource of the system), by (the fields giving its key) and
 * send (the field of the referenced record the API takes). */
static int parse_ref(tu_field_rule *r, const json_t *rule,
                     const tu_srcmap *map, const char *ctx, tu_error *err)
{
    const json_t *by = json_object_get(rule, "by");
    size_t i;
    json_t *item;

    if (tu_schema_string(rule, "ref", 0, map, ctx, &r->ref, err) < 0 ||
        tu_schema_string(rule, "send", 0, map, ctx, &r->send, err) < 0)
        return -1;
    if (!r->ref && (by || r->send)) {
        tu_error_at(err, tu_srcmap_member(map, rule, by ? "by" : "send"),
                    "%s: '%s' goes with ref (ref: RESOURCE names the "
                    "resource whose record this field names)", ctx,
                    by ? "by" : "send");
        return -1;
    }
    if (!by)
        return 0;
    json_array_foreach(by, i, item) {
        if (!json_is_string(item))
            break;
    }
    if (!json_is_array(by) || json_array_size(by) == 0 ||
        i < json_array_size(by)) {
        tu_error_at(err, tu_srcmap_member(map, rule, "by"), "%s.by: expected "
                    "a list of this record's fields giving the referenced "
                    "record's key, in its key order ([vhost, %s])", ctx,
                    r->name);
        return -1;
    }
    r->by = by;
    return 0;
}

static int parse_flags(tu_field_rule *r, const json_t *rule,
                       const tu_srcmap *map, const char *ctx, tu_error *err)
{
    int ro = 0, wo = 0, imm = 0, update = 0;

    if (tu_schema_bool(rule, "read_only", map, ctx, &ro, err) < 0 ||
        tu_schema_bool(rule, "write_only", map, ctx, &wo, err) < 0 ||
        tu_schema_bool(rule, "immutable", map, ctx, &imm, err) < 0 ||
        tu_schema_enum(rule, "update", update_names, map, ctx, &update,
                       err) < 0 ||
        tu_schema_string(rule, "split", 0, map, ctx, &r->split, err) < 0 ||
        tu_schema_string(rule, "read", 0, map, ctx, &r->read, err) < 0 ||
        tu_schema_string(rule, "value_env", 0, map, ctx, &r->value_env,
                         err) < 0 ||
        tu_schema_string(rule, "stored_as", 0, map, ctx, &r->stored_as,
                         err) < 0 ||
        tu_schema_string(rule, "write_as", 0, map, ctx, &r->write_as,
                         err) < 0 ||
        tu_schema_string(rule, "strip_suffix", 0, map, ctx,
                         &r->strip_suffix, err) < 0 ||
        parse_ref(r, rule, map, ctx, err) != 0)
        return -1;
    r->read_only = ro != 0;
    r->write_only = wo != 0;
    r->immutable = imm != 0;
    r->always = update == 1;
    return 0;
}

/* Rules that make no sense together, named by the first offending key. */
static const char *conflict(const tu_field_rule *r, const json_t *rule)
{
    static const char *const compared[] = {"compare", "split", "read",
                                           "immutable", "write_as",
                                           "strip_suffix", "ref"};
    static const char *const secret[] = {"update", "value_env", "stored_as"};

    for (size_t i = 0; i < 7; i++) {
        if ((r->read_only || (r->write_only && (i < 4 || i == 6))) &&
            json_object_get(rule, compared[i]))
            return compared[i];
    }
    for (size_t i = 0; i < 3; i++) {
        if (!r->write_only && json_object_get(rule, secret[i]))
            return secret[i];
    }
    return r->read_only && r->write_only ? "write_only" : NULL;
}

/* The rule a path inside a field cannot have, or NULL. */
static const char *whole_field_only(const tu_field_rule *r)
{
    return r->write_only ? "write_only" : r->immutable ? "immutable"
         : r->write_as ? "write_as" : r->strip_suffix ? "strip_suffix"
         : r->read ? "read" : r->ref ? "ref" : NULL;
}

static int is_key(const tu_keyspec *key, const char *name, size_t len)
{
    for (size_t i = 0; key && i < key->count; i++) {
        if (strlen(key->fields[i]) == len &&
            strncmp(key->fields[i], name, len) == 0)
            return 1;
    }
    return 0;
}

static int check_rule(const tu_field_rule *r, const json_t *rule,
                      const tu_keyspec *key, const tu_srcmap *map,
                      tu_error *err)
{
    const char *bad = conflict(r, rule);

    if (bad) {
        tu_error_at(err, tu_srcmap_member(map, rule, bad), "target.fields.%s:"
                    " '%s' does not go with %s", r->name, bad,
                    r->write_only ? (r->read_only ? "read_only"
                                                  : "write_only (a secret "
                                                    "is never read back)")
                                  : r->read_only ? "read_only (never "
                                                   "compared nor sent)"
                                                 : "a field that is not "
                                                   "write_only");
        return -1;
    }
    if (r->path && (bad = whole_field_only(r)) != NULL) {
        tu_error_at(err, r->pos, "target.fields.%s: '%s' goes on a whole "
                    "field, not on a path inside one", r->name, bad);
        return -1;
    }
    if (is_key(key, r->name, strlen(r->name)) &&
        (r->write_only || r->set || r->caseless || r->number ||
         r->declared || r->split || r->read || r->immutable)) {
        tu_error_at(err, r->pos, "target.fields.%s: a key field matches "
                    "records exactly; it can only be read_only, or have "
                    "write_as or strip_suffix", r->name);
        return -1;
    }
    return 0;
}

static int parse_rule(tu_field_rule *r, const json_t *rule,
                      const tu_keyspec *key, const tu_srcmap *map,
                      tu_error *err)
{
    char ctx[300];
    int index;

    if (json_is_string(rule)) {
        const char *text = json_string_value(rule);
        for (index = 0; shorthands[index]; index++) {
            if (strcmp(text, shorthands[index]) == 0)
                break;
        }
        if (!shorthands[index]) {
            tu_error_at(err, r->pos, "target.fields.%s: '%s' is not a rule; "
                        "write read_only, write_only, immutable or a mapping "
                        "of rules", r->name, text);
            return -1;
        }
        r->read_only = index == 0;
        r->write_only = index == 1;
        r->immutable = index == 2;
        return check_rule(r, rule, key, map, err);
    }
    snprintf(ctx, sizeof ctx, "target.fields.%s", r->name);
    if (tu_schema_is_object(rule, map, r->pos, ctx, err) != 0 ||
        tu_schema_keys(rule, rule_keys, map, ctx, err) != 0 ||
        parse_compare(r, rule, map, err) != 0 ||
        parse_flags(r, rule, map, ctx, err) != 0)
        return -1;
    return check_rule(r, rule, key, map, err);
}

/* A new rule named `name` (borrowed), at the end: its index, or -1 with
 * err set (out of memory). */
static long add_rule(tu_field_rules *rules, const char *name, tu_srcpos pos,
                     tu_error *err)
{
    tu_field_rule *items = realloc(rules->items,
                                   (rules->count + 1) * sizeof *items);

    if (!items || tu_strmap_put(&rules->index, name, rules->count,
                                NULL) < 0) {
        if (items)
            rules->items = items;
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    rules->items = items;
    memset(&items[rules->count], 0, sizeof *items);
    items[rules->count].name = name;
    items[rules->count].path = strchr(name, '.') != NULL;
    items[rules->count].pos = pos;
    return (long)rules->count++;
}

/* Two fields sent under one name: the second rule's write_as. */
static int check_write_names(const tu_field_rules *rules, tu_error *err)
{
    for (size_t i = 0; i < rules->count; i++) {
        const tu_field_rule *r = &rules->items[i], *o;
        for (size_t j = 0; r->write_as && j < rules->count; j++) {
            o = &rules->items[j];
            if (j == i || o->path ||
                strcmp(o->write_as ? o->write_as : o->name, r->write_as))
                continue;
            tu_error_at(err, r->pos, "target.fields.%s.write_as: '%s' is "
                        "also the name %s is sent under; two fields cannot "
                        "be sent under one name", r->name, r->write_as,
                        o->name);
            return -1;
        }
    }
    return 0;
}
/* ---- paths ------------------------------------------------------------- */

/* Why the field or path `name` (its first `len` bytes) has nothing inside
 * it compared: "read_only", "write_only", "ignored", or NULL. */
static const char *whole(const tu_field_rules *rules, const char *name,
                         size_t len, const char *const *ignore,
                         size_t nignore)
{
    char buf[512];
    size_t i;
    const tu_field_rule *r;

    if (len >= sizeof buf)
        return NULL;
    memcpy(buf, name, len);
    buf[len] = '\0';
    r = tu_strmap_get(&rules->index, buf, &i) ? &rules->items[i] : NULL;
    if (r && (r->read_only || r->write_only || r->ignored))
        return r->read_only ? "read_only"
             : r->write_only ? "write_only" : "ignored";
    for (i = 0; i < nignore; i++) {
        if (strlen(ignore[i]) == len && strncmp(ignore[i], name, len) == 0)
            return "ignored";
    }
    return NULL;
}

/* A path that can take effect: steps not empty, not inside a key field
 * nor inside something compared not at all. 0, or -1 with err set. */
static int check_path(const tu_field_rules *rules, const tu_field_rule *r,
                      const tu_keyspec *key, const char *const *ignore,
                      size_t nignore, const char *what, tu_error *err)
{
    const char *name = r->name, *dot = strchr(name, '.'), *why = NULL;
    char where[600];
    size_t len = strlen(name);

    if (r->ignored)
        snprintf(where, sizeof where, "%s: '%s'", what, name);
    else
        snprintf(where, sizeof where, "target.fields.%s", name);
    if (*name == '.' || name[len - 1] == '.' || strstr(name, "..")) {
        tu_error_at(err, r->pos, "%s: not a path (a step is empty); write "
                    "field.key, as query.time_range", where);
        return -1;
    }
    if (is_key(key, name, (size_t)(dot - name))) {
        tu_error_at(err, r->pos, "%s: %.*s is a key field, matched exactly "
                    "as a whole, so a path inside it never takes effect; "
                    "drop the path", where, (int)(dot - name), name);
        return -1;
    }
    while (dot && !(why = whole(rules, name, (size_t)(dot - name), ignore,
                                nignore)))
        dot = strchr(dot + 1, '.');
    if (why) {
        tu_error_at(err, r->pos, "%s: %.*s is %s as a whole, so a path "
                    "inside it never takes effect; drop the path", where,
                    (int)(dot - name), name, why);
        return -1;
    }
    return 0;
}

/* The field a path starts in: its rule marked nested (a new rule when it
 * has none). 0, or -1 with err set. */
static int mark_nested(tu_field_rules *rules, size_t i, tu_error *err)
{
    const char *name = rules->items[i].name;
    char *field = strndup(name, (size_t)(strchr(name, '.') - name));
    size_t at;
    long added;

    if (!field) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    if (tu_strmap_get(&rules->index, field, &at)) {
        rules->items[at].nested = 1;
        free(field);
        return 0;
    }
    if ((added = add_rule(rules, field, rules->items[i].pos, err)) < 0) {
        free(field);
        return -1;
    }
    rules->items[added].own_name = field;
    rules->items[added].nested = 1;
    return 0;
}

static int link_paths(tu_field_rules *rules, const tu_keyspec *key,
                      const char *const *ignore, size_t nignore,
                      const char *what, tu_error *err)
{
    size_t n = rules->count;    /* the rules added are fields, not paths */

    for (size_t i = 0; i < n; i++) {
        if (rules->items[i].path &&
            (check_path(rules, &rules->items[i], key, ignore, nignore, what,
                        err) != 0 ||
             mark_nested(rules, i, err) != 0))
            return -1;
    }
    return 0;
}

int tu_field_rules_parse(tu_field_rules *rules, const json_t *fields,
                         const tu_keyspec *key, const tu_srcmap *map,
                         tu_error *err)
{
    const char *name;
    json_t *rule;
    long i;

    memset(rules, 0, sizeof *rules);
    tu_strmap_init(&rules->index);
    json_object_foreach((json_t *)fields, name, rule) {
        i = add_rule(rules, name, tu_srcmap_member(map, fields, name), err);
        if (i < 0 || parse_rule(&rules->items[i], rule, key, map, err) != 0)
            goto fail;
    }
    if (check_write_names(rules, err) == 0 &&
        link_paths(rules, key, NULL, 0, NULL, err) == 0)
        return 0;
fail:
    tu_field_rules_free(rules);
    return -1;
}

int tu_field_rules_ignore(tu_field_rules *rules, const char *const *ignore,
                          size_t nignore, const tu_keyspec *key,
                          const char *what, tu_srcpos pos, tu_error *err)
{
    size_t at;
    long i;

    for (size_t k = 0; k < nignore; k++) {
        if (!strchr(ignore[k], '.'))
            continue;
        if (tu_strmap_get(&rules->index, ignore[k], &at)) {
            rules->items[at].ignored = 1;
            continue;
        }
        if ((i = add_rule(rules, ignore[k], pos, err)) < 0)
            return -1;
        rules->items[i].ignored = 1;
    }
    return link_paths(rules, key, ignore, nignore, what, err);
}

void tu_field_rule_set_suffix(tu_field_rule *r, char *suffix)
{
    free(r->own_suffix);
    r->own_suffix = suffix;
    r->strip_suffix = suffix;
}

void tu_field_rules_free(tu_field_rules *rules)
{
    for (size_t i = 0; i < rules->count; i++) {
        free(rules->items[i].own_name);
        free(rules->items[i].own_suffix);
    }
    free(rules->items);
    tu_strmap_free(&rules->index);
    memset(rules, 0, sizeof *rules);
}

/* ---- lookups ------------------------------------------------------------ */

const tu_field_rule *tu_field_rule_get(const tu_field_rules *rules,
                                       const char *name)
{
    size_t i;
    if (!rules || !rules->count || !tu_strmap_get(&rules->index, name, &i) ||
        rules->items[i].path)
        return NULL;
    return &rules->items[i];
}

const tu_field_rule *tu_field_path_rule(const tu_field_rules *rules,
                                        const char *path)
{
    size_t i;
    if (!rules || !rules->count || !tu_strmap_get(&rules->index, path, &i) ||
        !rules->items[i].path)
        return NULL;
    return &rules->items[i];
}

int tu_field_rules_stored(const tu_field_rules *rules)
{
    for (size_t i = 0; rules && i < rules->count; i++)
        if (rules->items[i].stored_as)
            return 1;
    return 0;
}

int tu_field_server_owned(const tu_field_rules *rules, const char *name)
{
    const tu_field_rule *r = tu_field_rule_get(rules, name);
    if (r && r->read_only)
        return 1;
    for (size_t i = 0; rules && i < rules->count; i++) {
        const char *s = rules->items[i].stored_as;
        if (s && strcmp(s, name) == 0)
            return 1;
    }
    return 0;
}

int tu_field_readable(const tu_field_rules *rules, const char *name)
{
    const tu_field_rule *r = tu_field_rule_get(rules, name);
    return !(r && r->write_only) && !tu_field_server_owned(rules, name);
}

const char *tu_field_immutable_change(const tu_field_rules *rules,
                                      const json_t *changes)
{
    const char *field;
    json_t *change;

    json_object_foreach((json_t *)changes, field, change) {
        const tu_field_rule *r = tu_field_rule_get(rules, field);
        if (r && r->immutable)
            return field;
    }
    return NULL;
}
