/* bulk.h -- applying bulk rules to the live records.
 *
 * Before the plan, every live record that a bulk rule matches becomes a
 * desired record: its key fields plus the rule's `set` fields (only those
 * are compared, so records already right are skipped). A record also listed
 * in `records` must agree with the rules that match it: a field both
 * declare must have the same value, and an absent record cannot be
 * matched; it then takes the rules' other fields too. Two rules setting one
 * field of one record differently are an error, and so is a rule setting a
 * key field. Errors stop the run before anything is pushed.
 */
#ifndef TU_ENGINE_BULK_H
#define TU_ENGINE_BULK_H

#include "trueup/trueup.h"
#include "state/bulk.h"
#include "state/desired.h"
#include "state/record.h"

/* Build `out` (initialised here): the desired records with the rules
 * applied to `live`. Each live record's merged `set` fields are put in the
 * provider's canonical form with `normalize` (may be NULL) as part of that
 * record, so `records: [b, a]` or `content: x` compare as a desired
 * record's would. 0, or -1 with err set (out left empty). */
int tu_bulk_apply(const tu_bulk *bulk, const tu_recordset *desired,
                  const tu_recordset *live, const tu_keyspec *key,
                  tu_normalize_fn normalize, void *normalize_data,
                  tu_recordset *out, tu_error *err);

#endif
