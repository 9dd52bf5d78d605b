/* rules.h -- lists of match rules that select records: `protect` and
 * `prune_scope` in a desired-state file.
 *
 *   protect:
 *     - match: {name: guest}
 *     - match: {type: [SOA, NS]}
 *   prune_scope:
 *     - match: {name: "*.dev.example.org.", type: [A, AAAA]}
 *
 * A rule selects a record when every field of its `match` does
 * (tu_match_fields, which `bulk` rules use too): a string holding * ? or [
 * is a shell-style pattern (fnmatch; '*' also matches dots), a list
 * selects a field equal to the list or, for a field that is not a list, to
 * any of its items, anything else matches by equality (numbers by value).
 * A list of rules selects a record when any rule does. A match value may
 * also be {glob: PATTERN}, a DNS name pattern (state/glob.h) over a string
 * field, or over the items of a list field (any of them).
 *
 * A rule with `items` (state/rules_items.h) selects single items of list
 * fields inside the records its `match` selects (every record when it has
 * no match); it is kept apart, in `item_rules`, and never selects a whole
 * record: engine/items.c applies it.
 */
#ifndef TU_STATE_RULES_H
#define TU_STATE_RULES_H

#include <stddef.h>
#include <jansson.h>
#include "trueup/trueup.h"
#include "srcmap.h"

typedef struct tu_rule {
    json_t *match;     /* owned reference: field -> value, glob or list */
    json_t *items;     /* owned reference: list field -> item selector;
                          NULL: the rule selects whole records */
    tu_srcpos pos;     /* where it was written */
    char *where;       /* owned: "protect[0] (zone.yaml:12)" */
} tu_rule;

typedef struct tu_rules {
    tu_rule *items;        /* the rules that select whole records */
    size_t count;
    tu_rule *item_rules;   /* the rules with `items` */
    size_t nitem_rules;
} tu_rules;

void tu_rules_init(tu_rules *rules);
void tu_rules_free(tu_rules *rules);

/* Check one item of the list `list` ("protect") and add it (index: its
 * place in its file's list). 0, or -1 with err set. */
int tu_rules_add_item(tu_rules *rules, const char *list, const json_t *item,
                      tu_srcpos pos, size_t index, const tu_srcmap *map,
                      tu_error *err);

/* 1 when every field of `match` selects the record `fields`. A key with
 * dots that is not itself a field is a path into a field's value
 * (`query.time_range`; a step over a list is an index: tu_json_path). */
int tu_match_fields(const json_t *match, const json_t *fields);

/* The first rule (of those selecting whole records) that selects
 * `fields`, or NULL. */
const tu_rule *tu_rules_find(const tu_rules *rules, const json_t *fields);

#endif
