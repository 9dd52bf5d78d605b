/* libuv.c -- reconcile several targets at once in one libuv loop.
 *
 *     embed-libuv [--apply] [--cancel N[:K]] FILE...
 *
 * One job per desired-state file (jobs.h: the arguments and the printing
 * callbacks), each attached to the same uv_loop_t by the adapter in
 * <trueup/adapters/libuv.h>; uv_run returns when every job is over and
 * the adapters' handles are closed. Nothing blocks and no thread is made:
 * the loop could serve anything else at the same time.
 */
#include <uv.h>
#include <trueup/trueup.h>
#include <trueup/adapters/libuv.h>

#include "jobs.h"

int main(int argc, char **argv)
{
    example_args args;
    example_job *jobs;
    uv_loop_t loop;
    tu_error error;
    int i, status;

    if (example_parse(argc, argv, &args) != 0)
        return 2;
    uv_loop_init(&loop);
    jobs = calloc((size_t)args.nfiles, sizeof *jobs);
    for (i = 0; jobs && i < args.nfiles; i++) {
        tu_job *job = example_job_new(&args, i, &jobs[i]);
        if (!job)
            continue;
        if (tu_libuv_attach(job, &loop, &error) != 0) {
            fprintf(stderr, "%s\n", error.message);
            tu_job_free(job);
            continue;
        }
        example_started(job, &jobs[i]);
    }
    uv_run(&loop, UV_RUN_DEFAULT);  /* each job's done frees it */
    uv_loop_close(&loop);
    status = jobs ? example_status(jobs, args.nfiles) : 1;
    free(jobs);
    return status;
}
