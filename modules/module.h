/* module.h -- the Ansible module: shared declarations of its parts.
 *
 * The module is a thin front end over the public API of libtrueup, like the
 * CLI. Ansible runs it as `trueup ARGS_FILE`; it reads the task's arguments
 * from that JSON file and prints exactly one JSON object on stdout.
 *
 *   module_args.c     the arguments: types, conversions, checks
 *   module_secrets.c  secret values: collected, scrubbed, censored
 *   module_diff.c     the per-record `diff` list for --diff
 *   module_output.c   the result object: changed, msg, counts, results ...
 *   module_main.c     main(): read, load, run, print
 *
 * Everything but module_main.c is pure (no network, no stdout) and is
 * linked into the unit tests (tests/unit/test_module_*.c) as well.
 */
#ifndef TU_MODULE_H
#define TU_MODULE_H

#include <stdio.h>
#include <trueup/trueup.h>

#define TU_MOD_NAME "trueup"

/* What Ansible shows in place of a secret in invocation.module_args. */
#define TU_MOD_NO_LOG_VALUE "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"

/* What replaces a secret inside text (msg, results, diff): the same mark
 * the library uses in its own messages. */
#define TU_MOD_SCRUB_MARK "***"

/* Per-record diff entries at most; one more entry says how many were left
 * out. */
#define TU_MOD_DIFF_CAP 100

/* Failed records named in `msg` at most. */
#define TU_MOD_MSG_FAILURES 3

#define TU_MOD_MSG_MAX 4096

/* ---- arguments (module_args.c) ------------------------------------------ */

typedef struct tu_mod_args {
    char **src;           /* desired-state files (owned), or NULL */
    size_t nsrc;
    json_t *document;     /* inline {target, settings, ...} (owned), or NULL */
    char *plan;           /* a plan file to apply exactly (owned), or NULL */
    long concurrency;     /* 0: as the desired state says */
    int prune;            /* -1: as the desired state says; 0; 1 */
    int force;            /* past the safety thresholds */
    int change_protected; /* declared changes to protected records */
    long shard_index;     /* shard: "I/N"; shard_count 0: no shard */
    long shard_count;
    int check_mode;       /* _ansible_check_mode */
    int diff;             /* _ansible_diff */
    int no_log;           /* _ansible_no_log */
    json_t *module_args;  /* the arguments as given, _ansible_* left out */
} tu_mod_args;

/* Ansible's boolean(): true for yes on 1 true y t (any case, blanks
 * around ignored), JSON true and the number 1; false for no off 0 false
 * n f, JSON false and the number 0. 0, or -1 for anything else. */
int tu_mod_bool(const json_t *value, int *out);

/* An integer: a JSON integer, or a string holding a decimal integer
 * (blanks around and a sign allowed). 0, or -1. */
int tu_mod_int(const json_t *value, long *out);

/* Parse and check the task's arguments (a JSON object). 0, or -1 with
 * `msg` saying what is wrong (naming the argument). `args` is filled as
 * far as it got either way and must be freed with tu_mod_args_free. */
int tu_mod_args_parse(const json_t *raw, tu_mod_args *args, char *msg,
                      size_t msgsize);

void tu_mod_args_free(tu_mod_args *args);

/* ---- secrets (module_secrets.c) ----------------------------------------- */

typedef struct tu_mod_secrets {
    char **values;        /* owned, each at least 4 bytes long */
    size_t count;
} tu_mod_secrets;

void tu_mod_secrets_init(tu_mod_secrets *secrets);
void tu_mod_secrets_free(tu_mod_secrets *secrets);

/* Add one secret value (ignored when shorter than 4 bytes, as the library
 * does, or already known). 0, or -1 when out of memory. */
int tu_mod_secrets_add(tu_mod_secrets *secrets, const char *value);

/* 1 when a header or field name looks like it holds a secret
 * (Authorization, X-API-Key, Cookie, *token*, *secret*, *password* ...). */
