/* job.c -- the steps of a run: the one core behind both faces.
 *
 * A run is a chain of steps, each of which submits requests to the
 * executor and returns without waiting for them (job_int.h):
 *
 *   fetch     tu_fetch_begin: the provider submits its GETs (and more as
 *             pages arrive);
 *   plan      once the fetch has nothing pending: the live records, the
 *             bulk rules, the plan and the safety thresholds, all CPU work
 *             done inline; in plan mode (or over a threshold) the run ends
 *             here;
 *   push      tu_push_begin: the provider submits the writes;
 *   recheck   once the push has nothing pending, and a create failed after
 *             it may have reached the server: re-read the live records
 *             (another fetch) to see whether it took effect; the creates
 *             it did not are pushed again, up to settings.retries rounds
 *             (a create is never sent twice blindly);
 *   report    the report is built, the executor freed, done called.
 *
 * An export is fetch, then the YAML, then done. tu_job_advance() takes
 * every step whose requests are all finished; job_loop.c calls it after
 * each call into the executor. The steps call down (fetch.c, plan.c,
 * push.c, report.c, export.c, plan_file.c, run_plan.c), never up to the
 * job API (job_loop.c) nor to a face (easy.c). Each record's outcome goes to the record
 * callback once it is known: after the plan (plan mode; skips and records
 * that cannot be planned in apply mode), as each write's answer comes
 * (push.c's outcome hook), or once re-reading settles an uncertain create.
 */
#include "job_int.h"
#include "bulk.h"
#include "export.h"
#include "plan_file.h"
#include "prefetch.h"
#include "safety.h"
#include "shard.h"
#include "util/clock.h"
#include "state/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_warning(tu_report_facts *facts, const char *text)
{
    size_t i = 0;

    while (i < 3 && facts->warnings[i])
        i++;
    facts->warnings[i] = text;
}

/* ---- records' outcomes ------------------------------------------------ */

/* One record's outcome to the job's record callback, then the options'
 * (tu_run's). Out of memory, the callbacks get it without its changes and
 * key values rather than not at all. */
static void report_action(tu_job *job, const tu_action *a)
{
    tu_record_result r;

    if ((!job->cb.record && !job->o.record) || job->quiet)
        return;
    if (tu_report_action_result(a, &job->key, &job->scratch, &r) != 0) {
        r.changes = NULL;
        r.key_count = 0;
    }
    if (job->cb.record)
        job->cb.record(job, &r, job->cb.data);
    if (job->o.record && !job->quiet)
        job->o.record(&r, job->o.record_data);
}

/* An action's outcome is known: the record callbacks, then a system's
 * run (which sends what waited for it). */
static void settled(tu_job *job, tu_action *a)
{
    report_action(job, a);
    if (job->hooks.settled)
        job->hooks.settled(job, a, job->hooks.data);
}

void tu_job_settle_failed(tu_job *job, tu_action *a, const char *why)
{
    tu_action_fail(a, why);
    (void)tu_report_texts_keep(&job->texts, &job->plan, a);
    settled(job, a);
}

static void on_outcome(tu_action *a, void *data)
{
    tu_job *job = data;

    (void)tu_report_texts_keep(&job->texts, &job->plan, a);
    settled(job, a);
}

static void on_progress(const tu_progress *p, void *data)
{
    tu_job *job = data;

    if (job->o.progress && !job->quiet)
        job->o.progress(p, job->o.progress_data);
}

/* Once the plan is made: in plan mode every record's outcome is known; in
 * apply mode those of the skips and of the records that cannot be planned. */
static void report_planned(tu_job *job)
{
    for (size_t i = 0; i < job->plan.count; i++) {
        const tu_action *a = &job->plan.actions[i];
        if (job->o.mode == TU_MODE_PLAN || a->kind == TU_ACTION_SKIP ||
            a->status == TU_STATUS_FAILED)
            report_action(job, a);
    }
}

/* ---- the start and the end --------------------------------------------- */

/* The facts known before the run: what it is about, the TLS warning. */
void tu_job_init_facts(tu_job *job)
{
    const tu_target *t = &job->d->target;
    const char **ignore;
    size_t nignore;

    job->facts.mode = job->o.mode;
    job->facts.provider = t->ops->name;
    job->facts.base_url = t->base_url;
    t->ops->describe(t->cfg, &job->key, &ignore, &nignore);
    job->facts.key = &job->key;
    job->facts.shard_index = job->o.shard_index;
    job->facts.shard_count = job->o.shard_count;
    if (t->tls.insecure)
        add_warning(&job->facts, "target.tls.insecure is set: the "
                    "server's certificate was not verified");
}

