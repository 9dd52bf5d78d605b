/* bulk.h -- bulk rules: "every live record that matches gets these fields".
 *
 *   bulk:
 *     - match: {type: A, name: "*.dev.example.org."}
 *       set: {ttl: 600}
 *
 * A rule matches a record when every `match` field does: a string holding
 * a glob character (* ? [) matches strings shell-style (fnmatch), a list
 * any of its items, any other value by equality (numbers by value): the
 * matcher of state/rules.h. Rules come from the file's `bulk`
 * list and from programs (tu_desired_add_bulk: the CLI's --match/--set);
 * the engine applies them to the live records (engine/bulk.c).
 */
#ifndef TU_STATE_BULK_H
#define TU_STATE_BULK_H

#include <stddef.h>
#include <jansson.h>
#include "trueup/trueup.h"
#include "srcmap.h"

typedef struct tu_bulk_rule {
    json_t *match;     /* owned reference: field -> value or glob */
    json_t *set;       /* owned reference: field -> value */
    tu_srcpos pos;     /* where it was written; file NULL: from a program */
    char *where;       /* owned: "bulk[0]", or as tu_bulk_add_args names
                          it: "--match/--set", "bulk rule (match/set)" */
} tu_bulk_rule;

typedef struct tu_bulk {
    tu_bulk_rule *rules;
    size_t count;
} tu_bulk;

void tu_bulk_init(tu_bulk *bulk);
void tu_bulk_free(tu_bulk *bulk);

/* Take back the rule added last (one the target refuses). */
void tu_bulk_drop_last(tu_bulk *bulk);

/* Check one rule of the file's `bulk` list and add it (index: its place in
 * its file's list, for messages). 0, or -1 with err set. */
int tu_bulk_add_item(tu_bulk *bulk, const json_t *item, tu_srcpos pos,
                     size_t index, const tu_srcmap *map, tu_error *err);

/* Add a rule a program gives (tu_desired_add_bulk): "field=value" strings,
 * values typed as YAML scalars; messages name the lists as `names` says
 * (NULL: "bulk rule: match", "bulk rule: set"). 0, or -1 with err set. */
int tu_bulk_add_args(tu_bulk *bulk, const char *const *match, size_t nmatch,
                     const char *const *set, size_t nset,
                     const tu_bulk_names *names, tu_error *err);

/* 1 when `rule` matches the record `fields`. */
int tu_bulk_matches(const tu_bulk_rule *rule, const json_t *fields);

#endif
