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
#include "system.h"
#include "util/buffer.h"
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

    for (size_t i = 0; d->system && i < d->system->nparts; i++)
        if (tu_export_check(d->system->parts[i], err) != 0)
            return -1;
    if (d->system)
        return 0;
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

json_t *tu_export_records(const tu_desired *d, const tu_recordset *live,
                          tu_error *err)
{
    return exported_records(&d->target, live, err);
}

/* `text` (a records document) appended with every line indented. */
static int indent_into(tu_buffer *b, const char *text, const char *pad)
{
    const char *p = text;

    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (tu_buffer_puts(b, pad) < 0 || tu_buffer_add(b, p, n) < 0)
            return -1;
        p += n;
    }
    return 0;
}

char *tu_export_system_text(const char *const *names, json_t **records,
                            size_t n, tu_error *err)
{
    tu_buffer b = TU_BUFFER_INIT;
    char line[600];
    size_t total = 0;

    for (size_t i = 0; i < n; i++)
        total += json_array_size(records[i]);
    snprintf(line, sizeof line, "# trueup %s export: %zu records of %zu "
             "resources\nresources:\n", TU_VERSION, total, n);
    if (tu_buffer_puts(&b, line) < 0)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        char *yaml = tu_yaml_emit_records(records[i], NULL, err);
        int rc = yaml ? 0 : -1;
        snprintf(line, sizeof line, "  %s:\n", names[i]);
        if (rc == 0 && (tu_buffer_puts(&b, line) < 0 ||
                        indent_into(&b, yaml, "    ") != 0))
            rc = -1, tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        free(yaml);
        if (rc != 0) {
            tu_buffer_free(&b);
            return NULL;
        }
    }
    return tu_buffer_take(&b);
oom:
    tu_buffer_free(&b);
    tu_error_set(err, TU_ERR_NOMEM, "out of memory");
    return NULL;
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
