/* safety.h -- thresholds that stop a run that would change too much.
 *
 * As octoDNS has them: the planned updates and deletes, each as a share of
 * the existing live records, may not pass max_updates and max_deletes
 * (percentages), checked only when there are at least min_existing live
 * records. A run over a threshold pushes nothing unless forced: a plan
 * built from a mistaken file (an emptied records list with prune on, a
 * wrong key) is stopped before it wipes a zone.
 */
#ifndef TU_ENGINE_SAFETY_H
#define TU_ENGINE_SAFETY_H

#include <stddef.h>
#include "plan.h"
#include "state/desired.h"

/* 1 and `msg` filled when the plan passes a threshold of `settings`, for
 * `live` existing records; 0 otherwise. */
int tu_safety_exceeded(const tu_plan *plan, size_t live,
                       const tu_settings *settings, char *msg, size_t size);

/* Add the plan's planned updates and its deletes (replaces included) to
 * the counts (a system's totals). */
void tu_safety_count(const tu_plan *plan, size_t *updates, size_t *deletes);

/* tu_safety_exceeded for counts summed over several plans. */
int tu_safety_exceeded_n(size_t updates, size_t deletes, size_t live,
                         const tu_settings *settings, char *msg,
                         size_t size);

#endif
