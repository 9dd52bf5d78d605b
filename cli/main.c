/* main.c -- the trueup command: parse, load, run, report, exit status.
 *
 *   trueup plan|apply [options] FILE...
 *   trueup plan|apply [options] PLANFILE
 *   trueup watch [options] SET...        (watch.c)
 *
 * The whole job is three calls into libtrueup: tu_desired_load_overlapped
 * (which reads the live records while a large records file loads), tu_run
 * and tu_report_dumpf (for a plan file: tu_plan_file_load,
 * tu_plan_file_run).
 * This file maps their outcome to an exit status (docs/cli.md) and keeps
 * diagnostics on stderr, the report on stdout.
 */
#include "cli.h"
#include "watch.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

static int exit_status(const tu_cli_args *args, const tu_report *report)
{
    tu_counts counts;
    tu_report_counts(report, &counts);
    if (args->mode == TU_MODE_APPLY)
        return counts.failed ? TU_EXIT_FAILED : TU_EXIT_OK;
    if (args->detailed_exitcode && tu_report_changed(report))
        return TU_EXIT_CHANGES;
    return TU_EXIT_OK;
}

static int export_records(const tu_cli_args *args, const tu_desired *d,
                          const tu_options *options)
{
    tu_error err = {0};
    char *yaml = tu_export(d, options, &err);
    int status = TU_EXIT_OK;

    if (!yaml) {
        tu_cli_error("%s", err.message);
        return TU_EXIT_ERROR;
    }
    if (tu_cli_write_text_out(args, yaml) != 0)
        status = TU_EXIT_ERROR;
    tu_free(yaml);
    return status;
}

/* What the command line's own options would change, said in its words.
 * A refusal is a failure: the results are looked at only after one. */
static void print_hints(const tu_report *report)
{
    const json_t *summary = tu_report_summary(report);
    size_t refused = 0;
    tu_counts counts;

    if (json_is_true(json_object_get(summary, "threshold_exceeded")))
        fputs("trueup: hint: --force goes past the safety thresholds\n",
              stderr);
    tu_report_counts(report, &counts);
    if (!counts.failed)
        return;
    for (size_t i = 0; i < tu_report_result_count(report); i++) {
        const char *why = tu_report_result(report, i)->refused;
        refused += why && strcmp(why, "protected") == 0;
    }
    if (refused)
        fprintf(stderr, "trueup: hint: %zu declared change%s to protected "
                "records %s refused; --change-protected makes %s\n", refused,
                refused == 1 ? "" : "s", refused == 1 ? "was" : "were",
                refused == 1 ? "it" : "them");
}

/* The report's warnings, and an interruption, said on stderr too. */
static void print_warnings(const tu_cli_args *args, const tu_report *report)
{
    const json_t *json = tu_report_summary(report);
    size_t i;
    json_t *w;
    tu_counts counts;

    if (args->quiet)
        return;
    json_array_foreach(json_object_get(json, "warnings"), i, w)
        fprintf(stderr, "trueup: warning: %s\n", json_string_value(w));
    print_hints(report);
    if (json_is_true(json_object_get(json, "cancelled"))) {
        tu_report_counts(report, &counts);
        fprintf(stderr, "trueup: interrupted: %zu record%s not done (see "
                "the report); run again to converge\n", counts.failed,
                counts.failed == 1 ? "" : "s");
    }
}

/* The library's messages about a bulk rule name the CLI's options. */
static const tu_bulk_names bulk_options = {"--match", "--set"};

/* "loading FILE" (or "loading N files") on the progress line. */
static void draw_loading(tu_cli_progress *progress, const tu_cli_args *args)
{
    char text[300];

    if (args->nfiles == 1)
        snprintf(text, sizeof text, "loading %.280s", args->files[0]);
    else
        snprintf(text, sizeof text, "loading %zu files", args->nfiles);
    tu_cli_progress_phase(progress, text);
}

/* The options every run takes from the command line (the progress line
 * is set up by the caller). */
static void set_options(const tu_cli_args *args, tu_options *options,
                        tu_cli_progress *progress)
{
    tu_options_init(options);
    options->mode = args->mode;
    options->concurrency = args->concurrency;
    options->prune = args->prune;
    options->force = args->force;
    options->change_protected = args->change_protected;
    options->plan_file = args->out != NULL;
    options->plan_key = getenv("TRUEUP_PLAN_KEY");
    options->shard_index = args->shard_index;
    options->shard_count = args->shard_count;
    options->progress = progress->enabled ? tu_cli_progress_update : NULL;
    options->progress_data = progress;
    options->cancel = tu_cli_signals_install();
}

