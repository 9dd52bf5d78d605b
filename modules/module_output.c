/* module_output.c -- the module's result: the one JSON object Ansible reads.
 *
 *   {"changed": true, "msg": "3 created, 120 updated, 0 deleted, 877
 *    unchanged, 0 failed", "mode": "apply",
 *    "counts": {"total", "succeeded", "skipped", "failed", "created",
 *               "updated", "deleted", "replaced"},
 *    "stats": {"requests", "write_requests", "retries", "concurrency",
 *              "connections", "protocols", "elapsed_ms"},
 *    "results": [...], "diff": [...], "invocation": {"module_args": {...}}}
 *
 * The counts live under `counts`, never at the top: Ansible fails a task
 * whenever a top-level `failed` is truthy, so a count of 2 there would fail
 * it for the wrong reason. Top-level `failed: true` is set only when a
 * record failed or the run could not proceed, with the reason in `msg`.
 *
 * The report's `warnings` (a safety threshold the plan passes) become
 * Ansible's top-level `warnings`, which it shows as [WARNING] lines, with
 * hints in a task's words: the library names settings and options, and
 * the module says which of its own arguments (force, change_protected)
 * would change the outcome.
 *
 * With _ansible_no_log the result carries no record values: no diff, no
 * invocation, and results without their `changes`. Everything returned is
 * scrubbed of secrets (module_secrets.c) first. The results are read typed
 * (tu_report_result); the report's JSON is only passed on (its results
 * list, its stats and warnings).
 */
#include "module.h"

#include <stdlib.h>
#include <string.h>

static void append(char *msg, size_t size, const char *text)
{
    size_t n = strlen(msg);
    if (n + 1 < size)
        snprintf(msg + n, size - n, "%s", text);
}

/* "KEY: ERROR" (a system's: "RESOURCE: KEY: ERROR") of a failed result,
 * each part scrubbed; "" when out of memory. */
static void failure_text(const tu_record_result *r,
                         const tu_mod_secrets *secrets, const char *sep,
                         char *part, size_t size)
{
    char *key = tu_mod_scrub(secrets, r->key);
    char *error = r->error ? tu_mod_scrub(secrets, r->error) : NULL;

    if (key && (error || !r->error))
        snprintf(part, size, "%s%s%s%s: %s", sep,
                 r->resource ? r->resource : "", r->resource ? ": " : "",
                 key, error ? error : "failed");
    else
        part[0] = '\0';
    free(key);
    free(error);
}

/* "2 records failed: KEY: ERROR; KEY: ERROR; and 3 more. " */
static void failures(size_t failed, const tu_record_result *results,
                     size_t n, const tu_mod_secrets *secrets, char *msg,
                     size_t size)
{
    size_t shown = 0;
    char part[1024];

    snprintf(part, sizeof part, "%zu record%s failed: ", failed,
             failed == 1 ? "" : "s");
    append(msg, size, part);
    for (size_t i = 0; i < n && shown < TU_MOD_MSG_FAILURES; i++) {
        if (strcmp(results[i].status, "failed") != 0)
            continue;
        failure_text(&results[i], secrets, shown ? "; " : "", part,
                     sizeof part);
        append(msg, size, part);
        shown++;
    }
    if (failed > shown) {
        snprintf(part, sizeof part, "%sand %zu more", shown ? "; " : "",
                 failed - shown);
        append(msg, size, part);
    }
    append(msg, size, ". ");
}

