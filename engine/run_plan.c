/* run_plan.c -- the steps of applying a plan file exactly: its records,
 * its check against the live records, its used marker.
 *
 * A plan file's run (tu_plan_file_run in easy.c, tu_job_new_plan in
 * job_loop.c) is a job (job.c) whose plan step is tu_plan_file_plan
 * instead of a diff:
 *
 *   1. refuse a plan already applied: PATH.applied exists;
 *   2. re-read the live records (the provider's fetch, as a run does, for
 *      the records of the changes; of the plan's shard);
 *   3. compare each planned record with the live value it was planned
 *      against (every field but the ignored ones, each as its field rules
 *      compare it: a path ignored inside it does not count): a create
 *      needs the record still absent, an update or delete the record
 *      unchanged. Any difference refuses the whole plan, naming the
 *      records;
 *   4. rebuild the plan's actions from the file, on the records just read:
 *      nothing is planned anew, nothing else is touched;
 *   5. apply mode: create PATH.applied (O_EXCL, synced) BEFORE the first
 *      write, so a crash or a second apply cannot push the plan twice;
 *      then push as a run does, and report.
 *
 * Without the marker a second apply is refused all the same: what the
 * first one changed no longer matches the values the plan holds (a create
 * finds its record present). The marker also covers a plan whose changes
 * all failed, and two applies started at once (only one creates it).
 */
#include "trueup/trueup.h"
#include "desired.h"
#include "plan_file.h"
#include "util/buffer.h"
#include "state/error.h"
#include "util/json_util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STALE_SHOWN 10    /* stale records named in the error at most */

/* The target's key and ignored fields, and its field rules. */
typedef struct pf_fields {
    tu_keyspec key;
    const char **ignore;
    size_t nignore;
    const tu_field_rules *rules;
} pf_fields;

static void fields_of(const tu_plan_file *p, pf_fields *f)
{
    const tu_target *t = &p->desired->target;
    t->ops->describe(t->cfg, &f->key, &f->ignore, &f->nignore);
    f->rules = &t->fields;
}

/* ---- the used marker ---------------------------------------------------- */

static char *marker_path(const char *path)
{
    size_t len = strlen(path) + sizeof TU_PLAN_FILE_USED_SUFFIX;
    char *m = malloc(len);
    if (m)
        snprintf(m, len, "%s%s", path, TU_PLAN_FILE_USED_SUFFIX);
    return m;
}

static int already_applied(const char *path, const char *marker,
                           tu_error *err)
{
    if (access(marker, F_OK) != 0)
        return 0;
    tu_error_set(err, TU_ERR_PLAN,
                 "%s was applied already (%s records it): a plan file "
                 "is applied once; make a new plan", path, marker);
    return 1;
}

/* Sync the directory holding `path`, so the new entry survives a crash. */
static int sync_dir(const char *path)
{
    char *copy = strdup(path);
    int fd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY) : -1;
    int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;

    if (fd >= 0)
        close(fd);
    free(copy);
    return rc;
}

/* Create the marker, or fail when it exists (a concurrent apply won). */
int tu_plan_file_mark(const tu_plan_file *p, tu_error *err)
{
    const char *path = p->path;
    const tu_planfile *pf = &p->pf;
    char *marker = marker_path(p->path), line[256], now[32];
    time_t t = time(NULL);
    struct tm tm;
    int fd = marker ? open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                           0644) : -1;
    int rc = -1;

    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(line, sizeof line, "{\"applied_at\": \"%s\", \"checksum\": "
             "\"%.64s\", \"pid\": %ld}\n", now, pf->checksum, (long)getpid());
    if (fd >= 0) {
        int written = write(fd, line, strlen(line)) == (ssize_t)strlen(line)
                      && fsync(fd) == 0;
        if (close(fd) == 0 && written && sync_dir(marker) == 0)
            rc = 0;
    }
    if (rc != 0 && fd < 0 && errno == EEXIST)
        already_applied(path, marker, err);
    else if (rc != 0)
        tu_error_set(err, TU_ERR_IO,
                     "cannot record %s as applied in %s: %s", path,
                     marker ? marker : "?", strerror(errno));
    free(marker);
    return rc;
}

