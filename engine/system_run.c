/* system_run.c -- the run of a system: several resources in one job.
 *
 * The system's job (the one the caller holds) owns the executor and one
 * child job per resource, each the run of one resource (job.c) on that
 * executor. The children take their own steps; the system takes those
 * between them that need every resource at once:
 *
 *   fetch    every child reads its live records, all at once, and stops
 *            (JOB_FETCHED);
 *   plan     the live references are read back to keys and the desired
 *            ones checked (system_refs.c), every child plans and checks
 *            its own thresholds, then the totals are checked against the
 *            run's settings; in plan mode each child reports;
 *   push     the writes are ordered by the references: a write waits
 *            (held by the child's push) until what it waits for is done,
 *            then goes with its references in the API's form; a failed
 *            write fails the writes waiting for it, unsent, naming it;
 *   report   once every child is over, one report of them all
 *            (report_merge.c).
 *
 * Nothing is pushed unless every resource read and planned; an export
 * writes one document with every resource's records.
 */
#include "system_run.h"
#include "export.h"
#include "plan_file.h"
#include "safety.h"
#include "system.h"
#include "system_refs.h"
#include "util/clock.h"
#include "state/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct kid_ref {
    struct tu_sysrun *run;
    size_t index;
} kid_ref;

typedef struct tu_sysrun {
    tu_job *job;             /* the system's */
    const tu_system *sys;
    tu_job **kids;           /* one per resource, in the system's order */
    kid_ref *refs_of;        /* what each kid's hooks are given */
    size_t *held;            /* per kid: writes held now */
    tu_progress *progress;   /* per kid: its last progress */
    tu_refs refs;
    int fetched;             /* every child read: the system planned */
    int pushing;             /* the plans are made and pushed */
    size_t requests_at_push;
} tu_sysrun;

/* ---- the children's callbacks ------------------------------------------ */

static void kid_record(tu_job *kid, const tu_record_result *r, void *data)
{
    kid_ref *k = data;
    tu_job *job = k->run->job;
    tu_record_result named = *r;

    (void)kid;
    if (job->quiet)
        return;
    named.resource = k->run->sys->names[k->index];
    if (job->cb.record)
        job->cb.record(job, &named, job->cb.data);
    if (job->o.record && !job->quiet)
        job->o.record(&named, job->o.record_data);
}

/* The children's progress, summed over them by phase. */
static void kid_progress(const tu_progress *p, void *data)
{
    kid_ref *k = data;
    tu_sysrun *run = k->run;
    tu_progress sum = {p->phase, 0, 0};

    if (!run->job->o.progress || run->job->quiet || !strcmp(p->phase, "plan"))
        return;
    run->progress[k->index] = *p;
    for (size_t i = 0; i < run->sys->nparts; i++) {
        if (run->progress[i].phase &&
            strcmp(run->progress[i].phase, p->phase) == 0) {
            sum.done += run->progress[i].done;
            sum.total += run->progress[i].total;
        }
    }
    run->job->o.progress(&sum, run->job->o.progress_data);
}

static int kid_hold(const tu_action *a, void *data)
{
    kid_ref *k = data;
    tu_ref_unit *u = &k->run->refs.units[k->index];
    size_t i = (size_t)(a - u->plan->actions);

    if (!u->waits || u->waits[i] == 0)
        return 0;
    k->run->held[k->index]++;
    return 1;
}

static int kid_waiting(const tu_job *kid, void *data)
{
    kid_ref *k = data;

    (void)kid;
    return k->run->held[k->index] > 0;
}

/* A held write whose waits are over (the last one, `after` of resource
 * `from`, just settled): sent, or failed unsent. */
static void release(tu_sysrun *run, tu_ref_node n, size_t from,
                    const tu_action *after)
{
    tu_job *kid = run->kids[n.unit];
    tu_action *a = &run->refs.units[n.unit].plan->actions[n.action];
    char why[1200];

    if (kid->push)         /* else its push has not begun: held nothing */
        run->held[n.unit]--;
    if (a->status != TU_STATUS_PLANNED)
        return;            /* failed already: another wait failed */
    if (after->status != TU_STATUS_OK) {
        snprintf(why, sizeof why, "not sent: it waits for the %s of %s "
                 "record '%s', which failed", tu_action_kind_name(
                     after->kind), run->sys->names[from],
                 tu_action_label(after));
        tu_job_settle_failed(kid, a, why);
    } else if (tu_job_was_cancelled(run->job) || tu_job_was_cancelled(kid)) {
        tu_job_settle_failed(kid, a, "cancelled before it was sent");
    } else if (tu_refs_resolve(&run->refs, n, why, sizeof why) != 0) {
        tu_job_settle_failed(kid, a, why);
    } else if (kid->push) {
        tu_push_release(kid->push, a);
    }   /* else the push, when it begins, takes it with the others */
}

