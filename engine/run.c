/* run.c -- the public API: load, then run (fetch -> plan -> push -> report).
 *
 * tu_desired_load() builds a tu_desired (desired.h) from files or a JSON
 * value. tu_run() builds an executor for the run, fetches
 * the live records through it, plans, pushes in apply mode, and reports.
 * Anything that stops the run before the push returns NULL with an error,
 * and nothing has been written to the API.
 */
#include "trueup/trueup.h"
#include "bulk.h"
#include "desired.h"
#include "executor.h"
#include "fetch.h"
#include "plan.h"
#include "push.h"
#include "report.h"
#include "safety.h"
#include "target.h"
#include "state/desired.h"
#include "state/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *tu_version(void)
{
    return TU_VERSION;
}

void tu_options_init(tu_options *o)
{
    memset(o, 0, sizeof *o);
    o->mode = TU_MODE_PLAN;
    o->prune = -1;
}

static int normalize_desired(json_t *fields, tu_srcpos pos, void *data,
                             tu_error *err)
{
    tu_target *t = data;
    return t->ops->normalize ? t->ops->normalize(fields, pos, t->cfg, err) : 0;
}

/* With settings.owner, every declared record that is not absent carries
 * the owner's mark: created with it, marked when it is adopted. */
static int mark_records(tu_desired *d, tu_error *err)
{
    const char *owner = d->doc.settings.owner;
    const tu_provider_ops *ops = d->target.ops;
    const char *field = ops->owner_field ? ops->owner_field(d->target.cfg)
                                         : NULL;

    if (!owner)
        return 0;
    if (!field) {
        tu_error_at(err, tu_srcmap_member(d->doc.map, json_object_get(
                        d->doc.root, "settings"), "owner"), "settings.owner: "
                    "this target has no place for an ownership mark (provider "
                    "rest: name the field with target.resource.owner_field)");
        return -1;
    }
    for (size_t i = 0; i < d->records.count; i++) {
        tu_record *r = &d->records.items[i];
        json_t *have = json_object_get(r->fields, field), *copy;
        if (r->absent || (json_is_string(have) &&
                          strcmp(json_string_value(have), owner) == 0))
            continue;
        if (have) {
            tu_error_at(err, r->pos, "record '%s': '%s' holds the ownership "
                        "mark, which trueup sets to settings.owner ('%s'); "
                        "leave the field out", r->label, field, owner);
            return -1;
        }
        copy = json_copy(r->fields);
        if (!copy || json_object_set_new(copy, field, json_string(owner))) {
            json_decref(copy);
            tu_error_set(err, TU_ERR_NOMEM, "out of memory");
            return -1;
        }
        json_decref(r->fields);
        r->fields = copy;
    }
    return 0;
}

/* The document is loaded: read the target, build the desired records. */
static tu_desired *desired_finish(tu_desired *d, tu_error *err)
{
    tu_keyspec key;
    const char **ignore;
    size_t nignore;

    if (tu_target_parse(&d->target, d->doc.target, d->doc.map, err) != 0) {
        tu_doc_free(&d->doc);
        free(d);
        return NULL;
    }
    d->target.ops->describe(d->target.cfg, &key, &ignore, &nignore);
    if (tu_doc_records(&d->doc, &key,
                       d->target.ops->normalize ? normalize_desired : NULL,
                       &d->target, &d->records, err) != 0 ||
        mark_records(d, err) != 0) {
        tu_desired_free(d);
        return NULL;
    }
    return d;
}

tu_desired *tu_desired_load(const char *const *paths, size_t npaths,
                            tu_error *err)
{
    tu_desired *d = calloc(1, sizeof *d);

    tu_error_clear(err);
    if (!d) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (tu_doc_load(&d->doc, paths, npaths, err) != 0) {
        free(d);
        return NULL;
    }
    return desired_finish(d, err);
}

tu_desired *tu_desired_load_json(const json_t *document, const char *name,
                                 tu_error *err)
{
    tu_desired *d = calloc(1, sizeof *d);

    tu_error_clear(err);
    if (!d) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (tu_doc_load_value(&d->doc, document, name ? name : "<inline>",
                          err) != 0) {
        free(d);
        return NULL;
    }
    return desired_finish(d, err);
}

const char *tu_desired_secret(const tu_desired *d, size_t index)
{
    return index < d->target.nsecrets ? d->target.secrets[index] : NULL;
}

size_t tu_desired_record_count(const tu_desired *d)
{
    return d->records.count;
}

