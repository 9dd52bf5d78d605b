/* jobs.h -- what the three embedding examples share: their arguments, and
 * the callbacks that print each record's outcome and each job's report.
 *
 *     embed-EVENTLOOP [--apply] [--cancel N[:K]] FILE...
 *
 * One job per desired-state FILE, all driven by one event loop in one
 * thread. Each record's outcome goes to stderr as it happens:
 *
 *     job 2: host1.example.org.|A update ok
 *
 * and each job's end to stdout, as one line of JSON:
 *
 *     {"job": 2, "report": {...the report, docs/report.md...}}
 *     {"job": 1, "error": {"kind": "fetch", "message": "GET ...: ..."}}
 *
 * --cancel N:K cancels job N (counted from 1) once K of its records have
 * an outcome (K = 0: at once, while it reads the live records).
 * The exit status is 0 when every job ended with a report and no record
 * failed, else 1. Everything runs in one thread.
 */
#ifndef EXAMPLES_EMBEDDING_JOBS_H
#define EXAMPLES_EMBEDDING_JOBS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trueup/trueup.h>

typedef struct example_job {
    int number;            /* 1, 2, ... */
    tu_desired *desired;
    long records;          /* outcomes seen so far */
    long cancel_after;     /* cancel once this many outcomes came; -1: no */
    int ok;                /* ended with a report and no failed record */
} example_job;

typedef struct example_args {
    tu_options options;
    const char **files;
    int nfiles;
    int cancel_job;        /* 0: none */
    long cancel_after;
} example_args;

static int example_parse(int argc, char **argv, example_args *args)
{
    int i;

    memset(args, 0, sizeof *args);
    tu_options_init(&args->options);
    args->files = (const char **)argv + argc;
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--apply") == 0) {
            args->options.mode = TU_MODE_APPLY;
        } else if (strcmp(argv[i], "--cancel") == 0 && i + 1 < argc) {
            char *end;
            args->cancel_job = (int)strtol(argv[++i], &end, 10);
            args->cancel_after = *end == ':' ? strtol(end + 1, NULL, 10) : 1;
        } else {
            break;
        }
    }
    args->files = (const char **)argv + i;
    args->nfiles = argc - i;
    if (args->nfiles < 1 || (i < argc && argv[i][0] == '-')) {
        fprintf(stderr, "usage: %s [--apply] [--cancel N[:K]] FILE...\n",
                argv[0]);
        return -1;
    }
    return 0;
}

static void on_record(tu_job *job, const tu_record_result *r, void *data)
{
    example_job *ej = (example_job *)data;

    fprintf(stderr, "job %d: %s %s %s%s%s\n", ej->number, r->key, r->action,
            r->status, r->message ? ": " : "", r->message ? r->message : "");
    if (++ej->records == ej->cancel_after)
        tu_job_cancel(job);
}

/* The job is over: print its report or its error, and free it. */
static void on_done(tu_job *job, const tu_report *report,
                    const tu_error *error, void *data)
{
    example_job *ej = (example_job *)data;
    json_t *line;
    tu_counts counts;
    char *text;

    if (report) {
        line = json_pack("{s:i, s:O}", "job", ej->number,
                         "report", tu_report_json(report));
        tu_report_counts(report, &counts);
        ej->ok = counts.failed == 0;
    } else {
        line = json_pack("{s:i, s:{s:s, s:s}}", "job", ej->number, "error",
                         "kind", tu_error_code_name(error->code),
                         "message", error->message);
    }
    text = line ? json_dumps(line, JSON_COMPACT) : NULL;
    printf("%s\n", text ? text : "{\"error\": \"out of memory\"}");
    fflush(stdout);
    free(text);
    json_decref(line);
    tu_job_free(job);
}

/* Load job number i's file and make its job (not yet attached). */
static tu_job *example_job_new(const example_args *args, int i,
                               example_job *ej)
{
    tu_job_callbacks callbacks = {on_record, on_done, ej};
    tu_error error;
    tu_job *job;

    ej->number = i + 1;
    ej->cancel_after = args->cancel_job == i + 1 ? args->cancel_after : -1;
    ej->desired = tu_desired_load(&args->files[i], 1, &error);
    if (!ej->desired) {
        fprintf(stderr, "%s\n", error.message);
        return NULL;
    }
    job = tu_job_new(ej->desired, &args->options, &callbacks, &error);
    if (!job)
        fprintf(stderr, "%s\n", error.message);
    return job;
}

/* Once attached: cancel the job at once when --cancel N:0 says so. */
static void example_started(tu_job *job, example_job *ej)
{
    if (ej->cancel_after == 0)
        tu_job_cancel(job);
}

static int example_status(example_job *jobs, int n)
{
    int i, status = 0;

    for (i = 0; i < n; i++) {
        status |= !jobs[i].ok;
        tu_desired_free(jobs[i].desired);
    }
    return status;
}

#endif
