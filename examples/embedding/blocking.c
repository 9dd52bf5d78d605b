/* blocking.c -- the blocking face: load, run, print the report.
 *
 *     embed-blocking [--apply] FILE...
 *
 * The desired-state files are merged into one desired state (as the
 * command line merges them); tu_run fetches, plans and, with --apply,
 * pushes, and returns when it is all over. Each record's outcome is in the
 * report (docs/report.md), printed as JSON on stdout. Exit status: 0 when
 * no record failed, 1 otherwise or on an error (said on stderr with its
 * kind). One thread: no curl_global_init needed (docs/library.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trueup/trueup.h>

/* Say what went wrong, and its kind (bad_input, fetch, threshold...). */
static int fail(const tu_error *error)
{
    fprintf(stderr, "%s: %s\n", tu_error_code_name(error->code),
            error->message);
    return 1;
}

int main(int argc, char **argv)
{
    int apply = argc > 1 && strcmp(argv[1], "--apply") == 0;
    const char *const *files = (const char *const *)argv + 1 + apply;
    size_t nfiles = (size_t)(argc - 1 - apply);
    tu_error error;
    tu_options options;
    tu_desired *desired;
    tu_report *report;
    tu_counts counts;
    char *json;

    if (nfiles == 0) {
        fprintf(stderr, "usage: %s [--apply] FILE...\n", argv[0]);
        return 2;
    }
    desired = tu_desired_load(files, nfiles, &error);
    if (!desired)
        return fail(&error);
    tu_options_init(&options);
    options.mode = apply ? TU_MODE_APPLY : TU_MODE_PLAN;
    report = tu_run(desired, &options, &error);  /* blocks until it is over */
    tu_desired_free(desired);
    if (!report)
        return fail(&error);
    json = json_dumps(tu_report_json(report), JSON_INDENT(2));
    printf("%s\n", json ? json : "{}");
    free(json);
    tu_report_counts(report, &counts);
    tu_report_free(report);
    return counts.failed ? 1 : 0;
}
