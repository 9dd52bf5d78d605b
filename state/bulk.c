/* bulk.c -- bulk rules: checking them and matching records (see bulk.h).
 *
 * A rule is a pair of JSON objects. Matching is tu_match_fields
 * (state/rules.c), the matcher `protect` and `prune_scope` rules share: a
 * string value with a glob character is a pattern, so "*.dev.example.org."
 * matches every name under dev.example.org. (a '*' also matches dots).
 */
#include "bulk.h"
#include "error.h"
#include "util/json_util.h"
#include "rules.h"
#include "schema.h"
#include "yaml_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rule_keys[] = {"match", "set", NULL};

void tu_bulk_init(tu_bulk *bulk)
{
    bulk->rules = NULL;
    bulk->count = 0;
}

void tu_bulk_free(tu_bulk *bulk)
{
    for (size_t i = 0; i < bulk->count; i++) {
        json_decref(bulk->rules[i].match);
        json_decref(bulk->rules[i].set);
        free(bulk->rules[i].where);
    }
    free(bulk->rules);
    tu_bulk_init(bulk);
}

void tu_bulk_drop_last(tu_bulk *bulk)
{
    tu_bulk_rule *r;

    if (bulk->count == 0)
        return;
    r = &bulk->rules[--bulk->count];
    json_decref(r->match);
    json_decref(r->set);
    free(r->where);
}

