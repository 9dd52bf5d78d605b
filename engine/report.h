/* report.h -- the outcome of a run, as counts and as JSON.
 *
 * Built once from the plan after it was (or was not) pushed; every field
 * is documented in docs/report.md. The members other than results are
 * JSON from the start (the summary); the results stay compact until the
 * report is written (tu_report_dumpf) or asked for as JSON.
 */
#ifndef TU_ENGINE_REPORT_H
#define TU_ENGINE_REPORT_H

#include "trueup/trueup.h"
#include "executor.h"
#include "plan.h"
#include "util/arena.h"

/* One entry of the report's results (an action other than a skip), kept
 * as it is rather than as JSON: a long report is written straight from
 * these (tu_report_dumpf), and made JSON only when tu_report_json asks. */
typedef struct tu_result {
    const char *key;         /* the report's copy */
    const char *action;      /* static: "create", ..., "none" */
    const char *status;      /* static: "planned", "ok", "failed" */
    long http_status;        /* with attempts */
    unsigned attempts;       /* 0: no request was made */
    const char *changes;     /* the report's copy, as compact JSON text;
                                NULL: none */
    const char *error;       /* the report's copy, or NULL */
    const char *refused;     /* static, or NULL */
    const char *note;        /* the report's copy, or NULL */
    const char *id;          /* the report's copy: the id the server gave
                                a created record, or NULL */
} tu_result;

struct tu_report {
    json_t *summary;     /* owned: every member but results */
    tu_result *results;  /* nresults of them, in the plan's order */
    size_t nresults;
    tu_arena texts;      /* the results' strings */
    json_t *json;        /* owned: the whole report, made by the first
                            tu_report_json (set atomically) */
    json_t *plan_file;   /* owned; NULL unless options.plan_file */
    tu_counts counts;
    int changed;
};

typedef struct tu_report_facts {
    tu_mode mode;
    size_t requests;        /* HTTP requests sent, retries included */
    size_t write_requests;  /* of which writes */
    size_t retries;
    long concurrency;       /* the cap */
    long concurrency_min;   /* the lowest adaptive concurrency reached */
    long concurrency_end;   /* where adaptive concurrency ended */
    size_t connections;     /* new connections opened */
    size_t by_version[TU_EXEC_VERSIONS]; /* answers per HTTP version */
    int cancelled;          /* stopped by tu_options.cancel */
    long long elapsed_ms;
    int threshold_exceeded;  /* a plan past a safety threshold (warned) */
    size_t out_of_scope;     /* unnamed live records outside prune_scope */
    size_t not_owned;        /* unnamed live records without our mark */
    const char *warnings[4]; /* NULL-ended: texts a person should read */
    /* What the run was about (the report's "target"; NULL provider: left
     * out): borrowed. base_url loses any user:password@ part. */
    const char *provider;
    const char *base_url;
    const tu_keyspec *key;
    long shard_index, shard_count;  /* shard_count 0: not sharded */
} tu_report_facts;

/* The version of the report's layout (docs/report.md): raised when a field
 * changes meaning or goes away; new fields do not raise it. */
#define TU_REPORT_SCHEMA_VERSION 1

/* One action's entry in the report's results (a new reference; NULL when
 * out of memory); a skip, which the results leave out, as {key, action:
 * "skip", status: "skipped"}. For a job's record callback. */
json_t *tu_report_record_json(const tu_action *action);

/* "planned", "ok", "failed", or "skipped" for a skip. Static. */
const char *tu_report_record_status(const tu_action *action);

/* The texts of the results that do not change once planned (the record's
 * label, the changes), made while the plan is pushed, as each action's
 * outcome comes: its records are then in the cache. Made after the push,
 * at 10,000 results, they were 7-12 ms of cache misses after the last
 * response, against 2 ms in a plan that had just read the records. */
typedef struct tu_report_text {
    const char *key;       /* NULL: not made yet */
    const char *changes;   /* NULL: none */
} tu_report_text;

typedef struct tu_report_texts {
    tu_arena arena;        /* moves into the report that takes them */
    tu_report_text *kept;  /* one per action of the plan; NULL: none */
    size_t count;
    tu_buffer scratch;
} tu_report_texts;

/* Room for the texts of a plan of `nactions` actions. 0, or -1 when out
 * of memory (then nothing is kept: the report makes them all). */
int tu_report_texts_init(tu_report_texts *texts, size_t nactions);

/* Make the texts of one action of `plan`, once. 0 or -1 (out of memory:
 * the report makes them). */
int tu_report_texts_keep(tu_report_texts *texts, const tu_plan *plan,
                         const tu_action *action);

void tu_report_texts_free(tu_report_texts *texts);

/* Count the plan's actions and build the JSON. `texts` (NULL: none) is
 * taken: the report uses the texts made and frees the rest. NULL when out
 * of memory. */
tu_report *tu_report_build(const tu_plan *plan, const tu_report_facts *facts,
                           tu_report_texts *texts);

#endif
