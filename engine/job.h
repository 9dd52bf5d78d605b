/* job.h -- what the blocking face and the export need of a job (job.c).
 *
 * A tu_job (trueup.h) is the one core of a run: tu_job_new and the event
 * loop's calls drive it step by step. tu_run and tu_export are the other
 * face: they make a job and turn it to the end with tu_job_perform, which
 * waits in the executor's own epoll set instead of a caller's loop.
 */
#ifndef TU_ENGINE_JOB_H
#define TU_ENGINE_JOB_H

#include "trueup/trueup.h"
#include "desired.h"
#include "state/record.h"

/* Run a job that was not attached to a loop until it is over, blocking.
 * Its callbacks are called as a loop-driven job's would be. */
void tu_job_perform(tu_job *job);

/* The live records as a desired-state YAML document (export.c): malloc'd,
 * or NULL with err set. */
char *tu_export_text(const tu_desired *desired, const tu_recordset *live,
                     tu_error *err);

#endif
