/* rules_items.h -- what selects single items of a list field: the values
 * of a rule's `items` (protect, prune_scope) and the `{glob: PATTERN}`
 * values a `match` may hold (state/rules.h).
 *
 *   protect:
 *     - match: {name: foo.example.org., type: A}
 *       items: {records: 192.0.2.1}                  # one address
 *     - match: {type: [CNAME, MX, SRV]}
 *       items: {records: {glob: "**.example.net."}}   # by target
 *
 * A selector is a value (equal to the item; a string holding * ? or [ is
 * a shell pattern over the whole item, as in `match`), `{glob: P}` (a DNS
 * name pattern, state/glob.h, over the item or its last blank-separated
 * word: the target of a CNAME, MX, SRV, NS or PTR content), or a list of
 * these (any of them).
 */
#ifndef TU_STATE_RULES_ITEMS_H
#define TU_STATE_RULES_ITEMS_H

#include <jansson.h>
#include "trueup/trueup.h"
#include "srcmap.h"

/* 1 when `v` is a {glob: PATTERN} mapping. */
int tu_selector_is_glob(const json_t *v);

/* 1 when the selector `sel` selects the value `item` (a list item, or a
 * field of a record for `match`). */
int tu_selector_selects(const json_t *sel, const json_t *item);

/* 1 when {glob: P} selects `have`: a string (or its last word), or a
 * list one of whose items it selects. */
int tu_selector_glob_matches(const json_t *glob, const json_t *have);

/* Check every {glob: P} inside `value` (a match value or a selector, at
 * any depth of a list) compiles; `where` ("protect[0].items.records")
 * names it. 0, or -1 with err set at its place. */
int tu_selector_check(const json_t *value, const tu_srcmap *map,
                      tu_srcpos pos, const char *where, tu_error *err);

/* Check a rule's `items` mapping: each key a field, each value a
 * selector (not a mapping other than {glob}, not an empty list). 0, or -1
 * with err set. */
int tu_rule_items_check(const json_t *items, const tu_srcmap *map,
                        tu_srcpos pos, const char *where, tu_error *err);

/* Check each value of a rule's `match` (`items` 0: any value, its
 * {glob}s compiled) or `items` (1: each an item selector), `part` naming
 * it in messages. 0, or -1 with err set. */
int tu_rule_values_check(const json_t *obj, const char *part, int items,
                         const tu_srcmap *map, tu_srcpos pos,
                         const char *where, tu_error *err);

#endif
