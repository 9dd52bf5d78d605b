/* plan_file.c -- plan files: written from a plan, read back as a
 * tu_plan_file (docs/plan-file.md; the format's checks are in
 * state/planfile.c, the run of a plan file in run_plan.c).
 *
 * A plan file holds what an apply needs to push exactly the planned
 * changes and to tell whether they still hold: for each change the record's
 * key, the desired fields, the live record it was planned against, and the
 * field changes; the desired state's target (names of environment
 * variables, never their values) and settings; the options that shaped the
 * plan; and a checksum of it all. Reading one back builds the target again
 * from those, which reads the secrets from the environment of the apply.
 */
#include "trueup/trueup.h"
#include "desired.h"
#include "plan_file.h"
#include "system.h"
#include "state/error.h"
#include "state/planfile.h"
#include "state/yaml_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- writing ------------------------------------------------------------ */

static json_t *change_json(const tu_action *a)
{
    const char *action = a->status == TU_STATUS_FAILED
                             ? "fail" : tu_action_kind_name(a->kind);
    json_t *c = json_pack("{s:s, s:s}", "key", tu_action_label(a),
                          "action", action), *changes;

    if (!c)
        return NULL;
    if (a->status == TU_STATUS_FAILED) {
        json_object_set_new(c, "error", json_string(
            tu_action_error(a) ? tu_action_error(a) : "failed"));
        return c;
    }
    if (a->kind != TU_ACTION_DELETE && a->desired)
        json_object_set(c, "desired", tu_record_fields(a->desired));
    if (a->kind != TU_ACTION_CREATE && a->live)
        json_object_set(c, "live", tu_record_fields(a->live));
    if ((a->clist || a->changes) && a->kind != TU_ACTION_DELETE &&
        (tu_action_changes_json(a, &changes) != 0 ||
         json_object_set_new(c, "changes", changes) != 0)) {
        json_decref(c);
        return NULL;
    }
    return c;
}

