/* export.c -- the live records as a desired-state document (tu_export).
 *
 * Fetches the live records as tu_run does, and writes each as a desired-
 * state file would declare it: the provider's export_record when it has
 * one, else every field but the ignored ones, key fields first. Planning the target with the exported records shows no
 * changes, which is how an existing zone or API is adopted.
 */
#include "trueup/trueup.h"
#include "desired.h"
#include "fetch.h"
#include "state/error.h"
#include "state/yaml_emit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every field but the ignored ones, key fields first. */
static json_t *default_export(const tu_target *t, const tu_record *live)
{
    tu_keyspec key;
    const char **ignore;
    size_t nignore;

    t->ops->describe(t->cfg, &key, &ignore, &nignore);
    return tu_record_declared(live->fields, &key, ignore, nignore, NULL);
}

static json_t *exported_records(const tu_target *t, const tu_recordset *live)
{
    json_t *records = json_array();

    for (size_t i = 0; records && i < live->count; i++) {
        const tu_record *r = &live->items[i];
        json_t *item = t->ops->export_record
                           ? t->ops->export_record(t->cfg, r)
                           : default_export(t, r);
        if (item && json_array_append_new(records, item) != 0) {
            json_decref(records);
            return NULL;
        }
    }
    return records;
}

char *tu_export(const tu_desired *d, const tu_options *o, tu_error *err)
{
    tu_recordset live;
    json_t *records = NULL;
    char comment[600], *yaml = NULL;
    long concurrency;
    tu_exec *exec;

    tu_error_clear(err);
    exec = tu_desired_exec(d, o, &concurrency, err);
    if (!exec)
        return NULL;
    if (tu_fetch_live(&d->target, &d->records, exec, &live, o->progress,
                      o->progress_data,
                      err) == 0) {
        records = exported_records(&d->target, &live);
        snprintf(comment, sizeof comment, "trueup %s export: %zu records of "
                 "%s", tu_version(), json_array_size(records),
                 d->target.base_url);
        if (records)
            yaml = tu_yaml_emit_records(records, comment, err);
        else
            tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        json_decref(records);
        tu_recordset_free(&live);
    }
    tu_exec_free(exec);
    if (err)
        tu_target_scrub(&d->target, err->message);
    return yaml;
}
