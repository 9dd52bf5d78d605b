/* module_main.c -- the Ansible module's main(): read, load, run, print.
 *
 *   trueup ARGS_FILE
 *
 * Ansible copies this binary to the target, writes the task's arguments as
 * JSON beside it and runs it with that file's path. The whole job is the
 * CLI's: tu_desired_load (src) or tu_desired_load_json (inline arguments),
 * tu_run in plan mode under --check and in apply mode otherwise (or, for
 * `plan: PATH`, tu_plan_file_load and tu_plan_file_run), then the
 * report turned into one JSON object on stdout (module_output.c).
 *
 * Whatever happens, exactly one JSON object is printed and the exit status
 * is 0 (Ansible reads `failed` and ignores the status); the status is 1
 * only when not even that could be printed. Nothing goes to stderr.
 */
#include "module.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* The secrets the arguments point at (module_secrets.c). */
static int collect_secrets(const tu_mod_args *args, tu_mod_secrets *secrets)
{
    if (args->document &&
        tu_mod_secrets_from_target(secrets,
                                   json_object_get(args->document,
                                                   "target")) != 0)
        return -1;
    for (size_t i = 0; i < args->nsrc; i++)
        if (tu_mod_secrets_from_file(secrets, args->src[i]) != 0)
            return -1;
    return 0;
}

/* A secret's variable is not set: say how to set it in Ansible. */
static const char *with_hint(const char *message, char *buf, size_t size)
{
    if (!strstr(message, "the environment variable"))
        return message;
    snprintf(buf, size, "%s (with Ansible, set it in the task's "
             "environment: keyword)", message);
    return buf;
}

/* The secrets the library read for the target, exactly: added to those
 * found by scanning the arguments, which remain a second net for output
 * written before the desired state is loaded. */
static int add_library_secrets(const tu_desired *desired,
                               tu_mod_secrets *secrets)
{
    const char *value;
    for (size_t i = 0; (value = tu_desired_secret(desired, i)) != NULL; i++) {
        if (tu_mod_secrets_add(secrets, value) != 0)
            return -1;
    }
    return 0;
}

/* The module's result for a run that ended with `report`, or without one
 * (`err` says why). Frees the report. */
static json_t *outcome(tu_report *report, const tu_error *err, tu_mode mode,
                       const tu_mod_args *args, tu_mod_secrets *secrets)
{
    char msg[TU_ERROR_MAX + 128];
    json_t *result;

    if (!report) {
        snprintf(msg, sizeof msg, "%s%s%s", err->message,
                 err->code == TU_ERR_THRESHOLD ? "; set force: true to go "
                 "past the safety thresholds" : "",
                 mode == TU_MODE_APPLY ? "; nothing was pushed" : "");
        return tu_mod_failure(msg, args, secrets);
    }
    result = tu_mod_result(report, args, secrets);
    tu_report_free(report);
    return result;
}

/* plan: PATH -- check mode checks the plan file against the live records;
 * otherwise it is applied exactly (tu_plan_file_run). */
static json_t *run_plan_file(const tu_mod_args *args, tu_options *options,
                             tu_mod_secrets *secrets)
{
    char msg[TU_ERROR_MAX + 128];
    tu_error err = {0};
    tu_report *report = NULL;
    tu_plan_file *plan;

    options->plan_key = getenv("TRUEUP_PLAN_KEY");
    if (options->plan_key && *options->plan_key &&
        tu_mod_secrets_add(secrets, options->plan_key) != 0)
        return tu_mod_failure("out of memory", args, secrets);
    plan = tu_plan_file_load(args->plan, options->plan_key, &err);
    if (!plan)
        return tu_mod_failure(with_hint(err.message, msg, sizeof msg), args,
                              secrets);
    if (add_library_secrets(tu_plan_file_desired(plan), secrets) != 0) {
        tu_plan_file_free(plan);
        return tu_mod_failure("out of memory", args, secrets);
    }
    report = tu_plan_file_run(plan, options, &err);
    tu_plan_file_free(plan);
    return outcome(report, &err, options->mode, args, secrets);
}

static json_t *run(const tu_mod_args *args, tu_mod_secrets *secrets)
{
    char msg[TU_ERROR_MAX + 128];
    tu_error err = {0};
    tu_options options;
    tu_desired *desired;
    tu_report *report;

    tu_options_init(&options);
    options.mode = args->check_mode ? TU_MODE_PLAN : TU_MODE_APPLY;
    options.concurrency = args->concurrency;
    options.force = args->force;
    if (args->plan)
        return run_plan_file(args, &options, secrets);
    if (args->src)
        desired = tu_desired_load((const char *const *)args->src, args->nsrc,
                                  &err);
    else
        desired = tu_desired_load_json(args->document, "module arguments",
                                       &err);
    if (!desired)
        return tu_mod_failure(with_hint(err.message, msg, sizeof msg), args,
                              secrets);
    if (add_library_secrets(desired, secrets) != 0) {
        tu_desired_free(desired);
        return tu_mod_failure("out of memory", args, secrets);
    }
    options.prune = args->prune;
    options.change_protected = args->change_protected;
    options.shard_index = args->shard_index;
    options.shard_count = args->shard_count;
    report = tu_run(desired, &options, &err);
    tu_desired_free(desired);
    return outcome(report, &err, options.mode, args, secrets);
}

static json_t *module(int argc, char **argv, tu_mod_secrets *secrets)
{
    char msg[TU_MOD_MSG_MAX];
    json_error_t jerr;
    tu_mod_args args;
    json_t *raw, *result;

    if (argc != 2) {
        return tu_mod_failure("usage: " TU_MOD_NAME " ARGS_FILE (an Ansible "
                              "module: Ansible runs it with the path of a "
                              "JSON file holding the task's arguments)",
                              NULL, secrets);
    }
    raw = json_load_file(argv[1], 0, &jerr);
    if (!raw) {
        snprintf(msg, sizeof msg, "cannot read the module's arguments from "
                 "%s: %s (line %d)", argv[1], jerr.text, jerr.line);
        return tu_mod_failure(msg, NULL, secrets);
    }
    if (tu_mod_args_parse(raw, &args, msg, sizeof msg) != 0) {
        result = tu_mod_failure(msg, NULL, secrets);
    } else if (collect_secrets(&args, secrets) != 0) {
        result = tu_mod_failure("out of memory", NULL, secrets);
    } else if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        result = tu_mod_failure("libcurl could not be initialised", &args,
                                secrets);
    } else {
        result = run(&args, secrets);
        curl_global_cleanup();
    }
    tu_mod_args_free(&args);
    json_decref(raw);
    return result;
}

int main(int argc, char **argv)
{
    tu_mod_secrets secrets;
    json_t *result;
    int rc;

    tu_mod_secrets_init(&secrets);
    if (tu_mod_secrets_from_environ(&secrets, environ) != 0)
        result = NULL;
    else
        result = module(argc, argv, &secrets);
    tu_mod_secrets_free(&secrets);
    if (result) {
        rc = tu_mod_print(stdout, result);
        json_decref(result);
    } else {
        rc = fputs("{\"changed\": false, \"failed\": true, \"msg\": \"out of "
                   "memory\"}\n", stdout) == EOF || fflush(stdout) != 0;
    }
    return rc ? 1 : 0;
}