int tu_job_was_cancelled(const tu_job *job)
{
    return job->cancelled || (job->o.cancel && *job->o.cancel);
}

/* The fetch and the push, if under way, ended (their requests dropped). */
static void end_steps(tu_job *job)
{
    tu_recordset scratch;

    if (job->fetch)
        tu_fetch_end(job->fetch, 1, &scratch, NULL);
    if (job->push)
        tu_push_end(job->push);
    job->fetch = NULL;
    job->push = NULL;
}

void tu_job_free_steps(tu_job *job)
{
    end_steps(job);
    tu_report_texts_free(&job->texts);
    tu_result_scratch_free(&job->scratch);
    tu_plan_free(&job->plan);
    tu_recordset_free(&job->own_desired);
    tu_recordset_free(&job->shard_desired);
    tu_items_free(&job->items);
    tu_recordset_free(&job->live);
}

/* The job is over: free what the steps hold and the executor (which
 * unwatches its sockets), stop the timer, and call done. A system's part
 * leaves its system's executor alone and keeps its plan and records: the
 * other parts' writes still read them (the id a create answered, a live
 * value to send) until the system is over, which frees them. */
void tu_job_over(tu_job *job)
{
    job->phase = JOB_OVER;
    if (job->is_child) {
        end_steps(job);
    } else {
        tu_job_free_steps(job);
        tu_exec_free(job->exec);
    }
    job->exec = NULL;
    if (job->attached && job->timer_due_ms >= 0 && !job->quiet)
        job->events.timer(job, -1, job->events.data);
    job->timer_due_ms = -1;
    if (job->cb.done && !job->quiet)
        job->cb.done(job, job->report, job->failed ? &job->error : NULL,
                     job->cb.data);
}

void tu_job_fail(tu_job *job, const tu_error *err)
{
    job->error = *err;
    if (!job->error.message[0])
        tu_error_set(&job->error, TU_ERR_INTERNAL, "the run failed");
    if (!job->sys)
        tu_target_scrub(&job->d->target, job->error.message);
    job->failed = 1;
    tu_job_over(job);
}

static void fail_text(tu_job *job, tu_error_code code, const char *text)
{
    tu_error err;

    tu_error_set(&err, code, "%s", text);
    tu_job_fail(job, &err);
}

/* Creates still uncertain after the last round failed: say so. */
static void report_uncertain(tu_job *job)
{
    for (size_t i = 0; i < job->plan.count; i++) {
        if (job->plan.actions[i].uncertain)
            report_action(job, &job->plan.actions[i]);
    }
}

/* plan --out: the plan file goes with the report. 0, or -1 (failed). */
static int add_plan_file(tu_job *job)
{
    tu_error err = {0};

    if (job->o.mode != TU_MODE_PLAN || !job->o.plan_file || job->plan_source)
        return 0;
    job->report->plan_file = tu_planfile_build(job->d, &job->o, &job->plan,
                                               job->live.count, &err);
    if (job->report->plan_file)
        return 0;
    tu_report_free(job->report);
    job->report = NULL;
    tu_job_fail(job, &err);
    return -1;
}

static void finish_report(tu_job *job)
{
    tu_exec_stats stats;
    tu_report_facts *facts = &job->facts;

    report_uncertain(job);
    tu_exec_stats_get(job->exec, &stats);
    facts->requests = stats.requests + job->prefetched.requests;
    /* a create re-sent after re-reading is a retry the executor did not
     * count (it never re-sends a POST that may have arrived) */
    facts->retries = stats.retries + job->prefetched.retries + job->resends;
    facts->concurrency_min = stats.concurrency_min;
    facts->concurrency_end = stats.concurrency_now;
    facts->connections = stats.connections + job->prefetched.connections;
    for (size_t i = 0; i < TU_EXEC_VERSIONS; i++)
        facts->by_version[i] = stats.by_version[i] +
                               job->prefetched.by_version[i];
    facts->cancelled = tu_job_was_cancelled(job);
    facts->elapsed_ms = tu_clock_ms() - job->start_ms;
    facts->out_of_scope = job->plan.out_of_scope;
    facts->not_owned = job->plan.not_owned;
    facts->left_items = job->items.left;
    job->report = tu_report_build(&job->plan, facts, &job->texts);
    if (!job->report) {
        fail_text(job, TU_ERR_NOMEM, "out of memory while writing the report");
        return;
    }
    if (add_plan_file(job) != 0)
        return;
    tu_job_over(job);
}