static json_t *changes_json(const tu_plan *plan)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < plan->count; i++) {
        const tu_action *a = &plan->actions[i];
        if (a->kind == TU_ACTION_SKIP)
            continue;
        if (json_array_append_new(list, change_json(a)) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

static void utc_now(char *buf, size_t size)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* `pf` (NULL: out of memory) sealed with the options' key; NULL with err
 * set. */
static json_t *sealed(json_t *pf, const tu_options *o, tu_error *err)
{
    if (!pf) {
        tu_error_set(err, TU_ERR_NOMEM,
                     "out of memory while writing the plan file");
        return NULL;
    }
    if (tu_planfile_seal(pf, o->plan_key, err) != 0) {
        json_decref(pf);
        return NULL;
    }
    return pf;
}

json_t *tu_planfile_build(const tu_desired *d, const tu_options *o,
                          const tu_plan *plan, size_t live_count,
                          tu_error *err)
{
    char digest[65], now[32];
    int prune = o->prune >= 0 ? o->prune : d->doc.settings.prune;
    json_t *pf = NULL;

    utc_now(now, sizeof now);
    if (tu_planfile_desired_digest(&d->doc, digest) == 0)
        pf = json_pack("{s:s, s:i, s:s, s:s, s:s, s:O, s:O*, s:{s:b, s:b}, "
                       "s:I, s:o}",
                       "format", TU_PLANFILE_FORMAT,
                       "format_version", TU_PLANFILE_VERSION,
                       "trueup_version", TU_VERSION,
                       "created_at", now,
                       "desired_sha256", digest,
                       "target", d->doc.target,
                       "settings", json_object_get(d->doc.root, "settings"),
                       "options", "prune", prune, "force", o->force,
                       "live_count", (json_int_t)live_count,
                       "changes", changes_json(plan));
    if (pf && o->shard_count > 0 &&
        json_object_set_new(pf, "shard", json_pack(
            "{s:I, s:I}", "index", (json_int_t)o->shard_index,
            "count", (json_int_t)o->shard_count)) != 0) {
        json_decref(pf);
        pf = NULL;
    }
    return sealed(pf, o, err);
}

json_t *tu_planfile_build_system(const tu_desired *d, const tu_options *o,
                                 json_t **parts, size_t n, tu_error *err)
{
    char digest[65], now[32];
    json_t *pf = NULL;

    utc_now(now, sizeof now);
    if (tu_planfile_desired_digest(&d->doc, digest) == 0)
        pf = tu_planfile_system((const char *const *)d->system->names,
                                parts, n,
                                json_object_get(d->doc.root, "settings"),
                                o->force, digest, now);
    for (size_t i = 0; i < n; i++)
        json_decref(parts[i]);
    return sealed(pf, o, err);
}

/* ---- reading ------------------------------------------------------------ */

/* A plan file starts with '{' and names its format near the top (what
 * trueup writes: "format" is its first member), even when it is damaged
 * further down: then loading it says what is wrong. */
int tu_plan_file_detect(const char *path)
{
    char head[4096];
    size_t n = 0, i = 0;
    FILE *f = fopen(path, "r");

    if (!f)
        return 0;
    n = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    head[n] = '\0';
    while (i < n && strchr(" \t\r\n", head[i]) && head[i])
        i++;
    return i < n && head[i] == '{' &&
           strstr(head, "\"" TU_PLANFILE_FORMAT "\"") != NULL;
}

/* A resource's own settings of those its plan holds (the plan has them
 * merged with the run's). A new object. */
static json_t *own_settings(const json_t *settings)
{
    static const char *const own[] = {"prune", "owner", "max_updates",
                                      "max_deletes", "min_existing", NULL};
    json_t *out = json_object();

    for (size_t i = 0; out && own[i]; i++) {
        json_t *v = json_object_get(settings, own[i]);
        if (v && json_object_set(out, own[i], v) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* A system's plan: {settings, resources: {NAME: {target, settings}}}. */
static json_t *system_document(const tu_planfile *pf)
{
    json_t *res = json_object();
    json_t *doc = json_pack("{s:O*, s:o}", "settings", pf->settings,
                            "resources", res);

    for (size_t i = 0; doc && i < pf->nparts; i++) {
        if (json_object_set_new(res, pf->part_names[i], json_pack(
                "{s:O, s:o}", "target", pf->parts[i].target,
                "settings", own_settings(pf->parts[i].settings))) != 0) {
            json_decref(doc);
            return NULL;
        }
    }
    return doc;
}

/* The target and settings of the plan, loaded as a desired state without
 * records: the provider checks the target and the secrets are read. */
static tu_desired *plan_desired(const tu_plan_file *p, tu_error *err)
{
    json_t *doc = p->pf.nparts ? system_document(&p->pf)
                               : json_pack("{s:O, s:O*}", "target",
                                           p->pf.target, "settings",
                                           p->pf.settings);
    tu_desired *d;

    if (!doc) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return NULL;
    }
    d = tu_desired_load_json(doc, p->path, err);
    json_decref(doc);
    return d;
}

/* A system's plan file: one plan file per resource, on the parts of its
 * pf and of its desired state. 0, or -1 with err set. */
static int load_parts(tu_plan_file *p, tu_error *err)
{
    const tu_system *sys = p->desired->system;

    if (!sys || sys->nparts != p->pf.nparts ||
        !(p->parts = calloc(sys->nparts, sizeof *p->parts))) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    p->nparts = sys->nparts;
    for (size_t i = 0; i < sys->nparts; i++) {
        tu_plan_file *part = &p->parts[i];
        part->is_part = 1;
        part->path = p->path;
        part->pf = p->pf.parts[i];
        part->desired = sys->parts[i];
        tu_recordset_init(&part->other);
        if (tu_plan_file_records(part, err) != 0)
            return -1;
    }
    return 0;
}

tu_plan_file *tu_plan_file_load(const char *path, const char *key,
                                tu_error *err)
{
    tu_plan_file *p = calloc(1, sizeof *p);
    unsigned char *text = NULL;
    size_t len = 0;
    int rc = -1;

    tu_error_clear(err);
    if (p)
        tu_recordset_init(&p->other);
    if (!p || !(p->path = strdup(path))) {
        free(p);
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (tu_file_read(path, &text, &len, err) == 0 &&
        tu_planfile_parse((const char *)text, len, path, key, &p->pf,
                          err) == 0 &&
        (p->desired = plan_desired(p, err)) != NULL &&
        (p->pf.nparts ? load_parts(p, err) : tu_plan_file_records(p, err))
            == 0)
        rc = 0;
    free(text);
    if (rc != 0) {
        tu_plan_file_free(p);
        return NULL;
    }
    return p;
}

const tu_desired *tu_plan_file_desired(const tu_plan_file *p)
{
    return p->desired;
}

void tu_plan_file_free(tu_plan_file *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nparts; i++) {
        tu_recordset_free(&p->parts[i].other);
        free(p->parts[i].at);
    }
    free(p->parts);
    tu_desired_free(p->desired);
    tu_recordset_free(&p->other);
    free(p->at);
    tu_planfile_free(&p->pf);
    free(p->path);
    free(p);
}
