/* job_int.h -- the inside of a tu_job, shared by its two halves:
 *
 *   job.c       the steps of a run: fetch -> plan -> push -> re-read the
 *               uncertain creates -> push again ... -> report (or: fetch ->
 *               export). Each step starts requests and returns; the next
 *               one starts once the executor has nothing pending.
 *   job_loop.c  the job API: the public tu_job_* entry points, the events
 *               of a caller's loop (watch, the one timer), and
 *               tu_job_perform, the loop of our own behind the blocking
 *               faces (easy.c).
 *
 * job_loop.c calls job.c, never the other way.
 */
#ifndef TU_ENGINE_JOB_INT_H
#define TU_ENGINE_JOB_INT_H

#include "trueup/trueup.h"
#include "desired.h"
#include "executor.h"
#include "fetch.h"
#include "plan.h"
#include "items.h"
#include "push.h"
#include "report.h"

typedef enum job_phase {
    JOB_FETCH,      /* reading the live records */
    JOB_FETCHED,    /* a system's part: read, waiting for the system's plan */
    JOB_PUSH,       /* pushing the plan (a round of it) */
    JOB_RECHECK,    /* re-reading to settle uncertain creates */
    JOB_OVER        /* done was called (or is being called) */
} job_phase;

/* What a part of a system (a child job, one resource) tells the system's
 * run, through pointers that system_run.c sets: the steps never call up. */
typedef struct tu_job_hooks {
    /* nonzero: a planned write not to send yet (tu_push_hooks.hold) */
    int (*hold)(const tu_action *action, void *data);
    /* an action's outcome is known (after the record callbacks) */
    void (*settled)(tu_job *job, tu_action *action, void *data);
    /* nonzero: writes are still held, so the push is not over */
    int (*waiting)(const tu_job *job, void *data);
    void *data;
} tu_job_hooks;

struct tu_sysrun;

struct tu_job {
    const tu_desired *d;
    tu_options o;
    tu_job_callbacks cb;
    tu_job_events events;
    int attached;
    int is_export;
    tu_exec *exec;              /* NULL once the job is over */
    int exec_failed;            /* the executor broke: end the job */
    long cancel_grace_ms;
    job_phase phase;
    tu_fetch *fetch;            /* JOB_FETCH, JOB_RECHECK */
    tu_push *push;              /* JOB_PUSH */
    size_t requests_before;     /* the executor's count when a push began */
    tu_exec_stats prefetched;   /* what reading the live records during the
                                   load took (engine/prefetch.c) */
    int prefetch_taken;         /* this job took the records read so */
    tu_error prefetch_error;    /* code set: that read failed, and so does
                                   the run, at its first step */
    tu_recordset live;
    tu_recordset own_desired;   /* the desired records, bulk rules applied */
    tu_recordset shard_desired; /* --shard: the shard's desired records */
    tu_items items;             /* item-level rules applied (items.h) */
    /* A plan file's run (tu_job_new_plan): the plan comes from it, checked
     * against the live records, and it is marked used before the push. */
    const struct tu_plan_file *plan_source;
    tu_plan plan;
    long round;                 /* push rounds done after the first */
    size_t resends;             /* creates re-sent after re-reading found
                                   them absent: retries in the report */
    tu_report_facts facts;
    tu_keyspec key;             /* the target's key fields, for the facts */
    char threshold[512];
    long long start_ms;
    long long timer_due_ms;     /* when the loop's timer fires; -1: unset */
    tu_report *report;
    tu_report_texts texts;     /* the results' texts, made as the push goes */
    tu_result_scratch scratch; /* the record callbacks' results */
    char *export_text;
    tu_error error;
    int failed;
    int cancelled;              /* tu_job_cancel was called */
    int quiet;                  /* being freed: no more user callbacks */
    int depth;                  /* calls into the job under way */
    int free_requested;         /* tu_job_free inside a callback */
    /* A system (engine/system_run.c): its own job holds `sys`, and one
     * child job per resource, which shares its executor (never frees it
     * nor touches the loop) and stops at JOB_FETCHED for the system's
     * plan. */
    struct tu_sysrun *sys;
    int is_child;
    tu_job_hooks hooks;
    unsigned header_set;        /* the executor's headers this job's
                                   requests send (a system's part whose
                                   target's differ from the first's) */
};

/* job.c: the report's facts known before the run. */
void tu_job_init_facts(tu_job *job);

/* job.c: start the first step (the fetch). 0, or -1 with err set. */
int tu_job_start(tu_job *job, tu_error *err);

/* job.c: the plan and its thresholds (a system's part: called by the
 * system's run). 0, or -1 when the job failed (and is over). */
int tu_job_plan(tu_job *job);

/* job.c: after the plan: push it (apply) or report it. */
void tu_job_after_plan(tu_job *job);

/* job.c: a planned action fails unsent (`why` copied), its outcome
 * known: the callbacks and the hooks hear of it. */
void tu_job_settle_failed(tu_job *job, tu_action *action, const char *why);

/* job.c: end the job: free the steps (and its own executor), call done. */
void tu_job_over(tu_job *job);

/* job.c: end the job failed with `err` (scrubbed of the target's secrets). */
void tu_job_fail(tu_job *job, const tu_error *err);

/* job.c: take every step that can be taken now (the executor has nothing
 * pending, or has broken); the last one calls done. */
void tu_job_advance(tu_job *job);

/* job.c: whether the job was cancelled (tu_job_cancel or options.cancel). */
int tu_job_was_cancelled(const tu_job *job);

/* job.c: free what the steps hold (fetch, push, plan, records, results). */
void tu_job_free_steps(tu_job *job);

#endif