/* ---- records ------------------------------------------------------------ */

/* Add a record of `fields` to `set` under the provider's key. NULL when a
 * key field is missing (the file is damaged) or out of memory. */
static const tu_record *add_record(const tu_plan_file *p,
                                   const pf_fields *f, tu_recordset *set,
                                   const json_t *fields, tu_error *err)
{
    char *key, *label;
    const char *missing;
    const tu_record *rec;

    if (tu_record_key(fields, &f->key, &key, &label, &missing) != 0) {
        tu_error_set(err, TU_ERR_PLAN,
                     "%s: a planned record has no key field '%s': the "
                     "plan file does not fit its target; make a new plan",
                     p->path, missing ? missing : "?");
        return NULL;
    }
    rec = tu_recordset_add(set, json_incref((json_t *)fields), key, label,
                           NULL);
    if (!rec)
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
    return rec;
}

/* The records of the changes, for the fetch (by key, or one by one with
 * resource.get) and the push: the desired fields of creates and updates,
 * the live record planned against of deletes; for failures, in `other`,
 * one that carries the key. at[i]: the index of change i's record. */
int tu_plan_file_records(tu_plan_file *p, tu_error *err)
{
    json_t *none = json_object();
    int rc = none ? 0 : -1;
    pf_fields f;

    fields_of(p, &f);
    p->at = calloc(p->pf.count + 1, sizeof *p->at);
    if (!p->at)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < p->pf.count; i++) {
        const tu_planfile_change *c = &p->pf.changes[i];
        tu_recordset *set = c->action == TU_PLANFILE_FAIL
                                ? &p->other : &p->desired->records;
        const json_t *fields = c->action == TU_PLANFILE_DELETE ? c->live
                                                               : c->desired;
        char *key, *label;

        if (c->action == TU_PLANFILE_FAIL) {
            key = strdup(c->key);
            label = strdup(c->key);
            if (!key || !label ||
                !tu_recordset_add(set, json_incref(none), key, label, NULL))
                rc = -1;
        } else if (!add_record(p, &f, set, fields, err)) {
            rc = -2;
        }
        p->at[i] = set->count - 1;
    }
    json_decref(none);
    if (rc == -1)
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
    return rc ? -1 : 0;
}

/* The first field, not an ignored one, in which the live record `now`
 * differs from the one the plan was made against, `then` (present in one
 * only, or with another value as the field's rules compare it: a path
 * ignored inside the field does not count); NULL when they are equal. */
static const char *difference(const pf_fields *r, const json_t *now,
                              const json_t *then)
{
    const char *field;
    json_t *v;

    for (int pass = 0; pass < 2; pass++) {
        json_object_foreach((json_t *)(pass ? then : now), field, v) {
            const json_t *other = json_object_get(pass ? now : then, field);
            int ignored = 0;
            for (size_t k = 0; k < r->nignore && !ignored; k++)
                ignored = strcmp(field, r->ignore[k]) == 0;
            if (!ignored && (!other ||
                             !tu_field_equal(r->rules, field,
                                             pass ? v : other,
                                             pass ? other : v)))
                return field;
        }
    }
    return NULL;
}

/* "FIELD is now X, was Y" into buf. */
static void describe_change(const char *field, const json_t *now,
                            const json_t *then, char *buf, size_t size)
{
    char *a = now ? tu_json_text(now) : NULL;
    char *b = then ? tu_json_text(then) : NULL;

    snprintf(buf, size, "%s is now %.80s, was %.80s", field,
             a ? a : "absent", b ? b : "absent");
    free(a);
    free(b);
}

/* Why `c` no longer holds against the live record `now` (NULL: absent),
 * into buf; 0 when it still holds. */
