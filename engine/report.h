/* report.h -- the outcome of a run, as counts and as JSON.
 *
 * Built once from the plan after it was (or was not) pushed; every field
 * is documented in docs/report.md.
 */
#ifndef TU_ENGINE_REPORT_H
#define TU_ENGINE_REPORT_H

#include "trueup/trueup.h"
#include "plan.h"

struct tu_report {
    json_t *json;       /* owned */
    tu_counts counts;
    int changed;
};

typedef struct tu_report_facts {
    tu_mode mode;
    size_t requests;        /* HTTP requests sent, retries included */
    size_t write_requests;  /* of which writes */
    size_t retries;
    long concurrency;       /* the cap */
    long concurrency_min;   /* the lowest adaptive concurrency reached */
    long concurrency_end;   /* where adaptive concurrency ended */
    int cancelled;          /* stopped by tu_options.cancel */
    long long elapsed_ms;
    const char *warnings[4]; /* NULL-ended: texts a person should read */
} tu_report_facts;

/* Count the plan's actions and build the JSON. NULL when out of memory. */
tu_report *tu_report_build(const tu_plan *plan, const tu_report_facts *facts);

#endif
