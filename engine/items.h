/* items.h -- item-level rules (`protect` and `prune_scope` rules with
 * `items`, state/rules_items.h) applied before the plan.
 *
 * A rule with `items` leaves alone single items of a list field (one
 * address of an rrset, one TXT string) inside the records its match
 * selects. Before the diff, the desired records are copied and each live
 * item that must stay is put back into its record's list:
 *   - a declared record that lists the field gets the live items a
 *     protect rule selects, and those no prune_scope item rule selects
 *     (when one names the field for the record), that it does not list:
 *     the plan then shows the record's change without them, and the write
 *     (a whole list) keeps them;
 *   - a declared `state: absent` record whose live record holds such items
 *     becomes the record with those items alone (it is not deleted);
 *   - with prune, a live record prune would delete that holds such items
 *     becomes a derived record (as bulk rules make) with those items alone.
 * Each item put back is listed in the report's `left_alone` with the rule
 * (`{key, field, item, reason}`). Linear in live records x item rules.
 */
#ifndef TU_ENGINE_ITEMS_H
#define TU_ENGINE_ITEMS_H

#include <jansson.h>
#include "trueup/trueup.h"
#include "plan.h"
#include "state/desired.h"
#include "state/record.h"
#include "state/rules.h"
#include "target.h"

typedef struct tu_items {
    tu_recordset desired;  /* the copy, when `used` */
    json_t *left;          /* owned: [{key, field, item, reason}], or NULL */
    int used;              /* item rules applied: plan `desired` */
} tu_items;

/* Apply the item rules of `protect` and `scope` (prune_scope) to a copy of
 * `desired` against `live`, as `o` (the plan's options) says: prune, the
 * owner, the provider's protection, the key. `normalize` (may be NULL)
 * puts a changed record's fields back in the provider's canonical form.
 * Nothing is copied when there are no item rules. 0, or -1 with err set
 * (`items` then holds nothing). tu_items_free in every case. */
int tu_items_apply(tu_items *items, const tu_recordset *desired,
                   const tu_recordset *live, const tu_rules *protect,
                   const tu_rules *scope, const tu_plan_options *o,
                   tu_normalize_fn normalize, void *normalize_data,
                   tu_error *err);

/* The desired records to plan: the copy when item rules were applied,
 * else `desired`. */
const tu_recordset *tu_items_desired(const tu_items *items,
                                     const tu_recordset *desired);

void tu_items_free(tu_items *items);

/* Check the item rules of `rules` against the target at load: their match
 * keys and their `items` fields must be fields of its live records
 * (tu_target_check_match). 0, or -1 with err set at the rule. */
int tu_items_check(const tu_target *target, const tu_rules *rules,
                   tu_error *err);

#endif
