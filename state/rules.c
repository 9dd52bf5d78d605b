/* rules.c -- match rules and the one record matcher (see rules.h).
 *
 * A rule is a `match` mapping, checked when the file is loaded; matching
 * walks its fields against a record's. The same matcher selects records for
 * `bulk` rules (state/bulk.c), so a pattern means the same everywhere.
 */
#include "rules.h"
#include "rules_items.h"
#include "error.h"
#include "util/json_util.h"
#include "schema.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rule_keys[] = {"match", "items", NULL};

void tu_rules_init(tu_rules *rules)
{
    rules->items = rules->item_rules = NULL;
    rules->count = rules->nitem_rules = 0;
}

static void free_list(tu_rule *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_decref(list[i].match);
        json_decref(list[i].items);
        free(list[i].where);
    }
    free(list);
}

void tu_rules_free(tu_rules *rules)
{
    free_list(rules->items, rules->count);
    free_list(rules->item_rules, rules->nitem_rules);
    tu_rules_init(rules);
}

/* "protect[2] (zone.yaml:14)"; malloc'd. */
static char *where_text(const char *list, size_t index, tu_srcpos pos)
{
    char buf[512];
    if (pos.file)
        snprintf(buf, sizeof buf, "%s[%zu] (%s:%u)", list, index, pos.file,
                 pos.line);
    else
        snprintf(buf, sizeof buf, "%s[%zu]", list, index);
    return strdup(buf);
}

/* Append a rule to `*list` (`*n` of them). 0, or -1 (out of memory). */
static int append_rule(tu_rule **list, size_t *n, const json_t *match,
                       const json_t *items, const char *where_list,
                       size_t index, tu_srcpos pos)
{
    tu_rule *grown = realloc(*list, (*n + 1) * sizeof *grown);
    json_t *m = match ? json_incref((json_t *)match) : json_object();

    if (grown)
        *list = grown;
    if (!grown || !m ||
        !(grown[*n].where = where_text(where_list, index, pos))) {
        json_decref(m);
        return -1;
    }
    grown[*n].match = m;
    grown[*n].items = items ? json_incref((json_t *)items) : NULL;
    grown[*n].pos = pos;
    (*n)++;
    return 0;
}

int tu_rules_add_item(tu_rules *rules, const char *list, const json_t *item,
                      tu_srcpos pos, size_t index, const tu_srcmap *map,
                      tu_error *err)
{
    char where[64];
    const json_t *match = NULL, *items;

    snprintf(where, sizeof where, "%s[%zu]", list, index);
    if (!json_is_object(item)) {
        tu_error_at(err, pos, "%s: expected a mapping with match, got %s",
                    where, tu_json_type_name(item));
        return -1;
    }
    items = json_object_get(item, "items");
    if (tu_schema_keys(item, rule_keys, map, where, err) != 0 ||
        tu_schema_object(item, "match", !items, map, where, &match, err) < 0 ||
        (match && tu_rule_values_check(match, "match", 0, map, pos, where,
                                       err) != 0) ||
        (items && tu_rule_items_check(items, map, pos, where, err) != 0))
        return -1;
    if (!items && json_object_size(match) == 0) {
        tu_error_at(err, pos, "%s: match needs at least one field (to "
                    "select every record, match name: \"*\")", where);
        return -1;
    }
    if ((items ? append_rule(&rules->item_rules, &rules->nitem_rules, match,
                             items, list, index, pos)
               : append_rule(&rules->items, &rules->count, match, NULL, list,
                             index, pos)) != 0) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    return 0;
}

static int field_matches(const json_t *want, const json_t *have);

/* A list selects a list field equal to it, or another field that one of
 * its items selects. */
static int list_matches(const json_t *want, const json_t *have)
{
    size_t i;
    json_t *item;

    if (json_is_array(have))
        return tu_json_equal(want, have);
    json_array_foreach(want, i, item) {
        if (!json_is_array(item) && field_matches(item, have))
            return 1;
    }
    return 0;
}

/* A value (or a shell pattern) against a list field: one item of it. */
static int any_item(const json_t *want, const json_t *have)
{
    size_t i;
    json_t *item;

    json_array_foreach(have, i, item) {
        if (!json_is_array(item) && field_matches(want, item))
            return 1;
    }
    return 0;
}

static int field_matches(const json_t *want, const json_t *have)
{
    const char *pattern = json_string_value(want);
    if (!have)
        return 0;
    if (json_is_array(want))
        return list_matches(want, have);
    if (tu_selector_is_glob(want))
        return tu_selector_glob_matches(want, have);
    if (json_is_array(have) && !json_is_object(want))
        return any_item(want, have);
    if (pattern && strpbrk(pattern, "*?[") && json_is_string(have))
        return fnmatch(pattern, json_string_value(have), 0) == 0;
    return tu_json_equal(want, have);
}

int tu_match_fields(const json_t *match, const json_t *fields)
{
    const char *key;
    json_t *want;

    json_object_foreach((json_t *)match, key, want) {
        const json_t *have = json_object_get(fields, key);
        if (!have && strchr(key, '.'))   /* a path into a field's value */
            have = tu_json_path(fields, key);
        if (!field_matches(want, have))
            return 0;
    }
    return 1;
}

const tu_rule *tu_rules_find(const tu_rules *rules, const json_t *fields)
{
    for (size_t i = 0; rules && i < rules->count; i++) {
        if (tu_match_fields(rules->items[i].match, fields))
            return &rules->items[i];
    }
    return NULL;
}