/* An action's outcome is known: each write waiting for it waits for one
 * less; a failure fails them at once (and so on down). */
static void kid_settled(tu_job *kid, tu_action *a, void *data)
{
    kid_ref *k = data;
    tu_sysrun *run = k->run;
    tu_ref_unit *u = &run->refs.units[k->index];
    tu_ref_node n = {(uint32_t)k->index, (uint32_t)(a - u->plan->actions)};
    size_t count;
    const tu_ref_node *deps;

    (void)kid;
    if (!run->pushing)
        return;
    deps = tu_refs_dependents(&run->refs, n, &count);
    for (size_t i = 0; i < count; i++) {
        tu_ref_unit *du = &run->refs.units[deps[i].unit];
        if (du->waits[deps[i].action] == 0)
            continue;
        if (--du->waits[deps[i].action] == 0 || a->status != TU_STATUS_OK) {
            du->waits[deps[i].action] = 0;
            release(run, deps[i], k->index, a);
        }
    }
}

/* ---- starting ---------------------------------------------------------- */

static int same_headers(const struct curl_slist *a,
                        const struct curl_slist *b)
{
    for (; a && b; a = a->next, b = b->next)
        if (strcmp(a->data, b->data) != 0)
            return 0;
    return a == b;
}

/* The executor's header set of resource i: the first resource's is the
 * executor's own (0); another resource sending other headers (its own
 * auth) gets a set, shared with an earlier resource sending the same. 0,
 * or -1 (out of memory). */
static int header_set_of(tu_sysrun *run, size_t i)
{
    const tu_target *t = &run->sys->parts[i]->target;
    long set;

    for (size_t k = 0; k < i; k++) {
        if (same_headers(run->sys->parts[k]->target.headers, t->headers)) {
            run->kids[i]->header_set = run->kids[k]->header_set;
            return 0;
        }
    }
    if ((set = tu_exec_add_headers(run->job->exec, t->headers)) < 0)
        return -1;
    run->kids[i]->header_set = (unsigned)set;
    return 0;
}

/* One resource's child job, on the system's executor, its fetch started. */
static tu_job *kid_new(tu_sysrun *run, size_t i, tu_error *err)
{
    tu_job *job = run->job, *kid = calloc(1, sizeof *kid);

    if (!kid) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return NULL;
    }
    run->refs_of[i] = (kid_ref){run, i};
    kid->d = run->sys->parts[i];
    kid->o = job->o;
    kid->o.record = NULL;
    /* each part writes its plan; the system's seals them together */
    kid->plan_source = job->plan_source ? &job->plan_source->parts[i] : NULL;
    kid->o.progress = kid_progress;
    kid->o.progress_data = &run->refs_of[i];
    kid->cb.record = kid_record;
    kid->cb.data = &run->refs_of[i];
    kid->hooks = (tu_job_hooks){kid_hold, kid_settled, kid_waiting,
                                &run->refs_of[i]};
    kid->is_child = 1;
    kid->exec = job->exec;
    kid->cancel_grace_ms = job->cancel_grace_ms;
    kid->timer_due_ms = -1;
    kid->start_ms = job->start_ms;
    tu_recordset_init(&kid->live);
    tu_recordset_init(&kid->own_desired);
    tu_recordset_init(&kid->shard_desired);
    tu_job_init_facts(kid);
    kid->facts.concurrency = job->facts.concurrency;
    run->kids[i] = kid;
    if (i > 0 && header_set_of(run, i) != 0) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return tu_job_start(kid, err) == 0 ? kid : NULL;
}

