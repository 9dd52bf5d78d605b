/* job_loop.c -- the job API: making a job (a run, an export, the run of a
 * plan file) and driving it, in a caller's event loop or in a loop of our
 * own (tu_job_perform, behind the blocking faces of easy.c). It calls the
 * steps (job.c) and is called by the faces, never by a step.
 *
 * A caller's loop: tu_job_attach switches the job's executor from libcurl's
 * own poll to the loop's watch function (tu_exec_watch) and sets the
 * loop's timer to 0. Every call in from the loop (tu_job_socket_ready,
 * tu_job_timeout) hands the event to the executor (tu_exec_socket_ready,
 * tu_exec_timer), which starts, finishes and retries requests and calls
 * their done callbacks (the steps' fetch and push code); then
 * tu_job_advance takes the steps whose requests are over, and the loop's
 * one timer is set to what the executor needs next (tu_exec_timeout_ms:
 * libcurl's timer, the next retry or rate-limit token, the deadline, the
 * end of a cancel's grace, the next poll of the cancel flag), but only
 * when that time has changed.
 *
 * Re-entrancy: the callbacks run inside those calls. `depth` counts the
 * calls under way, so that tu_job_free from a callback only marks the job
 * (free_requested), and the outermost call frees it on its way out; the
 * timer is only set by the outermost call.
 *
 * Freeing an unfinished job cancels its executor with no grace and drives
 * it until every request has finished (quiet: no record, done or progress
 * callback is called), so that the steps' per-request state is freed, then
 * frees the executor, which unwatches the sockets it still watches.
 */
#include "job_int.h"
#include "job_loop.h"
#include "export.h"
#include "plan_file.h"
#include "prefetch.h"
#include "run_config.h"
#include "shard.h"
#include "system.h"
#include "system_run.h"
#include "util/clock.h"
#include "state/error.h"

#include <stdlib.h>
#include <string.h>

/* ---- making a job ----------------------------------------------------- */

/* A job of `d`, started (its first step, the fetch, is under way): a
 * run, an export, or the run of the plan file `plan` (NULL: none). */
static tu_job *job_new(const tu_desired *d, const tu_options *o,
                       const tu_job_callbacks *cb, int is_export,
                       const tu_plan_file *plan, tu_error *err)
{
    tu_exec_config defaults;
    tu_job *job = calloc(1, sizeof *job);

    tu_error_clear(err);
    if (!job) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return NULL;
    }
    job->d = d;
    if (o)
        job->o = *o;
    else
        tu_options_init(&job->o);
    if (cb)
        job->cb = *cb;
    job->is_export = is_export;
    job->plan_source = plan;
    job->timer_due_ms = -1;
    job->start_ms = tu_clock_ms();
    tu_exec_config_init(&defaults);
    job->cancel_grace_ms = defaults.cancel_grace_ms;
    tu_recordset_init(&job->live);
    tu_recordset_init(&job->own_desired);
    tu_recordset_init(&job->shard_desired);
    if (tu_shard_check(&job->o, err) != 0) {
        free(job);
        return NULL;
    }
    if (!d->system)
        tu_job_init_facts(job);
    /* a system's resources share one connection setup (system.c) */
    job->exec = tu_run_exec(&d->doc, d->system ? &d->system->parts[0]->target
                                               : &d->target,
                            &job->o, &job->facts.concurrency, err);
    if (!job->exec || (d->system ? tu_sysrun_start(job, err)
                                 : tu_job_start(job, err)) != 0) {
        tu_sysrun_free(job);
        tu_exec_free(job->exec);
        free(job);
        return NULL;
    }
    return job;
}

/* Take the steps that can be taken now: a system's, or one resource's. */
static void advance(tu_job *job)
{
    if (job->sys)
        tu_sysrun_advance(job);
    else
        tu_job_advance(job);
}

tu_job *tu_job_new(const tu_desired *d, const tu_options *o,
                   const tu_job_callbacks *cb, tu_error *err)
{
    return job_new(d, o, cb, 0, NULL, err);
}

tu_job *tu_job_new_export(const tu_desired *d, const tu_options *o,
                          const tu_job_callbacks *cb, tu_error *err)
{
    tu_error_clear(err);
    if (tu_export_check(d, err) != 0)
        return NULL;
    return job_new(d, o, cb, 1, NULL, err);
}

/* The plan file's shard and force are the run's; it writes no plan file. */
tu_job *tu_job_new_plan(const tu_plan_file *p, const tu_options *o,
                        tu_error *err)
{
    tu_options opts = *o;

    tu_error_clear(err);
    if (tu_plan_file_used(p, err))
        return NULL;
    opts.shard_index = p->pf.shard_index;
    opts.shard_count = p->pf.shard_count;
    opts.force = o->force || p->pf.force;
    opts.plan_file = 0;
    return job_new(p->desired, &opts, NULL, 0, p, err);
}

/* ---- the caller's loop ------------------------------------------------ */

/* Tell the loop when to call tu_job_timeout, if that changed. */
static void update_timer(tu_job *job)
{
    long ms;
    long long due;

    if (!job->attached || job->phase == JOB_OVER || job->quiet)
        return;
    ms = tu_exec_timeout_ms(job->exec);
    due = ms < 0 ? -1 : tu_clock_ms() + ms;
    if (due == job->timer_due_ms)
        return;
    job->timer_due_ms = due;
    job->events.timer(job, ms, job->events.data);
}

