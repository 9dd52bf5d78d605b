/* push.h -- carrying planned actions to the API through the executor.
 *
 * The provider's push() turns actions into requests with tu_push_send();
 * one request may carry one action (REST) or many (a batch). When the
 * request completes, every action it carries gets its outcome: a 2xx
 * status is success, and so is 404 or 410 for a delete (the record is
 * already gone, which is what was wanted); anything else fails each of
 * them, with the status and an excerpt of the server's answer, scrubbed of
 * secrets.
 */
#ifndef TU_ENGINE_PUSH_H
#define TU_ENGINE_PUSH_H

#include <stddef.h>
#include "trueup/trueup.h"
#include "executor.h"
#include "plan.h"
#include "target.h"

/* Submit a write carrying `covered` actions (the array is copied; the
 * executor takes `body`). `idempotent`: may be re-sent (PUT, PATCH,
 * DELETE). 0, or -1 (out of memory: the covered actions are failed). */
int tu_push_send(tu_push *push, const char *method, const char *url,
                 char *body, size_t body_len, int idempotent,
                 tu_action **covered, size_t ncovered);

/* Push every planned create, update and delete of `plan`. Returns 0 once
 * every action has an outcome, -1 if the executor itself broke. */
int tu_push_plan(const tu_target *target, tu_exec *exec, tu_plan *plan,
                 tu_progress_fn progress, void *progress_data);

#endif