static int stale_reason(const pf_fields *r, const tu_planfile_change *c,
                        const tu_record *now, char *buf, size_t size)
{
    const char *field;

    if (c->action == TU_PLANFILE_FAIL)
        return 0;
    if (c->action == TU_PLANFILE_CREATE) {
        if (now)
            snprintf(buf, size, "exists now: the plan would create it");
        return now != NULL;
    }
    if (!now) {
        snprintf(buf, size, "is gone: the plan would %s it",
                 tu_planfile_action_name(c->action));
        return 1;
    }
    if (now->ambiguous) {
        snprintf(buf, size, "several live records have its key now");
        return 1;
    }
    field = difference(r, tu_record_fields(now), c->live);
    if (field)
        describe_change(field, json_object_get(tu_record_fields(now), field),
                        json_object_get(c->live, field), buf, size);
    return field != NULL;
}

/* ---- the plan, checked against the live records ------------------------- */

static void add_stale(tu_buffer *msg, size_t *n, const char *key,
                      const char *why)
{
    (*n)++;
    if (*n > STALE_SHOWN)
        return;
    tu_buffer_puts(msg, *n > 1 ? "; " : "");
    tu_buffer_puts(msg, key);
    tu_buffer_puts(msg, " (");
    tu_buffer_puts(msg, why);
    tu_buffer_puts(msg, ")");
}

static void fill_action(const tu_plan_file *p, tu_plan *plan, size_t i,
                        const tu_record *rec, const tu_record *now)
{
    const tu_planfile_change *c = &p->pf.changes[i];
    static const tu_action_kind kinds[] = {TU_ACTION_CREATE, TU_ACTION_UPDATE,
                                           TU_ACTION_DELETE, TU_ACTION_FAIL};
    tu_action *a = &plan->actions[plan->count++];

    memset(a, 0, sizeof *a);
    a->kind = kinds[c->action];
    a->desired = c->action == TU_PLANFILE_DELETE ? NULL : rec;
    a->live = c->action == TU_PLANFILE_FAIL ? NULL : now;
    if (c->action == TU_PLANFILE_FAIL)
        tu_action_fail(a, c->error);
    else if (c->changes)
        a->changes = json_deep_copy(c->changes);
}

int tu_plan_file_plan(const tu_plan_file *p, const tu_recordset *live,
                      tu_plan *plan, tu_error *err)
{
    tu_buffer msg = TU_BUFFER_INIT;
    char why[512];
    size_t stale = 0;
    pf_fields f;

    fields_of(p, &f);
    plan->count = 0;
    memset(&plan->arena, 0, sizeof plan->arena);
    plan->actions = calloc(p->pf.count + 1, sizeof *plan->actions);
    if (!plan->actions) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < p->pf.count; i++) {
        const tu_planfile_change *c = &p->pf.changes[i];
        const tu_recordset *set = c->action == TU_PLANFILE_FAIL
                                      ? &p->other : &p->desired->records;
        const tu_record *rec = &set->items[p->at[i]];
        const tu_record *now = tu_recordset_find(live, rec->key);

        if (rec->ambiguous)
            add_stale(&msg, &stale, tu_record_label(rec),
                      "is planned twice in the plan file");
        else if (stale_reason(&f, c, now, why, sizeof why))
            add_stale(&msg, &stale, tu_record_label(rec), why);
        else
            fill_action(p, plan, i, rec, now);
    }
    if (stale) {
        char more[64] = "";
        if (stale > STALE_SHOWN)
            snprintf(more, sizeof more, "; and %zu more",
                     stale - STALE_SHOWN);
        tu_error_set(err, TU_ERR_PLAN,
                     "%s: the plan is stale: %zu planned record%s "
                     "changed on the server since the plan was made: %s%s; "
                     "make a new plan", p->path, stale, stale == 1 ? "" : "s",
                     msg.data ? msg.data : "", more);
    }
    tu_buffer_free(&msg);
    return stale ? -1 : 0;
}

int tu_plan_file_used(const tu_plan_file *p, tu_error *err)
{
    char *marker = marker_path(p->path);
    int used;

    if (!marker) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return 1;
    }
    used = already_applied(p->path, marker, err);
    free(marker);
    return used;
}
