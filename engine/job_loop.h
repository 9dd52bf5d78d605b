/* job_loop.h -- what the blocking faces (easy.c) need of a job beyond the
 * public tu_job_* of trueup.h; defined in job_loop.c.
 *
 * A tu_job (trueup.h) is the one core of a run: tu_job_new and the event
 * loop's calls drive it step by step. tu_run, tu_export and
 * tu_plan_file_run are the other face: they make a job and turn it to the
 * end with tu_job_perform, which waits in libcurl's own poll instead of a
 * caller's loop.
 */
#ifndef TU_ENGINE_JOB_LOOP_H
#define TU_ENGINE_JOB_LOOP_H

#include "trueup/trueup.h"

/* Run a job that was not attached to a loop until it is over, blocking.
 * Its callbacks are called as a loop-driven job's would be. */
void tu_job_perform(tu_job *job);

/* A job that applies (or, in plan mode, checks) the plan file `plan`:
 * its plan is the file's changes checked against the live records read
 * now, not a diff (run_plan.c). The file's shard and force hold; it is
 * refused when the plan was applied already. `plan` must outlive the job.
 * NULL with err set. */
tu_job *tu_job_new_plan(const tu_plan_file *plan, const tu_options *options,
                        tu_error *err);

#endif
