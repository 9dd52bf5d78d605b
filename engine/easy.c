/* easy.c -- the blocking faces, over the job: tu_run, tu_export,
 * tu_plan_file_run (and tu_version).
 *
 * As curl keeps curl_easy_perform (lib/easy.c) apart from the transfer's
 * steps, each face here only makes a job (job_loop.c), turns it to its end
 * in a loop of our own (tu_job_perform) and takes what it made. The steps
 * (fetch, plan, push, report, export: job.c and below) never call a face,
 * so the engine's files call each other one way: easy.c -> job_loop.c ->
 * job.c -> the steps (docs/internals/layers.md). Anything that stops a
 * run before the push returns NULL with an error, and nothing has been
 * written to the API.
 */
#include "trueup/trueup.h"
#include "job_loop.h"

#include <stdlib.h>

const char *tu_version(void)
{
    return TU_VERSION;
}

/* Turn `job` (NULL: it could not be made, err is set) to its end; then
 * take its report, or its export when `export` is set: a new report or
 * malloc'd text, or NULL with err set. */
static void *perform(tu_job *job, int export, tu_error *err)
{
    void *made;

    if (!job)
        return NULL;
    tu_job_perform(job);
    made = export ? (void *)tu_job_take_export(job)
                  : (void *)tu_job_take_report(job);
    if (!made && err)
        *err = *tu_job_error(job);
    tu_job_free(job);
    return made;
}

tu_report *tu_run(const tu_desired *d, const tu_options *o, tu_error *err)
{
    return perform(tu_job_new(d, o, NULL, err), 0, err);
}

char *tu_export(const tu_desired *d, const tu_options *o, tu_error *err)
{
    return perform(tu_job_new_export(d, o, NULL, err), 1, err);
}

tu_report *tu_plan_file_run(tu_plan_file *p, const tu_options *o,
                            tu_error *err)
{
    return perform(tu_job_new_plan(p, o, err), 0, err);
}