/* A run's outcome: the error, or the warnings, the report, the plan file
 * and the exit status. */
static int finish(const tu_cli_args *args, tu_report *report,
                  const tu_error *err)
{
    int status;

    if (!report) {
        tu_cli_error("%s", err->code == TU_ERR_CANCELLED ? "interrupted "
                     "while reading the live records" : err->message);
        if (err->code == TU_ERR_THRESHOLD)
            fputs("trueup: hint: --force goes past the safety thresholds\n",
                  stderr);
        if (args->mode == TU_MODE_APPLY)
            fputs("trueup: nothing was pushed\n", stderr);
        return TU_EXIT_ERROR;
    }
    print_warnings(args, report);
    status = exit_status(args, report);
    if (args->out && tu_report_plan_file(report) &&
        tu_cli_write_plan_file(args, tu_report_plan_file(report)) != 0)
        status = TU_EXIT_ERROR;
    if (tu_cli_write_report(args, report) != 0 && status == TU_EXIT_OK)
        status = TU_EXIT_ERROR;
    tu_report_free(report);
    return status;
}

/* The options a plan file does not take: it is applied as planned. */
static int check_plan_file_args(const tu_cli_args *args)
{
    const char *wrong = args->prune >= 0 ? (args->prune ? "--prune"
                                                         : "--no-prune")
                        : args->nmatch ? "--match" : args->nset ? "--set"
                        : args->out ? "--out"
                        : args->shard_count ? "--shard" : NULL;
    if (!wrong)
        return 0;
    tu_cli_error("%s: a plan file is applied exactly as it was planned; %s "
                 "belongs to 'trueup plan --out' when the plan is made",
                 args->files[0], wrong);
    return -1;
}

/* trueup plan|apply PLANFILE: check (plan) or apply exactly the plan. */
static int run_plan_file(const tu_cli_args *args)
{
    tu_error err = {0};
    tu_options options;
    tu_cli_progress progress;
    tu_plan_file *plan;
    tu_report *report = NULL;

    if (check_plan_file_args(args) != 0)
        return TU_EXIT_ERROR;
    tu_cli_progress_init(&progress, args->quiet ? 0 : args->progress);
    set_options(args, &options, &progress);
    plan = tu_plan_file_load(args->files[0], options.plan_key, &err);
    if (plan)
        report = tu_plan_file_run(plan, &options, &err);
    tu_cli_progress_clear(&progress);
    tu_plan_file_free(plan);
    return finish(args, report, &err);
}

static int run(const tu_cli_args *args)
{
    tu_error err = {0};
    tu_options options;
    tu_cli_progress progress;
    tu_desired *desired;
    tu_report *report;
    int status;

    if (!args->export && args->nfiles == 1 &&
        tu_plan_file_detect(args->files[0]))
        return run_plan_file(args);
    tu_cli_progress_init(&progress, args->quiet ? 0 : args->progress);
    draw_loading(&progress, args);
    desired = tu_desired_load_overlapped(args->files, args->nfiles, &err);
    if (desired && (args->nmatch || args->nset) &&
        tu_desired_add_bulk(desired, args->match, args->nmatch, args->set,
                            args->nset, &bulk_options, &err) != 0) {
        tu_desired_free(desired);
        desired = NULL;
    }
    if (!desired) {
        tu_cli_progress_clear(&progress);
        tu_cli_error("%s", err.message);
        return TU_EXIT_ERROR;
    }
    set_options(args, &options, &progress);
    if (args->export) {
        status = export_records(args, desired, &options);
        tu_cli_progress_clear(&progress);
        tu_desired_free(desired);
        return status;
    }
    report = tu_run(desired, &options, &err);
    tu_cli_progress_clear(&progress);
    tu_desired_free(desired);
    return finish(args, report, &err);
}

int main(int argc, char **argv)
{
    tu_cli_args args;
    int status;

    if (tu_cli_parse(argc, argv, &args) != 0) {
        tu_cli_args_free(&args);
        return TU_EXIT_ERROR;
    }
    tu_cli_tune_memory(args.files, args.nfiles);
    if (args.help) {
        tu_cli_usage(stdout);
        status = TU_EXIT_OK;
    } else if (args.version) {
        printf("trueup %s (libcurl %s, jansson %s)\n", tu_version(),
               curl_version_info(CURLVERSION_NOW)->version,
               jansson_version_str());
        status = TU_EXIT_OK;
    } else if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        tu_cli_error("libcurl could not be initialised");
        status = TU_EXIT_ERROR;
    } else {
        status = args.watch ? tu_cli_watch(&args) : run(&args);
        curl_global_cleanup();
    }
    tu_cli_args_free(&args);
    return status;
}
