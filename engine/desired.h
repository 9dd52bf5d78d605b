/* desired.h -- the inside of a tu_desired, shared by the desired-state API
 * (desired.c, which defines the functions below), what sets a run up
 * (run_config.h) and the steps of a run (job.c, export.c, prefetch.c,
 * plan_file.c).
 *
 * A tu_desired holds everything that comes from the files: the merged
 * document (settings, bulk rules), the parsed target (provider, URL,
 * headers, secrets) and the keyed desired records.
 */
#ifndef TU_ENGINE_DESIRED_H
#define TU_ENGINE_DESIRED_H

#include "trueup/trueup.h"
#include "target.h"
#include "state/desired.h"
#include "state/record.h"

struct tu_prefetch;
struct tu_system;

struct tu_desired {
    tu_doc doc;
    tu_target target;
    tu_recordset records;
    struct tu_prefetch *prefetch; /* live records read while loading
                                     (tu_desired_load_overlapped), for the
                                     first run; NULL: none */
    struct tu_system *system;     /* several resources (system.h): the
                                     document holds only the run's settings
                                     and the target is not parsed; NULL:
                                     one resource */
};


/* A desired record's write-only values (target.fields) read from the
 * environment and kept as the target's secrets, then the provider's
 * normalize(), as the tu_doc_records and tu_bulk_apply callbacks take it;
 * data: the tu_target. */
int tu_desired_normalize(json_t *fields, tu_srcpos pos, void *data,
                         tu_error *err);

/* tu_desired_normalize, or NULL when it would do nothing for `target`. */
tu_normalize_fn tu_desired_normalizer(const tu_target *target);

#endif
