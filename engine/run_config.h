/* run_config.h -- what a run is set up from (run_config.c): the target of
 * a loaded document, with its provider found in the registry, and the
 * executor the settings and options make. tu_options_init is public
 * (trueup.h). It knows the document and the target, not the tu_desired
 * that holds them, so that prefetch.c, which reads with a document and a
 * target of its own, needs nothing of desired.c.
 */
#ifndef TU_ENGINE_RUN_CONFIG_H
#define TU_ENGINE_RUN_CONFIG_H

#include "trueup/trueup.h"
#include "executor.h"
#include "target.h"
#include "state/desired.h"

/* Find the provider of doc's target and parse the target into *target.
 * 0, or -1 with err set (file:line:col). */
int tu_run_target(tu_target *target, const tu_doc *doc, tu_error *err);

/* An executor set up from doc's settings and the target (headers, TLS),
 * with the options' overrides; *concurrency receives the concurrency
 * chosen. NULL with err set. */
tu_exec *tu_run_exec(const tu_doc *doc, const tu_target *target,
                     const tu_options *options, long *concurrency,
                     tu_error *err);

#endif
