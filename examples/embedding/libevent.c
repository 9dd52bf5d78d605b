/* libevent.c -- reconcile several targets at once in one libevent base.
 *
 *     embed-libevent [--apply] [--cancel N[:K]] FILE...
 *
 * One job per desired-state file (jobs.h: the arguments and the printing
 * callbacks), each attached to the same event_base by the adapter in
 * <trueup/adapters/libevent.h>; event_base_dispatch returns when no job
 * has an event left, that is when every job is over.
 */
#include <event2/event.h>
#include <trueup/trueup.h>
#include <trueup/adapters/libevent.h>

#include "jobs.h"

int main(int argc, char **argv)
{
    example_args args;
    example_job *jobs;
    struct event_base *base;
    tu_error error;
    int i, status;

    if (example_parse(argc, argv, &args) != 0)
        return 2;
    base = event_base_new();
    jobs = calloc((size_t)args.nfiles, sizeof *jobs);
    for (i = 0; base && jobs && i < args.nfiles; i++) {
        tu_job *job = example_job_new(&args, i, &jobs[i]);
        if (!job)
            continue;
        if (tu_libevent_attach(job, base, &error) != 0) {
            fprintf(stderr, "%s\n", error.message);
            tu_job_free(job);
            continue;
        }
        example_started(job, &jobs[i]);
    }
    if (base)
        event_base_dispatch(base);  /* each job's done frees it */
    status = jobs && base ? example_status(jobs, args.nfiles) : 1;
    free(jobs);
    if (base)
        event_base_free(base);
    return status;
}
