/* export.c -- the live records as a desired-state document (tu_export).
 *
 * An export job (job.c) fetches the live records as a run does; then
 * tu_export_text writes each as a desired-state file would declare it:
 * the provider's export_record when it has one, else every field but the
 * ignored ones, key fields first; then without the fields target.fields
 * says the server owns or are write-only. Planning the target with the
 * exported records shows no changes, which is how an existing zone or API
 * is adopted. tu_export (easy.c) is the blocking face of that job.
 */
#include "trueup/trueup.h"
#include "desired.h"
#include "export.h"
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
    json_t *fields = tu_record_json(live), *out;

    t->ops->describe(t->cfg, &key, &ignore, &nignore);
    out = fields ? tu_record_declared(fields, &key, ignore, nignore, NULL)
                 : NULL;
    json_decref(fields);
    return out;
}

/* Leave out the fields the server owns and the write-only ones, and the
 * paths inside values that are read_only or ignored (target.fields). 0,
 * or -1 with err set when a field left has the name of the records' state
 * key: the file would not load as it was meant. */
static int export_fields(const tu_target *t, json_t *item, tu_error *err)
{
    const char *name;
    json_t *v, *tmp;

    json_object_foreach_safe(item, tmp, name, v) {
        if (!tu_field_readable(&t->fields, name))
            json_object_del(item, name);
    }
    if (tu_field_rules_export(&t->fields, item) != 0) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < 2; i++) {
        static const char *const own[] = {"state", "takeover"};
        char k[160];
        snprintf(k, sizeof k, "%s%s", t->meta_prefix, own[i]);
        if (!json_object_get(item, k))
            continue;
        tu_error_set(err, TU_ERR_BAD_INPUT, "the live records have a field "
                     "'%s', which a desired-state file reads as trueup's own "
                     "per-record key: set target.meta_prefix to a prefix for "
                     "trueup's own keys (for example 'trueup_') so that '%s' "
                     "is exported as a field, or declare it target.fields.%s:"
                     " read_only if the server owns it", k, k, k);
        return -1;
    }
    return 0;
}

static json_t *exported_records(const tu_target *t, const tu_recordset *live,
                                tu_error *err)
{
    json_t *records = json_array();

    for (size_t i = 0; records && i < live->count; i++) {
        const tu_record *r = &live->items[i];
        json_t *item = t->ops->export_record
                           ? t->ops->export_record(t->cfg, r)
                           : default_export(t, r);
        if (item && export_fields(t, item, err) != 0) {
            json_decref(item);
            json_decref(records);
            return NULL;
        }
        if (item && json_array_append_new(records, item) != 0) {
            json_decref(records);
            records = NULL;
        }
    }
    if (!records)
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
    return records;
}

int tu_export_check(const tu_desired *d, tu_error *err)
{
    const tu_provider_ops *ops = d->target.ops;

    if (d->records.count > 0 || !ops->fetch_uses_desired ||
        !ops->fetch_uses_desired(d->target.cfg))
        return 0;
    tu_error_set(err, TU_ERR_BAD_INPUT, "export: the target reads records "
                 "one by one (target.resource.get), so it reads only the "
                 "records the desired state declares, and it declares none: "
                 "nothing would be exported. Declare the records to read "
                 "(each with the fields its get path names), or give the "
                 "target a list (target.resource.list)");
    return -1;
}

char *tu_export_text(const tu_desired *d, const tu_recordset *live,
                     tu_error *err)
{
    json_t *records = exported_records(&d->target, live, err);
    char comment[600], *yaml = NULL;

    snprintf(comment, sizeof comment, "trueup %s export: %zu records of %s",
             TU_VERSION, json_array_size(records), d->target.base_url);
    if (records)
        yaml = tu_yaml_emit_records(records, comment, err);
    json_decref(records);
    return yaml;
}
