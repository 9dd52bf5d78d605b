/* report.h -- the outcome of a run: counts, typed results, JSON.
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

struct tu_report {
    json_t *summary;     /* owned: every member but results */
    /* nresults entries of the results (every action but the skips), in
     * the plan's order, kept typed rather than as JSON: a long report is
     * written straight from these (tu_report_dumpf), read by
     * tu_report_result, and made JSON only when tu_report_json asks.
     * Their strings are in `texts` (action and status static). */
    tu_record_result *results;
    size_t nresults;
    const char **key_names; /* nkey of them, in texts: the target's key */
    size_t nkey;
    tu_arena texts;      /* the results' strings */
    json_t *json;        /* owned: the whole report, made by the first
                            tu_report_json (set atomically) */
    json_t *plan_file;   /* owned; NULL unless options.plan_file */
    tu_counts counts;
    int changed;
    struct tu_report **parts; /* owned: a system's, one per resource, whose
                                 texts the results borrow; NULL: none */
    size_t nparts;
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
    const json_t *left_items; /* items kept by item rules (engine/items.h):
                                 [{key, field, item, reason}], or NULL */
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

/* Room a callback's result is made in (tu_report_action_result), reused
 * from one call to the next. Zeroed to start; tu_result_scratch_free. */
typedef struct tu_result_scratch {
    tu_buffer changes;      /* the changes' JSON text */
    tu_buffer values;       /* the key's values, NUL after each */
    const char **ptrs;      /* into values */
    size_t cap;
} tu_result_scratch;

/* One action's result, as the record callbacks get it; a skip, which the
 * results leave out, as action "skip", status "skipped". `key` names the
 * key fields (borrowed). The strings point into the action, `key` and
 * `scratch`: valid until the action changes or the next call with the
 * same scratch. 0, or -1 when out of memory. */
int tu_report_action_result(const tu_action *action, const tu_keyspec *key,
                            tu_result_scratch *scratch,
                            tu_record_result *out);

void tu_result_scratch_free(tu_result_scratch *scratch);

/* The texts of the results that do not change once planned (the record's
 * label and key values, the changes), made while the plan is pushed, as
 * each action's outcome comes: its records are then in the cache. Made
 * after the push,
 * at 10,000 results, they were 7-12 ms of cache misses after the last
 * response, against 2 ms in a plan that had just read the records. */
typedef struct tu_report_text {
    const char *key;       /* NULL: not made yet */
    const char *changes;   /* NULL: none */
    const char **key_values; /* key_count of them; NULL: not known */
    size_t key_count;
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

/* Every member of a report but results (docs/report.md's order), for the
 * counts in rep; `plan` (NULL: none) gives left_alone. NULL when out of
 * memory. */
json_t *tu_report_summary_json(const tu_report *rep,
                               const tu_report_facts *facts,
                               const tu_plan *plan);

/* One report of a system's run from its resources' (report_merge.c):
 * their results one after the other, each with its resource's name, the
 * counts summed, and `resources` beside the totals; the facts are the
 * run's. Takes the n reports (freed with it, or here on failure). NULL
 * when out of memory. */
tu_report *tu_report_merge(tu_report **parts, const char *const *names,
                           size_t n, const tu_report_facts *facts);

#endif
