/* system_run.h -- a system's run (system_run.c): the job of a desired
 * state with several resources. The job API (job_loop.c) starts, advances
 * and frees it instead of the steps of one resource (job.c); it runs one
 * child job per resource on the system job's executor, and takes the
 * steps between theirs that the references need (system_refs.h).
 */
#ifndef TU_ENGINE_SYSTEM_RUN_H
#define TU_ENGINE_SYSTEM_RUN_H

#include "job_int.h"

/* The facts of the system job (its report's totals) and its children,
 * their fetches started. 0, or -1 with err set (nothing started). */
int tu_sysrun_start(tu_job *job, tu_error *err);

/* Take every step that can be taken now (tu_job_advance's, for a
 * system): the children's, then the system's own. */
void tu_sysrun_advance(tu_job *job);

/* Free the children and what the run holds (the job is being freed or is
 * over). */
void tu_sysrun_free(tu_job *job);

#endif