void tu_desired_free(tu_desired *d)
{
    if (!d)
        return;
    tu_recordset_free(&d->records);
    tu_target_free(&d->target);
    tu_doc_free(&d->doc);
    free(d);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int cancel_requested(void *flag)
{
    return *(volatile sig_atomic_t *)flag != 0;
}

tu_exec *tu_desired_exec(const tu_desired *d, const tu_options *o,
                         long *concurrency, tu_error *err)
{
    const tu_settings *s = &d->doc.settings;
    tu_exec_config cfg;

    tu_exec_config_init(&cfg);
    cfg.concurrency = o->concurrency > 0 ? o->concurrency : s->concurrency;
    cfg.timeout_ms = (long)(s->timeout * 1000);
    cfg.connect_timeout_ms = (long)(s->connect_timeout * 1000);
    cfg.max_attempts = (unsigned)s->retries + 1;
    cfg.retry_base_ms = (long)(s->retry_delay * 1000);
    cfg.retry_max_ms = (long)(s->retry_max_delay * 1000);
    cfg.rate_limit = s->rate_limit;
    cfg.adaptive = s->adaptive;
    cfg.deadline_ms = (long)(s->deadline * 1000);
    cfg.max_body_bytes = (size_t)s->max_response_mb * 1024 * 1024;
    cfg.headers = d->target.headers;
    cfg.ca_file = d->target.tls.ca_file;
    cfg.client_cert = d->target.tls.client_cert;
    cfg.client_key = d->target.tls.client_key;
    cfg.insecure = d->target.tls.insecure;
    if (o->cancel) {
        cfg.should_stop = cancel_requested;
        cfg.stop_data = (void *)o->cancel;
    }
    *concurrency = cfg.concurrency;
    return tu_exec_new(&cfg, err);
}

int tu_desired_add_bulk(tu_desired *d, const char *const *match,
                        size_t nmatch, const char *const *set, size_t nset,
                        const tu_bulk_names *names, tu_error *err)
{
    tu_error_clear(err);
    return tu_bulk_add_args(&d->doc.bulk, match, nmatch, set, nset, names,
                            err);
}

/* The desired records of this run: the loaded ones, with the bulk rules
 * applied to the live records when there are any (then built into `own`). */
static const tu_recordset *run_desired(const tu_desired *d,
                                       const tu_recordset *live,
                                       tu_recordset *own, tu_error *err)
{
    tu_keyspec key;
    const char **ignore;
    size_t nignore;

    tu_recordset_init(own);
    if (d->doc.bulk.count == 0)
        return &d->records;
    d->target.ops->describe(d->target.cfg, &key, &ignore, &nignore);
    if (tu_bulk_apply(&d->doc.bulk, &d->records, live, &key,
                      d->target.ops->normalize ? normalize_desired : NULL,
                      (void *)&d->target, own, err) != 0)
        return NULL;
    return own;
}

static int plan_run(const tu_desired *d, const tu_options *o,
                    const tu_recordset *desired, const tu_recordset *live,
                    tu_plan *plan, tu_error *err)
{
    tu_plan_options po;
    tu_keyspec key;

    d->target.ops->describe(d->target.cfg, &key, &po.ignore, &po.nignore);
    po.key = &key;
    po.prune = o->prune >= 0 ? o->prune : d->doc.settings.prune;
    po.change_protected = o->change_protected;
    po.protect = d->target.ops->protect;
    po.protect_data = d->target.cfg;
    po.protect_rules = &d->doc.protect;
    po.prune_scope = &d->doc.prune_scope;
    po.owner = d->doc.settings.owner;
    po.owner_field = po.owner ? d->target.ops->owner_field(d->target.cfg)
                              : NULL;
    return tu_plan_build(plan, desired, live, &po, err);
}

/* The executor broke mid-push: what has no outcome is reported failed. */
static void fail_unfinished(tu_plan *plan)
{
    for (size_t i = 0; i < plan->count; i++) {
        tu_action *a = &plan->actions[i];
        if (a->kind != TU_ACTION_SKIP && a->status == TU_STATUS_PLANNED)
            tu_action_fail(a, "not completed: the HTTP executor failed");
    }
}

static void add_warning(tu_report_facts *facts, const char *text)
{
    size_t i = 0;
    while (i < 3 && facts->warnings[i])
        i++;
    facts->warnings[i] = text;
}

static int cancelled(const tu_options *o)
{
    return o->cancel && *o->cancel;
}

/* Settle the creates that failed after they may have reached the server:
 * re-read the live records; a create whose record is there took effect
 * (ok, with a note), one whose record is not is planned again. Returns the
 * number planned again. */
static size_t recheck_uncertain(const tu_desired *d, tu_exec *exec,
                                tu_plan *plan)
{
    tu_recordset now;
    tu_error ferr = {0};
    size_t again = 0;
    int fetched = -1;
    char note[TU_ERROR_MAX + 128];

    for (size_t i = 0; i < plan->count && fetched < 0; i++) {
        if (plan->actions[i].uncertain)
            fetched = tu_fetch_live(&d->target, &d->records, exec, &now,
                                    NULL, NULL, &ferr);
    }
    for (size_t i = 0; i < plan->count && fetched != -1; i++) {
        tu_action *a = &plan->actions[i];
        if (!a->uncertain)
            continue;
        a->uncertain = 0;
        if (fetched != 0) {
            snprintf(note, sizeof note, "%s (it may have been created: "
                     "re-reading to check failed: %s)", a->error, ferr.message);
            tu_action_fail(a, note);
        } else if (tu_recordset_find(&now, a->desired->key)) {
            snprintf(note, sizeof note, "created, although the request "
                     "failed (%s): re-reading found the record", a->error);
            free(a->error);
            a->error = NULL;
            a->note = strdup(note);
            a->status = TU_STATUS_OK;
        } else {
            free(a->error);
            a->error = NULL;
            a->status = TU_STATUS_PLANNED;
            again++;
        }
    }
    if (fetched == 0)
        tu_recordset_free(&now);
    return again;
}

/* Push the plan, and resend the creates that re-reading shows did not take
 * effect, up to settings.retries rounds: a create is never sent twice
 * blindly. Adds the write requests made to *writes. */
static void push_plan(const tu_desired *d, const tu_options *o,
                      tu_exec *exec, tu_plan *plan, size_t *writes)
{
    for (long round = 0;; round++) {
        tu_exec_stats before, after;
        tu_exec_stats_get(exec, &before);
        if (tu_push_plan(&d->target, exec, plan, o->progress,
                         o->progress_data) != 0) {
            fail_unfinished(plan);
            return;
        }
        tu_exec_stats_get(exec, &after);
        *writes += after.requests - before.requests;
        if (round >= d->doc.settings.retries || cancelled(o) ||
            recheck_uncertain(d, exec, plan) == 0)
            return;
    }
}

/* The facts known before the run: what it is about, the TLS warning.
 * `key` receives the key fields the facts point to. */
static void init_facts(const tu_desired *d, const tu_options *o,
                       tu_report_facts *facts, tu_keyspec *key)
{
    const char **ignore;
    size_t nignore;

    facts->mode = o->mode;
    facts->provider = d->target.ops->name;
    facts->base_url = d->target.base_url;
    d->target.ops->describe(d->target.cfg, key, &ignore, &nignore);
    facts->key = key;
    if (d->target.tls.insecure)
        add_warning(facts, "target.tls.insecure is set: the server's "
                    "certificate was not verified");
}

tu_report *tu_run(const tu_desired *d, const tu_options *o, tu_error *err)
{
    long long start = now_ms();
    tu_report_facts facts = {0};
    char threshold[512];
    tu_exec_stats stats;
    tu_recordset live, bulk_desired;
    const tu_recordset *desired;
    tu_plan plan = {0};
    tu_report *rep = NULL;
    tu_exec *exec;
    tu_keyspec key;

    tu_error_clear(err);
    init_facts(d, o, &facts, &key);
    exec = tu_desired_exec(d, o, &facts.concurrency, err);
    if (!exec)
        return NULL;
    if (tu_fetch_live(&d->target, &d->records, exec, &live, o->progress,
                      o->progress_data,
                      err) != 0)
        goto done;
    desired = run_desired(d, &live, &bulk_desired, err);
    if (!desired || plan_run(d, o, desired, &live, &plan, err) != 0)
        goto done_live;
    if (!o->force && tu_safety_exceeded(&plan, live.count, &d->doc.settings,
                                        threshold, sizeof threshold)) {
        if (o->mode == TU_MODE_APPLY) {
            tu_error_set(err, TU_ERR_THRESHOLD, "%s", threshold);
            goto done_plan;
        }
        add_warning(&facts, threshold);
        facts.threshold_exceeded = 1;
    }
    if (o->mode == TU_MODE_APPLY)
        push_plan(d, o, exec, &plan, &facts.write_requests);
    tu_exec_stats_get(exec, &stats);
    facts.requests = stats.requests;
    facts.retries = stats.retries;
    facts.concurrency_min = stats.concurrency_min;
    facts.concurrency_end = stats.concurrency_now;
    facts.cancelled = o->cancel && *o->cancel;
    facts.elapsed_ms = now_ms() - start;
    facts.out_of_scope = plan.out_of_scope;
    facts.not_owned = plan.not_owned;
    rep = tu_report_build(&plan, &facts);
    if (!rep)
        tu_error_set(err, TU_ERR_NOMEM,
                     "out of memory while writing the report");
done_plan:
    tu_plan_free(&plan);
done_live:
    tu_recordset_free(&bulk_desired);
    tu_recordset_free(&live);
done:
    tu_exec_free(exec);
    if (err)
        tu_target_scrub(&d->target, err->message);
    return rep;
}
