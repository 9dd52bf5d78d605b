/* safety.c -- the update and delete thresholds (see safety.h).
 *
 * The message names settings only: going past a threshold is a front
 * end's option (options.force), which each front end words itself. */
#include "safety.h"

#include <stdio.h>

static size_t count_planned(const tu_plan *plan, tu_action_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < plan->count; i++) {
        const tu_action *a = &plan->actions[i];
        n += a->kind == kind && a->status == TU_STATUS_PLANNED;
    }
    return n;
}

static int over(const char *what, size_t n, size_t live, double limit,
                const char *setting, char *msg, size_t size)
{
    double share = live ? 100.0 * (double)n / (double)live : 0;
    if (share <= limit)
        return 0;
    snprintf(msg, size, "too many %s: %.2f%% is over %g%% (%zu of %zu live "
             "records); review the plan, or raise settings.%s", what, share,
             limit, n, live, setting);
    return 1;
}

void tu_safety_count(const tu_plan *plan, size_t *updates, size_t *deletes)
{
    *updates += count_planned(plan, TU_ACTION_UPDATE);
    *deletes += count_planned(plan, TU_ACTION_DELETE) +
                count_planned(plan, TU_ACTION_REPLACE);
}

int tu_safety_exceeded_n(size_t updates, size_t deletes, size_t live,
                         const tu_settings *s, char *msg, size_t size)
{
    if (live < (size_t)s->min_existing)
        return 0;
    return over("updates", updates, live, s->max_updates, "max_updates", msg,
                size) ||
           over("deletes", deletes, live, s->max_deletes, "max_deletes", msg,
                size);
}

int tu_safety_exceeded(const tu_plan *plan, size_t live,
                       const tu_settings *s, char *msg, size_t size)
{
    size_t updates = 0, deletes = 0;

    tu_safety_count(plan, &updates, &deletes);
    return tu_safety_exceeded_n(updates, deletes, live, s, msg, size);
}