void tu_mod_summary(const tu_counts *c, tu_mode mode,
                    const tu_record_result *results, size_t n,
                    const tu_mod_secrets *secrets, char *msg, size_t size)
{
    char counts[256], replaced[64] = "";
    char *clean;

    msg[0] = '\0';
    if (c->failed)
        failures(c->failed, results, n, secrets, msg, size);
    if (c->replaced)    /* named only when there are any */
        snprintf(replaced, sizeof replaced, mode == TU_MODE_PLAN
                 ? "%zu to replace, " : "%zu replaced, ", c->replaced);
    if (mode == TU_MODE_PLAN)
        snprintf(counts, sizeof counts, "check mode: %zu to create, %zu to "
                 "update, %zu to delete, %s%zu unchanged, %zu failed",
                 c->created, c->updated, c->deleted, replaced, c->skipped,
                 c->failed);
    else
        snprintf(counts, sizeof counts, "%zu created, %zu updated, %zu "
                 "deleted, %s%zu unchanged, %zu failed", c->created,
                 c->updated, c->deleted, replaced, c->skipped, c->failed);
    append(msg, size, counts);
    clean = tu_mod_scrub(secrets, msg);
    if (clean) {
        snprintf(msg, size, "%s", clean);
        free(clean);
    } else {
        snprintf(msg, size, "%s", counts);
    }
}

static json_t *counts_json(const tu_counts *c)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                     "total", (json_int_t)c->total,
                     "succeeded", (json_int_t)c->succeeded,
                     "skipped", (json_int_t)c->skipped,
                     "failed", (json_int_t)c->failed,
                     "created", (json_int_t)c->created,
                     "updated", (json_int_t)c->updated,
                     "deleted", (json_int_t)c->deleted,
                     "replaced", (json_int_t)c->replaced);
}

static json_t *stats_json(const json_t *report)
{
    static const char *const keys[] = {"requests", "write_requests",
                                       "retries", "concurrency",
                                       "connections", "protocols",
                                       "elapsed_ms"};
    json_t *stats = json_object();
    for (size_t i = 0; stats && i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(report, keys[i]);
        if (v && json_object_set(stats, keys[i], v) != 0) {
            json_decref(stats);
            return NULL;
        }
    }
    return stats;
}

/* The report's results, copied (scrubbing changes them), without record
 * values under no_log. */
static json_t *results_copy(const json_t *report, int no_log)
{
    const json_t *results = json_object_get(report, "results");
    json_t *copy = json_is_array(results) ? json_deep_copy(results)
                                          : json_array();
    json_t *item;
    size_t i;

    if (copy && no_log)
        json_array_foreach(copy, i, item)
            json_object_del(item, "changes");
    return copy;
}

/* What the module's own options would change, in a task's words. */
static int add_hints(json_t *list, const tu_mod_report *report)
{
    size_t refused = 0;
    char text[256];

    if (json_is_true(json_object_get(report->json, "threshold_exceeded")) &&
        json_array_append_new(list, json_string("set force: true to go past "
                                                "the safety thresholds")))
        return -1;
    for (size_t i = 0; i < report->nresults; i++) {
        const char *why = report->results[i].refused;
        refused += why && strcmp(why, "protected") == 0;
    }
    if (!refused)
        return 0;
    snprintf(text, sizeof text, "%zu declared change%s to protected records "
             "%s refused; set change_protected: true to make %s", refused,
             refused == 1 ? "" : "s", refused == 1 ? "was" : "were",
             refused == 1 ? "it" : "them");
    return json_array_append_new(list, json_string(text));
}

/* The report's warnings (a safety threshold the plan passes) and the
 * module's hints become Ansible's: a list of strings, shown as [WARNING]
 * lines. */
static int add_warnings(json_t *out, const tu_mod_report *report,
                        const tu_mod_secrets *secrets)
{
    const json_t *warnings = json_object_get(report->json, "warnings");
    json_t *list = json_array(), *item;
    size_t i;

    json_array_foreach(warnings, i, item) {
        if (json_is_string(item) && list &&
            json_array_append(list, item) != 0) {
            json_decref(list);
            return -1;
        }
    }
    if (!list || add_hints(list, report) != 0 ||
        tu_mod_scrub_json(secrets, list) != 0) {
        json_decref(list);
        return -1;
    }
    if (json_array_size(list) == 0) {
        json_decref(list);
        return 0;
    }
    return json_object_set_new(out, "warnings", list);
}

