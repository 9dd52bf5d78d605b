/* poll.c -- reconcile several targets at once with plain poll().
 *
 *     embed-poll [--apply] [--cancel N[:K]] FILE...
 *
 * One job per desired-state file (jobs.h: the arguments and the printing
 * callbacks), each attached to one tu_poll_loop from
 * <trueup/adapters/poll.h>, a loop of a few dozen lines over poll(2) that
 * needs no library; tu_poll_loop_run returns when every job is over. A
 * program with a poll() loop of its own calls tu_poll_loop_run_once from
 * it instead.
 */
#include <trueup/trueup.h>
#include <trueup/adapters/poll.h>

#include "jobs.h"

int main(int argc, char **argv)
{
    example_args args;
    example_job *jobs;
    tu_poll_loop loop;
    tu_error error;
    int i, status;

    if (example_parse(argc, argv, &args) != 0)
        return 2;
    tu_poll_loop_init(&loop);
    jobs = calloc((size_t)args.nfiles, sizeof *jobs);
    for (i = 0; jobs && i < args.nfiles; i++) {
        tu_job *job = example_job_new(&args, i, &jobs[i]);
        if (!job)
            continue;
        if (tu_poll_attach(job, &loop, &error) != 0) {
            fprintf(stderr, "%s\n", error.message);
            tu_job_free(job);
            continue;
        }
        example_started(job, &jobs[i]);
    }
    if (tu_poll_loop_run(&loop) != 0)  /* each job's done frees it */
        perror("poll");
    tu_poll_loop_free(&loop);
    status = jobs ? example_status(jobs, args.nfiles) : 1;
    free(jobs);
    return status;
}