/* ---- planning --------------------------------------------------------- */

/* The desired records of this run: the loaded ones, with the bulk rules
 * applied to the live records when there are any (built into own). */
static const tu_recordset *run_desired(tu_job *job, tu_error *err)
{
    const tu_desired *d = job->d;
    tu_keyspec key;
    const char **ignore;
    size_t nignore;

    const tu_recordset *base = job->o.shard_count > 0 ? &job->shard_desired
                                                       : &d->records;

    if (d->doc.bulk.count == 0)
        return base;
    d->target.ops->describe(d->target.cfg, &key, &ignore, &nignore);
    if (tu_bulk_apply(&d->doc.bulk, base, &job->live, &key,
                      tu_desired_normalizer(&d->target),
                      (void *)&d->target, &job->own_desired, err) != 0)
        return NULL;
    return &job->own_desired;
}

static int plan_run(tu_job *job, const tu_recordset *desired, tu_error *err)
{
    const tu_desired *d = job->d;
    tu_plan_options po;
    tu_keyspec key;

    d->target.ops->describe(d->target.cfg, &key, &po.ignore, &po.nignore);
    po.key = &key;
    po.prune = job->o.prune >= 0 ? job->o.prune : d->doc.settings.prune;
    po.change_protected = job->o.change_protected;
    po.protect = d->target.ops->protect;
    po.protect_data = d->target.cfg;
    po.protect_rules = &d->doc.protect;
    po.prune_scope = &d->doc.prune_scope;
    po.owner = d->doc.settings.owner;
    po.owner_field = po.owner ? d->target.ops->owner_field(d->target.cfg)
                              : NULL;
    po.rules = &d->target.fields;
    if (tu_items_apply(&job->items, desired, &job->live, &d->doc.protect,
                       &d->doc.prune_scope, &po,
                       tu_desired_normalizer(&d->target),
                       (void *)&d->target, err) != 0)
        return -1;
    return tu_plan_build(&job->plan, tu_items_desired(&job->items, desired),
                         &job->live, &po, err);
}

static void start_push(tu_job *job);

/* --shard: keep the shard's live and desired records only, so that the
 * plan, prune and thresholds are about the shard alone. 0 or -1. */
static int keep_shard(tu_job *job, tu_error *err)
{
    tu_recordset all = job->live;

    if (job->o.shard_count == 0)
        return 0;
    tu_recordset_init(&job->live);
    if (tu_shard_filter(&job->d->target, &all, job->o.shard_index,
                        job->o.shard_count, &job->live, err) != 0) {
        tu_recordset_free(&all);
        return -1;
    }
    tu_recordset_free(&all);
    return tu_shard_filter(&job->d->target, &job->d->records,
                           job->o.shard_index, job->o.shard_count,
                           &job->shard_desired, err);
}

/* The plan: a diff of the desired records against the live ones, or a
 * plan file's changes checked against them. 0 or -1. */
static int make_plan(tu_job *job, tu_error *err)
{
    const tu_recordset *desired;

    if (keep_shard(job, err) != 0)
        return -1;
    if (job->plan_source)
        return tu_plan_file_plan(job->plan_source, &job->live, &job->plan,
                                 err);
    desired = run_desired(job, err);
    return desired ? plan_run(job, desired, err) : -1;
}

int tu_job_plan(tu_job *job)
{
    tu_error err = {0};

    if (make_plan(job, &err) != 0) {
        tu_job_fail(job, &err);
        return -1;
    }
    if (!job->o.force &&
        tu_safety_exceeded(&job->plan, job->live.count,
                           &job->d->doc.settings, job->threshold,
                           sizeof job->threshold)) {
        if (job->o.mode == TU_MODE_APPLY) {
            fail_text(job, TU_ERR_THRESHOLD, job->threshold);
            return -1;
        }
        add_warning(&job->facts, job->threshold);
        job->facts.threshold_exceeded = 1;
    }
    return 0;
}