static int run_alloc(tu_sysrun *run, size_t n)
{
    run->kids = calloc(n, sizeof *run->kids);
    run->refs_of = calloc(n, sizeof *run->refs_of);
    run->held = calloc(n, sizeof *run->held);
    run->progress = calloc(n, sizeof *run->progress);
    run->refs.units = calloc(n, sizeof *run->refs.units);
    return run->kids && run->refs_of && run->held && run->progress &&
           run->refs.units ? 0 : -1;
}

int tu_sysrun_start(tu_job *job, tu_error *err)
{
    const tu_system *sys = job->d->system;
    tu_sysrun *run = calloc(1, sizeof *run);

    if (job->plan_source && job->plan_source->nparts != sys->nparts) {
        free(run);
        tu_error_set(err, TU_ERR_PLAN, "%s: not a plan of these resources",
                     job->plan_source->path);
        return -1;
    }
    if (!run || (job->sys = run, run->job = job, run->sys = sys,
                 run->refs.sys = sys, run_alloc(run, sys->nparts)) != 0) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    job->facts.mode = job->o.mode;
    job->facts.shard_index = job->o.shard_index;
    job->facts.shard_count = job->o.shard_count;
    for (size_t i = 0; i < sys->nparts; i++)
        if (!kid_new(run, i, err))
            return -1;
    return 0;
}

/* ---- the end ----------------------------------------------------------- */

static void free_kid(tu_job *kid)
{
    if (!kid)
        return;
    kid->quiet = 1;
    tu_job_free_steps(kid);
    tu_report_free(kid->report);
    free(kid->export_text);
    free(kid);
}

void tu_sysrun_free(tu_job *job)
{
    tu_sysrun *run = job->sys;

    if (!run)
        return;
    for (size_t i = 0; run->kids && i < run->sys->nparts; i++)
        free_kid(run->kids[i]);
    tu_refs_free(&run->refs);
    free(run->kids);
    free(run->refs_of);
    free(run->held);
    free(run->progress);
    free(run);
    job->sys = NULL;
}

/* The run fails: with `err`, or as the resource `i` failed. */
static void run_fail(tu_job *job, const tu_error *err, size_t i)
{
    tu_sysrun *run = job->sys;
    tu_error e = *err;

    if (i < run->sys->nparts)
        tu_error_set(&e, err->code, "resources.%s: %s", run->sys->names[i],
                     err->message);
    for (size_t k = 0; k < run->sys->nparts; k++)  /* no secret of any */
        tu_target_scrub(&run->sys->parts[k]->target, e.message);
    tu_sysrun_free(job);
    tu_job_fail(job, &e);
}

/* The run's facts, from its executor (the children share it). */
static void run_facts(tu_job *job)
{
    tu_sysrun *run = job->sys;
    tu_report_facts *f = &job->facts;
    tu_exec_stats stats;

    tu_exec_stats_get(job->exec, &stats);
    f->requests = stats.requests;
    f->write_requests = run->pushing ? stats.requests - run->requests_at_push
                                     : 0;
    f->retries = stats.retries;
    for (size_t i = 0; i < run->sys->nparts; i++)
        f->retries += run->kids[i]->resends;
    f->concurrency_min = stats.concurrency_min;
    f->concurrency_end = stats.concurrency_now;
    f->connections = stats.connections;
    for (size_t i = 0; i < TU_EXEC_VERSIONS; i++)
        f->by_version[i] = stats.by_version[i];
    f->cancelled = tu_job_was_cancelled(job);
    f->elapsed_ms = tu_clock_ms() - job->start_ms;
}

/* plan --out: the resources' plan files, as one (the report's). 0, or -1
 * when the run failed. */
static int system_plan_file(tu_job *job)
{
    size_t n = job->report->nparts;   /* the run is freed already */
    json_t **parts = calloc(n, sizeof *parts);
    tu_error err = {0};

    if (job->o.mode != TU_MODE_PLAN || !job->o.plan_file || job->plan_source) {
        free(parts);
        return 0;
    }
    for (size_t i = 0; parts && i < n; i++) {
        parts[i] = job->report->parts[i]->plan_file;
        job->report->parts[i]->plan_file = NULL;
    }
    job->report->plan_file = parts ? tu_planfile_build_system(
                                         job->d, &job->o, parts, n, &err)
                                   : NULL;
    free(parts);
    if (job->report->plan_file)
        return 0;
    if (!err.code)
        tu_error_set(&err, TU_ERR_NOMEM, "out of memory");
    tu_report_free(job->report);
    job->report = NULL;
    tu_job_fail(job, &err);
    return -1;
}