int tu_mod_sensitive_name(const char *name);

/* The secrets of an inline target: the values of the environment variables
 * its `*_env` keys name (at any depth), the Basic credentials built from
 * auth.username and password_env, and the values of headers whose names
 * look sensitive. */
int tu_mod_secrets_from_target(tu_mod_secrets *secrets, const json_t *target);

/* The same, read from a desired-state file's text: the values of the
 * environment variables named by every `*_env: NAME` in it. The library
 * keeps the secrets of files it loaded to itself, so this reads the text. */
int tu_mod_secrets_from_file(tu_mod_secrets *secrets, const char *path);

/* Values (8 bytes or more) of environment variables whose names look like
 * they hold secrets (API_TOKEN, DB_PASSWORD, ...): a net under the above. */
int tu_mod_secrets_from_environ(tu_mod_secrets *secrets, char *const *envp);

/* `text` with every secret replaced by TU_MOD_SCRUB_MARK; malloc'd (NULL
 * when out of memory). */
char *tu_mod_scrub(const tu_mod_secrets *secrets, const char *text);

/* Scrub every string inside `value` (object keys included) in place.
 * 0, or -1 when out of memory. */
int tu_mod_scrub_json(const tu_mod_secrets *secrets, json_t *value);

/* A copy of the module arguments fit for invocation.module_args: every
 * string that holds a secret, and every value of a header whose name looks
 * sensitive, replaced by TU_MOD_NO_LOG_VALUE. NULL when out of memory. */
json_t *tu_mod_censor_args(const tu_mod_secrets *secrets, const json_t *args);

/* ---- diff (module_diff.c) ----------------------------------------------- */

/* The `diff` list for the report's results (`n` of them, typed): one
 * {before, after, before_header, after_header} per record that changed
 * (apply: status ok) or would change (plan: status planned), at most `cap`
 * of them, then one {"prepared": "... and N more changed records ..."}
 * when more changed. Not scrubbed. NULL when out of memory. */
json_t *tu_mod_diff(const tu_record_result *results, size_t n, size_t cap);

/* ---- output (module_output.c) ------------------------------------------- */

/* "3 created, 120 updated, 0 deleted, 877 unchanged, 0 failed" (apply) or
 * "check mode: 3 to create, ..." (plan), with, when records failed, the
 * first failures among the `n` results before it. Scrubbed. */
void tu_mod_summary(const tu_counts *counts, tu_mode mode,
                    const tu_record_result *results, size_t n,
                    const tu_mod_secrets *secrets, char *msg, size_t msgsize);

/* A run's outcome as the module reads it: the results typed, and the
 * report's JSON for what the module passes on as JSON (its stats,
 * warnings, and the results list, copied). All borrowed. */
typedef struct tu_mod_report {
    const json_t *json;               /* tu_report_json's */
    const tu_record_result *results;  /* nresults of them */
    size_t nresults;
    tu_counts counts;
    int changed;
} tu_mod_report;

/* The module's result for a run that produced `report`. `args` may not be
 * NULL. Everything in it is scrubbed of `secrets`. NULL when out of
 * memory. */
json_t *tu_mod_result(const tu_report *report, const tu_mod_args *args,
                      const tu_mod_secrets *secrets);

/* The same from the report's parts (for tests). */
json_t *tu_mod_result_parts(const tu_mod_report *report,
                            const tu_mod_args *args,
                            const tu_mod_secrets *secrets);

/* A failed result: {"changed": false, "failed": true, "msg": msg} (scrubbed,
 * and "use --force" said as "set force: true"), with invocation when `args`
 * is given and no_log is off. */
json_t *tu_mod_failure(const char *msg, const tu_mod_args *args,
                       const tu_mod_secrets *secrets);

/* Print `result` as one line of JSON on `out`. 0, or -1. */
int tu_mod_print(FILE *out, const json_t *result);

#endif