void tu_job_after_plan(tu_job *job)
{
    tu_error err = {0};

    /* a system's part: the system marks its plan file, once */
    if (job->o.mode == TU_MODE_APPLY && job->plan_source && !job->is_child &&
        tu_plan_file_mark(job->plan_source, &err) != 0) {
        tu_job_fail(job, &err);  /* before the first write: nothing pushed */
        return;
    }
    report_planned(job);
    if (job->o.mode == TU_MODE_APPLY)
        start_push(job);
    else
        finish_report(job);
}

/* The live records are in: plan (inline), then push or end. */
static void plan_step(tu_job *job)
{
    tu_progress planning = {"plan", 0, 0};

    on_progress(&planning, job);
    if (tu_job_plan(job) == 0)
        tu_job_after_plan(job);
}

/* ---- fetching --------------------------------------------------------- */

static int start_fetch(tu_job *job, job_phase phase, tu_error *err)
{
    int first = phase == JOB_FETCH;
    int taken;

    /* read while the records loaded: the first step plans at once (or
     * fails as that read did) */
    if (first && job->d->prefetch &&
        (taken = tu_prefetch_take(job->d->prefetch, job->o.cancel,
                                  &job->live, &job->prefetched,
                                  &job->prefetch_error)) != 0) {
        job->prefetch_taken = taken > 0;
        job->fetch = NULL;
        job->phase = phase;
        return 0;
    }
    job->fetch = tu_fetch_begin(&job->d->target, &job->d->records, job->exec,
                                job->header_set,
                                first ? on_progress : NULL, job);
    if (!job->fetch) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    job->phase = phase;
    return 0;
}

int tu_job_start(tu_job *job, tu_error *err)
{
    return start_fetch(job, JOB_FETCH, err);
}

static void fetch_step(tu_job *job)
{
    tu_error err = {0};
    tu_fetch *fetch = job->fetch;

    job->fetch = NULL;
    if (job->prefetch_error.code) {
        err = job->prefetch_error;
        job->prefetch_error.code = TU_OK;
        tu_job_fail(job, &err);
        return;
    }
    if (fetch && tu_fetch_end(fetch, job->exec_failed, &job->live, &err)) {
        if (err.code == TU_ERR_CANCELLED) {
            char why[TU_ERROR_MAX];
            snprintf(why, sizeof why, "%s", err.message);
            tu_error_set(&err, TU_ERR_CANCELLED,
                         "cancelled while reading the live records "
                         "(%s): nothing was pushed", why);
        }
        tu_job_fail(job, &err);
        return;
    }
    if (job->is_child) {    /* the system's run plans every part */
        job->phase = JOB_FETCHED;
        return;
    }
    if (!job->is_export) {
        plan_step(job);
        return;
    }
    job->export_text = tu_export_text(job->d, &job->live, &err);
    if (!job->export_text)
        tu_job_fail(job, &err);
    else
        tu_job_over(job);
}

/* ---- pushing, and settling uncertain creates --------------------------- */

static void start_push(tu_job *job)
{
    tu_push_hooks hooks = {on_progress, job, on_outcome, job,
                           job->hooks.hold, job->hooks.data, job->header_set};
    tu_exec_stats stats;

    tu_exec_stats_get(job->exec, &stats);
    job->requests_before = stats.requests;
    job->phase = JOB_PUSH;
    if (!job->texts.kept)  /* a later round (uncertain creates) keeps them */
        (void)tu_report_texts_init(&job->texts, job->plan.count);
    job->push = tu_push_begin(&job->d->target, job->exec, &job->plan, &hooks);
    if (!job->push)  /* out of memory: every planned action failed */
        for (size_t i = 0; i < job->plan.count; i++)
            if (job->plan.actions[i].status == TU_STATUS_FAILED)
                report_action(job, &job->plan.actions[i]);
}

/* The executor broke mid-push: what has no outcome is reported failed. */
static void fail_unfinished(tu_job *job)
{
    for (size_t i = 0; i < job->plan.count; i++) {
        tu_action *a = &job->plan.actions[i];
        if (a->kind != TU_ACTION_SKIP && a->status == TU_STATUS_PLANNED) {
            tu_action_fail(a, "not completed: the HTTP executor failed");
            settled(job, a);
        }
    }
}

static int any_uncertain(const tu_plan *plan)
{
    for (size_t i = 0; i < plan->count; i++)
        if (plan->actions[i].uncertain)
            return 1;
    return 0;
}

