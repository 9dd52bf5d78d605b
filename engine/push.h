/* push.h -- carrying planned actions to the API through the executor.
 *
 * The provider's push() turns actions into requests with tu_push_send();
 * one request may carry one action (REST) or many (a batch). When the
 * request completes, every action it carries gets its outcome: a 2xx
 * status is success (unless the answer fails the provider's success rule),
 * and so is 404 or 410 for a delete (the record is already gone, which is
 * what was wanted); anything else fails each of
 * them, with the status and an excerpt of the server's answer, scrubbed of
 * secrets. A replace is two requests, one push after the other: its delete
 * first (with everything else), then, once that is done, its create in the
 * next push; a provider asks tu_action_request() which one an action needs.
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

/* tu_push_send, with `body` (NULL: none) copied: a provider may build every
 * body in one buffer it reuses. `form`: the body is a form
 * (application/x-www-form-urlencoded), not JSON. 0, or -1 as
 * tu_push_send. */
int tu_push_send_copy(tu_push *push, const char *method, const char *url,
                      const char *body, size_t body_len, int idempotent,
                      int form, tu_action **covered, size_t ncovered);

/* A batch of several actions the API refused whole with HTTP 422, handed
 * back to its provider instead of failing (a PowerDNS PATCH is all or
 * nothing and its error names one rrset): the provider sends smaller
 * batches of `covered` again (tu_push_send_in with lane.front set), so that
 * only the bad actions fail. `covered` is the push's until the call ends. */
typedef void (*tu_push_split_fn)(tu_push *push, const tu_target *target,
                                 const char *url, tu_action **covered,
                                 size_t n, long lane);

/* Where a write goes: `lane` >= 0 puts it in a lane (a PowerDNS zone) of
 * which at most one write is in flight, -1 in none; `split` (may be NULL)
 * takes a refused batch back; `front` queues it before the writes already
 * waiting (the halves of a split batch). */
typedef struct tu_push_lane {
    long lane;
    tu_push_split_fn split;
    int front;
} tu_push_lane;

/* tu_push_send, in a lane. */
int tu_push_send_in(tu_push *push, const tu_push_lane *lane,
                    const char *method, const char *url, char *body,
                    size_t body_len, int idempotent, tu_action **covered,
                    size_t ncovered);

/* An action's outcome is known (called once per action; not for a create
 * that failed but may have taken effect: `uncertain`, settled later; nor for
 * a replace whose delete is done and whose create is next). */
typedef void (*tu_push_outcome_fn)(tu_action *action, void *data);

typedef struct tu_push_hooks {
    tu_progress_fn progress;      /* NULL: none */
    void *progress_data;
    tu_push_outcome_fn outcome;   /* NULL: none */
    void *outcome_data;
    /* NULL, or nonzero for a planned action not to send yet: it waits for
     * writes it depends on (a system's, engine/system_run.c) until
     * tu_push_release hands it over. */
    int (*hold)(const tu_action *action, void *data);
    void *hold_data;
    unsigned header_set;          /* the executor's headers the writes send
                                     (0: its config's) */
} tu_push_hooks;

/* Start pushing every planned create, update and delete of `plan`: the
 * provider submits its writes to `exec` (more go out as earlier ones
 * finish). NULL when out of memory: every planned action then failed
 * (and was not given to the outcome hook). The target, the executor and
 * the plan must outlive the push; hooks are copied. */
tu_push *tu_push_begin(const tu_target *target, tu_exec *exec,
                       tu_plan *plan, const tu_push_hooks *hooks);

/* Send an action the hold hook held back, now that what it waited for is
 * done; once per such action, before tu_push_end. */
void tu_push_release(tu_push *push, tu_action *action);

/* Once the executor has nothing pending (or has broken), free the push;
 * writes it never sent fail. */
void tu_push_end(tu_push *push);

#endif