/* Every child is over: one report of them all. */
static void finish(tu_job *job)
{
    tu_sysrun *run = job->sys;
    size_t n = run->sys->nparts;
    tu_report **parts = calloc(n, sizeof *parts);
    tu_error err = {0};

    for (size_t i = 0; i < n; i++) {
        if (run->kids[i]->failed) {
            free(parts);
            run_fail(job, &run->kids[i]->error, i);
            return;
        }
    }
    if (!parts) {
        tu_error_set(&err, TU_ERR_NOMEM, "out of memory");
        run_fail(job, &err, n);
        return;
    }
    run_facts(job);
    for (size_t i = 0; i < n; i++) {
        parts[i] = run->kids[i]->report;
        run->kids[i]->report = NULL;
        job->facts.threshold_exceeded |= run->kids[i]->facts.threshold_exceeded;
    }
    job->report = tu_report_merge(parts, (const char *const *)run->sys->names,
                                  n, &job->facts);
    tu_sysrun_free(job);
    if (!job->report)
        tu_job_fail(job, (tu_error[]){{"out of memory while writing the "
                                       "report", TU_ERR_NOMEM}});
    else if (system_plan_file(job) == 0)
        tu_job_over(job);
}

/* ---- export ------------------------------------------------------------ */

static void export_all(tu_job *job)
{
    tu_sysrun *run = job->sys;
    size_t n = run->sys->nparts;
    json_t **records = calloc(n, sizeof *records);
    tu_error err = {0};
    size_t i;

    for (i = 0; records && i < n; i++)
        if (!(records[i] = tu_export_records(run->sys->parts[i],
                                             &run->kids[i]->live, &err)))
            break;
    if (records && i == n)
        job->export_text = tu_export_system_text(
            (const char *const *)run->sys->names, records, n, &err);
    for (size_t k = 0; records && k < n; k++)
        json_decref(records[k]);
    free(records);
    if (!job->export_text) {
        if (!err.code)
            tu_error_set(&err, TU_ERR_NOMEM, "out of memory");
        run_fail(job, &err, i < n ? i : n);
        return;
    }
    tu_sysrun_free(job);
    tu_job_over(job);
}

/* ---- planning ---------------------------------------------------------- */

/* The thresholds over every resource's plan, with the run's settings. */
static int totals_exceeded(tu_job *job, char *msg, size_t size)
{
    tu_sysrun *run = job->sys;
    size_t updates = 0, deletes = 0, live = 0;

    for (size_t i = 0; i < run->sys->nparts; i++) {
        tu_safety_count(&run->kids[i]->plan, &updates, &deletes);
        live += run->kids[i]->live.count;
    }
    return !job->o.force &&
           tu_safety_exceeded_n(updates, deletes, live,
                                &job->d->doc.settings, msg, size);
}

/* Every resource plans (each failing on its own thresholds), then the
 * totals; the writes are ordered. 0, or -1 when the run failed. */
static int plan_all(tu_job *job)
{
    tu_sysrun *run = job->sys;
    tu_error err = {0};
    char msg[512];

    for (size_t i = 0; i < run->sys->nparts; i++) {
        if (tu_job_plan(run->kids[i]) != 0) {
            run_fail(job, &run->kids[i]->error, i);
            return -1;
        }
        run->refs.units[i].plan = &run->kids[i]->plan;
    }
    if (totals_exceeded(job, msg, sizeof msg)) {
        char total[600];
        snprintf(total, sizeof total, "all resources together: %s", msg);
        if (job->o.mode == TU_MODE_APPLY) {
            tu_error_set(&err, TU_ERR_THRESHOLD, "%s", total);
            run_fail(job, &err, run->sys->nparts);
            return -1;
        }
        job->facts.threshold_exceeded = 1;
    }
    if (tu_refs_order(&run->refs, job->o.mode, &err) != 0) {
        run_fail(job, &err, run->sys->nparts);
        return -1;
    }
    return 0;
}