static int add_invocation(json_t *out, const tu_mod_args *args,
                          const tu_mod_secrets *secrets)
{
    json_t *censored;

    if (!args || args->no_log || !args->module_args)
        return 0;
    censored = tu_mod_censor_args(secrets, args->module_args);
    if (!censored)
        return -1;
    return json_object_set_new(out, "invocation",
                               json_pack("{s:o}", "module_args", censored));
}

/* The diff of the results, scrubbed (the results list is scrubbed on its
 * own), under "diff". 0 or -1. */
static int add_diff(json_t *out, const tu_mod_report *report,
                    const tu_mod_secrets *secrets)
{
    json_t *diff = tu_mod_diff(report->results, report->nresults,
                               TU_MOD_DIFF_CAP);

    if (!diff || tu_mod_scrub_json(secrets, diff) != 0) {
        json_decref(diff);
        return -1;
    }
    return json_object_set_new(out, "diff", diff);
}

/* {changed, msg, mode, counts, stats}, and failed when a record failed. */
static json_t *result_head(const tu_mod_report *report, tu_mode mode,
                           const tu_mod_secrets *secrets)
{
    char msg[TU_MOD_MSG_MAX];
    json_t *out;

    tu_mod_summary(&report->counts, mode, report->results, report->nresults,
                   secrets, msg, sizeof msg);
    out = json_pack("{s:b, s:s, s:s, s:o, s:o}",
                    "changed", report->changed,
                    "msg", msg,
                    "mode", mode == TU_MODE_PLAN ? "plan" : "apply",
                    "counts", counts_json(&report->counts),
                    "stats", stats_json(report->json));
    if (out && report->counts.failed &&
        json_object_set_new(out, "failed", json_true()) != 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *tu_mod_result_parts(const tu_mod_report *report,
                            const tu_mod_args *args,
                            const tu_mod_secrets *secrets)
{
    tu_mode mode = args->check_mode ? TU_MODE_PLAN : TU_MODE_APPLY;
    json_t *out, *results;

    results = results_copy(report->json, args->no_log);
    if (!results || tu_mod_scrub_json(secrets, results) != 0 ||
        !(out = result_head(report, mode, secrets))) {
        json_decref(results);
        return NULL;
    }
    if (add_warnings(out, report, secrets) != 0 ||
        (args->diff && !args->no_log && add_diff(out, report, secrets) != 0))
        goto fail;
    if (json_object_set_new(out, "results", results) != 0) {
        results = NULL;
        goto fail;
    }
    results = NULL;
    if (add_invocation(out, args, secrets) != 0)
        goto fail;
    return out;
fail:
    json_decref(results);
    json_decref(out);
    return NULL;
}

json_t *tu_mod_result(const tu_report *report, const tu_mod_args *args,
                      const tu_mod_secrets *secrets)
{
    tu_mod_report parts = {tu_report_json(report), NULL,
                           tu_report_result_count(report), {0},
                           tu_report_changed(report)};
    tu_record_result *results = malloc((parts.nresults ? parts.nresults : 1)
                                       * sizeof *results);
    json_t *out = NULL;

    if (parts.json && results) {
        for (size_t i = 0; i < parts.nresults; i++)
            results[i] = *tu_report_result(report, i);
        parts.results = results;
        tu_report_counts(report, &parts.counts);
        out = tu_mod_result_parts(&parts, args, secrets);
    }
    free(results);
    return out;
}

json_t *tu_mod_failure(const char *msg, const tu_mod_args *args,
                       const tu_mod_secrets *secrets)
{
    char *clean = tu_mod_scrub(secrets, msg);
    json_t *out = json_pack("{s:b, s:b, s:s}", "changed", 0, "failed", 1,
                            "msg", clean ? clean : "the module failed");

    free(clean);
    if (out && add_invocation(out, args, secrets) != 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

int tu_mod_print(FILE *out, const json_t *result)
{
    if (tu_json_dumpf(result, out, JSON_COMPACT) != 0 ||
        fputc('\n', out) == EOF)
        return -1;
    return fflush(out) == 0 ? 0 : -1;
}
