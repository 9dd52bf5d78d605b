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
    "value_env", "stored_as", "immutable", NULL};
static const char *const shorthands[] = {"read_only", "write_only",
                                         "immutable", NULL};
static const char *const compare_names[] = {"exact", "set", "caseless",
                                            NULL};
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
            return 0;
        }
    }
    tu_error_at(err, pos, "target.fields.%s.compare: expected exact, set or "
                "caseless (or a list of them), got %s%s%s", r->name,
                s ? "'" : tu_json_type_name(v), s ? s : "", s ? "'" : "");
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
                         err) < 0)
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
                                           "immutable"};
    static const char *const secret[] = {"update", "value_env", "stored_as"};

    for (size_t i = 0; i < 4; i++) {
        if ((r->read_only || r->write_only) &&
            json_object_get(rule, compared[i]))
            return compared[i];
    }
    for (size_t i = 0; i < 3; i++) {
        if (!r->write_only && json_object_get(rule, secret[i]))
            return secret[i];
    }
    return r->read_only && r->write_only ? "write_only" : NULL;
}

static int check_rule(const tu_field_rule *r, const json_t *rule,
                      const tu_keyspec *key, const tu_srcmap *map,
                      tu_error *err)
{
    const char *bad = conflict(r, rule);
    int is_key = 0;

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
    for (size_t i = 0; key && i < key->count; i++)
        is_key |= strcmp(key->fields[i], r->name) == 0;
    if (is_key && (r->write_only || r->set || r->caseless || r->split ||
                   r->read || r->immutable)) {
        tu_error_at(err, r->pos, "target.fields.%s: a key field matches "
                    "records exactly; it can only be read_only", r->name);
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

int tu_field_rules_parse(tu_field_rules *rules, const json_t *fields,
                         const tu_keyspec *key, const tu_srcmap *map,
                         tu_error *err)
{
    size_t n = json_object_size(fields);
    const char *name;
    json_t *rule;

    memset(rules, 0, sizeof *rules);
    tu_strmap_init(&rules->index);
    if (!fields)
        return 0;
    rules->items = calloc(n ? n : 1, sizeof *rules->items);
    if (!rules->items || tu_strmap_reserve(&rules->index, n) != 0) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        goto fail;
    }
    json_object_foreach((json_t *)fields, name, rule) {
        tu_field_rule *r = &rules->items[rules->count];
        r->name = name;
        r->pos = tu_srcmap_member(map, fields, name);
        if (parse_rule(r, rule, key, map, err) != 0)
            goto fail;
        tu_strmap_put(&rules->index, name, rules->count++, NULL);
    }
    return 0;
fail:
    tu_field_rules_free(rules);
    return -1;
}

void tu_field_rules_free(tu_field_rules *rules)
{
    free(rules->items);
    tu_strmap_free(&rules->index);
    memset(rules, 0, sizeof *rules);
}

/* ---- lookups ------------------------------------------------------------ */

const tu_field_rule *tu_field_rule_get(const tu_field_rules *rules,
                                       const char *name)
{
    size_t i;
    if (!rules || !rules->count || !tu_strmap_get(&rules->index, name, &i))
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