/* Writes that wait for nothing go as planned, in the API's form. */
static void resolve_ready(tu_sysrun *run)
{
    char why[1200];

    for (size_t u = 0; u < run->sys->nparts; u++) {
        tu_ref_unit *unit = &run->refs.units[u];
        for (size_t i = 0; i < unit->plan->count; i++) {
            tu_action *a = &unit->plan->actions[i];
            if (a->status == TU_STATUS_PLANNED && a->kind != TU_ACTION_SKIP &&
                unit->waits[i] == 0 &&
                tu_refs_resolve(&run->refs, (tu_ref_node){(uint32_t)u,
                                                          (uint32_t)i},
                                why, sizeof why) != 0)
                tu_job_settle_failed(run->kids[u], a, why);
        }
    }
}

/* Every live record is in: the references, the plans, then each child
 * reports (plan) or pushes (apply). */
static void after_fetch(tu_job *job)
{
    tu_sysrun *run = job->sys;
    tu_error err = {0};
    tu_progress planning = {"plan", 0, 0};
    tu_exec_stats stats;

    for (size_t i = 0; i < run->sys->nparts; i++) {
        if (run->kids[i]->failed) {
            run_fail(job, &run->kids[i]->error, i);
            return;
        }
        run->refs.units[i].d = run->sys->parts[i];
        run->refs.units[i].live = &run->kids[i]->live;
    }
    if (job->o.progress && !job->quiet)
        job->o.progress(&planning, job->o.progress_data);
    if (tu_refs_translate(&run->refs, &err) != 0) {
        run_fail(job, &err, run->sys->nparts);
        return;
    }
    if (job->is_export) {
        export_all(job);
        return;
    }
    if (tu_refs_check(&run->refs, &err) != 0) {
        run_fail(job, &err, run->sys->nparts);
        return;
    }
    if (plan_all(job) != 0)
        return;
    if (job->o.mode == TU_MODE_APPLY && job->plan_source &&
        tu_plan_file_mark(job->plan_source, &err) != 0) {
        run_fail(job, &err, run->sys->nparts);  /* nothing pushed */
        return;
    }
    tu_exec_stats_get(job->exec, &stats);
    run->requests_at_push = stats.requests;
    run->pushing = job->o.mode == TU_MODE_APPLY;
    if (run->pushing)
        resolve_ready(run);
    for (size_t i = 0; i < run->sys->nparts; i++)
        tu_job_after_plan(run->kids[i]);
}

/* ---- advancing --------------------------------------------------------- */

static int all_at(const tu_sysrun *run, job_phase a, job_phase b)
{
    for (size_t i = 0; i < run->sys->nparts; i++)
        if (run->kids[i]->phase != a && run->kids[i]->phase != b)
            return 0;
    return 1;
}

/* Held writes no settled action will ever release (it should not
 * happen: the resources' order has no circle): failed, so the run ends. */
static int unblock(tu_sysrun *run)
{
    int any = 0;

    for (size_t u = 0; run->pushing && u < run->sys->nparts; u++) {
        tu_ref_unit *unit = &run->refs.units[u];
        for (size_t i = 0; i < unit->plan->count; i++) {
            if (unit->waits[i] == 0)
                continue;
            unit->waits[i] = 0;
            if (run->kids[u]->push)
                run->held[u]--;
            if (unit->plan->actions[i].status != TU_STATUS_PLANNED)
                continue;
            any = 1;
            tu_job_settle_failed(run->kids[u], &unit->plan->actions[i],
                                 "not sent: what it waits for never "
                                 "finished");
        }
    }
    return any;
}

void tu_sysrun_advance(tu_job *job)
{
    while (job->phase != JOB_OVER && job->sys &&
           (job->exec_failed || tu_exec_pending(job->exec) == 0)) {
        tu_sysrun *run = job->sys;
        for (size_t i = 0; i < run->sys->nparts; i++) {
            run->kids[i]->exec_failed = job->exec_failed;
            run->kids[i]->cancelled = job->cancelled;
            tu_job_advance(run->kids[i]);
        }
        if (!job->exec_failed && tu_exec_pending(job->exec) > 0)
            continue;       /* a child started more: wait for it */
        if (!run->fetched && all_at(run, JOB_FETCHED, JOB_OVER)) {
            run->fetched = 1;
            after_fetch(job);
        } else if (all_at(run, JOB_OVER, JOB_OVER)) {
            finish(job);
        } else if (!unblock(run)) {
            break;          /* nothing to do (it should not happen) */
        }
    }
}