static int on_watch(int fd, int what, void *data)
{
    tu_job *job = data;

    if (job->quiet && what != 0)
        return 0;  /* a job being freed only unwatches */
    return job->events.watch(job, fd, what, job->events.data);
}

int tu_job_attach(tu_job *job, const tu_job_events *events, tu_error *err)
{
    tu_error_clear(err);
    if (job->attached || job->phase == JOB_OVER) {
        tu_error_set(err, TU_ERR_BAD_INPUT,
                     "tu_job_attach: the job is attached already");
        return -1;
    }
    if (!events || !events->watch || !events->timer) {
        tu_error_set(err, TU_ERR_BAD_INPUT, "tu_job_attach: events.watch "
                     "and events.timer are both needed");
        return -1;
    }
    if (tu_exec_watch(job->exec, on_watch, job) < 0) {
        tu_error_set(err, TU_ERR_NOMEM, "tu_job_attach: out of memory");
        return -1;
    }
    job->events = *events;
    job->attached = 1;
    job->timer_due_ms = tu_clock_ms();
    job->events.timer(job, 0, job->events.data);
    return 0;
}

static void job_destroy(tu_job *job);

static void leave(tu_job *job)
{
    if (--job->depth > 0)
        return;
    if (job->free_requested)
        job_destroy(job);
    else
        update_timer(job);
}

void tu_job_socket_ready(tu_job *job, int fd, int events)
{
    if (job->phase == JOB_OVER)
        return;
    job->depth++;
    if (tu_exec_socket_ready(job->exec, fd, events) < 0)
        job->exec_failed = 1;
    advance(job);
    leave(job);
}

void tu_job_timeout(tu_job *job)
{
    if (job->phase == JOB_OVER)
        return;
    job->timer_due_ms = -1;  /* it fired */
    job->depth++;
    if (tu_exec_timer(job->exec) < 0)
        job->exec_failed = 1;
    advance(job);
    leave(job);
}

void tu_job_cancel(tu_job *job)
{
    if (job->phase == JOB_OVER)
        return;
    job->cancelled = 1;
    tu_exec_cancel(job->exec, job->cancel_grace_ms);
    job->depth++;
    leave(job);  /* the timer: the unsent requests are to finish now */
}

/* ---- our own loop ----------------------------------------------------- */

/* Our own loop, and the job read nothing itself: the executor that read
 * the live records during the load replaces the job's own, not yet used,
 * when it was made alike, so that the push goes through its connections,
 * TLS sessions and CA store. Its figures include the read, so
 * job->prefetched is not added again. (A caller's loop keeps the job's
 * own: libcurl's poll drove the other, and the two interfaces are not to
 * be mixed on one multi handle.) */
static void take_warm_exec(tu_job *job)
{
    tu_exec *warm;

    if (!job->prefetch_taken || job->attached ||
        !(warm = tu_prefetch_take_exec(job->d->prefetch,
                                       job->facts.concurrency)))
        return;
    tu_exec_stop_like(warm, job->exec);
    tu_exec_free(job->exec);
    job->exec = warm;
    memset(&job->prefetched, 0, sizeof job->prefetched);
}

void tu_job_perform(tu_job *job)
{
    job->depth++;
    take_warm_exec(job);
    advance(job);
    while (job->phase != JOB_OVER) {
        if (tu_exec_drive(job->exec, -1) < 0)
            job->exec_failed = 1;
        advance(job);
    }
    leave(job);
}

/* ---- results ---------------------------------------------------------- */

int tu_job_finished(const tu_job *job)
{
    return job->phase == JOB_OVER;
}

const tu_report *tu_job_report(const tu_job *job)
{
    return job->report;
}

tu_report *tu_job_take_report(tu_job *job)
{
    tu_report *report = job->report;

    job->report = NULL;
    return report;
}

const tu_error *tu_job_error(const tu_job *job)
{
    return job->failed ? &job->error : NULL;
}

char *tu_job_take_export(tu_job *job)
{
    char *text = job->export_text;

    job->export_text = NULL;
    return text;
}

/* ---- freeing ---------------------------------------------------------- */

/* Finish every request at once, quietly, so that their state is freed. */
static void drain(tu_job *job)
{
    tu_exec_cancel(job->exec, 0);
    while (tu_exec_pending(job->exec) > 0)
        if (tu_exec_timer(job->exec) < 0)
            break;  /* the rest are dropped by tu_exec_free */
}

static void job_destroy(tu_job *job)
{
    if (job->exec) {
        if (job->attached && job->timer_due_ms >= 0)
            job->events.timer(job, -1, job->events.data);
        job->quiet = 1;
        drain(job);
        tu_sysrun_free(job);
        tu_job_free_steps(job);
        tu_exec_free(job->exec);  /* unwatches: on_watch is quiet now */
    }
    if (job->attached && job->events.cleanup)
        job->events.cleanup(job, job->events.data);
    tu_report_free(job->report);
    free(job->export_text);
    free(job);
}

void tu_job_free(tu_job *job)
{
    if (!job)
        return;
    if (job->depth > 0) {
        job->free_requested = 1;
        return;
    }
    job_destroy(job);
}