/* Takes match and set (references) and where (malloc'd) in every case. */
static int add_rule(tu_bulk *bulk, json_t *match, json_t *set, tu_srcpos pos,
                    char *where, tu_error *err)
{
    tu_bulk_rule *rules = NULL;

    if (where)
        rules = realloc(bulk->rules, (bulk->count + 1) * sizeof *rules);
    if (!rules) {
        json_decref(match);
        json_decref(set);
        free(where);
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    bulk->rules = rules;
    rules[bulk->count].match = match;
    rules[bulk->count].set = set;
    rules[bulk->count].pos = pos;
    rules[bulk->count].where = where;
    bulk->count++;
    return 0;
}

static int check_set_values(const json_t *set, const char *where,
                            const tu_srcmap *map, tu_error *err)
{
    const char *key;
    json_t *value;

    json_object_foreach((json_t *)set, key, value) {
        if (!json_is_null(value))
            continue;
        tu_error_at(err, tu_srcmap_member(map, set, key), "%s.set.%s: null "
                    "cannot be set in bulk; name the field's value", where,
                    key);
        return -1;
    }
    return 0;
}

int tu_bulk_add_item(tu_bulk *bulk, const json_t *item, tu_srcpos pos,
                     size_t index, const tu_srcmap *map, tu_error *err)
{
    char where[64];
    const json_t *match = NULL, *set = NULL;

    snprintf(where, sizeof where, "bulk[%zu]", index);
    if (!json_is_object(item)) {
        tu_error_at(err, pos, "%s: expected a mapping with match and set, "
                    "got %s", where, tu_json_type_name(item));
        return -1;
    }
    if (tu_schema_keys(item, rule_keys, map, where, err) != 0 ||
        tu_schema_object(item, "match", 1, map, where, &match, err) < 0 ||
        tu_schema_object(item, "set", 1, map, where, &set, err) < 0)
        return -1;
    if (json_object_size(match) == 0 || json_object_size(set) == 0) {
        tu_error_at(err, pos, "%s: match and set each need at least one "
                    "field (to select every record, match name: \"*\")",
                    where);
        return -1;
    }
    if (check_set_values(set, where, map, err) != 0)
        return -1;
    return add_rule(bulk, json_incref((json_t *)match),
                    json_incref((json_t *)set), pos, strdup(where), err);
}

/* How messages name a rule given by a program and its two lists: as its
 * front end calls them ("--match"), or as settings ("bulk rule: match"). */
typedef struct bulk_words {
    const char *prefix;    /* "" or "bulk rule: " */
    const char *match;
    const char *set;
} bulk_words;

static bulk_words words_for(const tu_bulk_names *names)
{
    bulk_words w = {"bulk rule: ", "match", "set"};
    if (names && names->match && names->set) {
        w.prefix = "";
        w.match = names->match;
        w.set = names->set;
    }
    return w;
}

/* A value given by a program: a YAML flow list or mapping when it starts
 * with '[' or '{' (records=[a, b]), a quoted scalar (a string: '"600"'
 * is the string 600) when it starts with a quote, else a plain scalar
 * typed by the core schema. `list` names it in messages. */
static json_t *flow_or_scalar(const char *text, const char *list,
                              tu_error *err)
{
    if (*text && strchr("[{\"'", *text))
        return tu_yaml_load_string(text, strlen(text), list, NULL, err);
    return tu_yaml_scalar(text, strlen(text), list, err);
}

/* "field=value" into obj (the rule's set list when is_set); the value
 * typed as YAML. */
static int add_assignment(json_t *obj, const char *arg, int is_set,
                          const bulk_words *w, tu_error *err)
{
    const char *eq = strchr(arg, '='), *list = is_set ? w->set : w->match;
    json_t *value;
    char *field;

    if (!eq || eq == arg) {
        tu_error_set(err, TU_ERR_BAD_INPUT,
                     "%s%s '%s': expected FIELD=VALUE, as in %s", w->prefix,
                     list, arg, is_set ? "ttl=600" : "type=A");
        return -1;
    }
    value = flow_or_scalar(eq + 1, list, err);
    if (value && json_is_null(value) && is_set) {
        json_decref(value);
        tu_error_set(err, TU_ERR_BAD_INPUT,
                     "%s%s '%s': null cannot be set in bulk; name the "
                     "field's value", w->prefix, list, arg);
        return -1;
    }
    field = strndup(arg, (size_t)(eq - arg));
    if (!value || !field || json_object_set_new(obj, field, value) != 0) {
        if (value && field)
            tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        free(field);
        return -1;
    }
    free(field);
    return 0;
}

/* A rule needs both lists. 0, or -1 with err set. */
static int check_both_lists(size_t nmatch, size_t nset, const bulk_words *w,
                            tu_error *err)
{
    if (nmatch && nset)
        return 0;
    if (nmatch)
        tu_error_set(err, TU_ERR_BAD_INPUT, "%s%s needs at least one %s "
                     "FIELD=VALUE", w->prefix, w->match, w->set);
    else
        tu_error_set(err, TU_ERR_BAD_INPUT, "%s%s needs at least one %s "
                     "FIELD=VALUE (to select every record: %s 'name=*')",
                     w->prefix, w->set, w->match, w->match);
    return -1;
}

int tu_bulk_add_args(tu_bulk *bulk, const char *const *match, size_t nmatch,
                     const char *const *set, size_t nset,
                     const tu_bulk_names *names, tu_error *err)
{
    bulk_words w = words_for(names);
    json_t *m = json_object(), *s = json_object();
    tu_srcpos none = {NULL, 0, 0};
    char where[256];

    if (!m || !s)
        goto fail_oom;
    if (check_both_lists(nmatch, nset, &w, err) != 0)
        goto fail;
    for (size_t i = 0; i < nmatch; i++) {
        if (add_assignment(m, match[i], 0, &w, err) != 0)
            goto fail;
    }
    for (size_t i = 0; i < nset; i++) {
        if (add_assignment(s, set[i], 1, &w, err) != 0)
            goto fail;
    }
    if (*w.prefix)
        snprintf(where, sizeof where, "bulk rule (%s/%s)", w.match, w.set);
    else
        snprintf(where, sizeof where, "%s/%s", w.match, w.set);
    return add_rule(bulk, m, s, none, strdup(where), err);
fail_oom:
    tu_error_set(err, TU_ERR_NOMEM, "out of memory");
fail:
    json_decref(m);
    json_decref(s);
    return -1;
}

int tu_bulk_matches(const tu_bulk_rule *rule, const json_t *fields)
{
    return tu_match_fields(rule->match, fields);
}