/* Replaces whose delete is done and whose create is still to send. */
static int replaces_half_done(const tu_plan *plan)
{
    for (size_t i = 0; i < plan->count; i++) {
        const tu_action *a = &plan->actions[i];
        if (a->kind == TU_ACTION_REPLACE && a->deleted &&
            a->status == TU_STATUS_PLANNED)
            return 1;
    }
    return 0;
}

static void push_step(tu_job *job)
{
    tu_exec_stats stats;
    tu_error err = {0};

    if (job->push)
        tu_push_end(job->push);
    job->push = NULL;
    tu_exec_stats_get(job->exec, &stats);
    job->facts.write_requests += stats.requests - job->requests_before;
    if (job->exec_failed)
        fail_unfinished(job);
    if (!job->exec_failed && !tu_job_was_cancelled(job) &&
        replaces_half_done(&job->plan)) {
        start_push(job);    /* their creates, now that the deletes are done */
        return;
    }
    /* an uncertain create is re-read on the last round too */
    if (job->exec_failed || tu_job_was_cancelled(job) ||
        !any_uncertain(&job->plan)) {
        finish_report(job);
        return;
    }
    if (start_fetch(job, JOB_RECHECK, &err) != 0)
        finish_report(job);  /* the uncertain creates stay failed */
}

/* Re-reading failed: the uncertain creates fail, saying so. */
static void settle_unknown(tu_job *job, tu_action *a, const tu_error *ferr)
{
    char note[TU_ERROR_MAX + 128];

    snprintf(note, sizeof note, "%s (it may have been created: re-reading "
             "to check failed: %s)", tu_action_error(a), ferr->message);
    tu_action_fail(a, note);
    settled(job, a);
}

/* Re-reading found the record, or did not: then it is pushed again, or
 * after the `last` round failed for certain. */
static int settle_known(tu_job *job, tu_action *a, const tu_recordset *now,
                        int last)
{
    char note[TU_ERROR_MAX + 128];

    if (!tu_recordset_find(now, a->desired->key) && last) {
        snprintf(note, sizeof note, "%s (re-reading found no such record: "
                 "it was not created)", tu_action_error(a));
        tu_action_fail(a, note);
        settled(job, a);
        return 0;
    }
    if (!tu_recordset_find(now, a->desired->key)) {
        (void)tu_action_set_error(a, NULL);
        a->status = TU_STATUS_PLANNED;
        a->resent = 1;  /* its attempts add up (push.c) */
        job->resends++;
        return 1;
    }
    snprintf(note, sizeof note, "created, although the request failed "
             "(%s): re-reading found the record", tu_action_error(a));
    (void)tu_action_set_error(a, NULL);
    (void)tu_action_set_note(a, note);  /* out of memory: no note */
    a->status = TU_STATUS_OK;
    settled(job, a);
    return 0;
}

static void recheck_step(tu_job *job)
{
    tu_recordset now;
    tu_error ferr = {0};
    size_t again = 0;
    tu_fetch *fetch = job->fetch;
    int fetched;

    job->fetch = NULL;
    fetched = tu_fetch_end(fetch, job->exec_failed, &now, &ferr);
    for (size_t i = 0; i < job->plan.count; i++) {
        tu_action *a = &job->plan.actions[i];
        if (!a->uncertain)
            continue;
        a->uncertain = 0;
        if (fetched != 0)
            settle_unknown(job, a, &ferr);
        else
            again += settle_known(job, a, &now,
                                  job->round >= job->d->doc.settings.retries);
    }
    if (fetched == 0)
        tu_recordset_free(&now);
    if (again == 0 || job->exec_failed) {
        finish_report(job);
        return;
    }
    job->round++;
    start_push(job);
}

/* ---- advancing -------------------------------------------------------- */

/* A system's part whose push still holds writes back: not over yet. */
static int push_waiting(const tu_job *job)
{
    return job->phase == JOB_PUSH && !job->exec_failed &&
           job->hooks.waiting && job->hooks.waiting(job, job->hooks.data);
}

void tu_job_advance(tu_job *job)
{
    while (job->phase != JOB_OVER && job->phase != JOB_FETCHED &&
           !push_waiting(job) &&
           (job->exec_failed || tu_exec_pending(job->exec) == 0)) {
        if (job->phase == JOB_FETCH)
            fetch_step(job);
        else if (job->phase == JOB_PUSH)
            push_step(job);
        else
            recheck_step(job);
    }
}
