/* module_diff.c -- the per-record `diff` list that `ansible-playbook --diff`
 * shows.
 *
 * Ansible's callback takes a list of {before, after, before_header,
 * after_header} and prints each as a unified diff of its own, a mapping
 * serialised as indented JSON, under the headers "--- before: HEADER" and
 * "+++ after: HEADER" (it adds the "before: " and "after: " itself). One
 * entry per record, headed by the record's key, so each record reads as a
 * small section:
 *
 *   update  before {changed field: live value}, after {field: desired}
 *   create  before {"state": "absent"},  after {every field sent}
 *   delete  before {"state": "present"}, after {"state": "absent"}
 *   replace before {changed field: live value}, after {field: desired}, as
 *           an update (write-only values show as "***")
 *
 * Only the records that changed (apply: status ok) or would change (plan:
 * status planned); failed records are in `results` and `msg`. A run that
 * changes thousands of records would print thousands of sections, so the
 * list stops at a cap and ends with one entry saying how many more there
 * were ("prepared" text is shown as it is). It reads the results typed
 * (tu_record_result); the values of their changes stay JSON.
 */
#include "module.h"

#include <stdio.h>
#include <string.h>

static json_t *state_object(const char *state)
{
    return json_pack("{s:s}", "state", state);
}

/* From the report's `changes`: {field: {before?, after}}, one side of it. */
static json_t *side(const json_t *changes, const char *which)
{
    json_t *out = json_object();
    const char *field;
    json_t *change, *value;

    if (!out)
        return NULL;
    json_object_foreach((json_t *)changes, field, change) {
        value = json_object_get(change, which);
        if (!value)
            value = json_null();
        if (json_object_set(out, field, value) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static json_t *entry(const tu_record_result *r)
{
    json_t *changes = r->changes ? json_loads(r->changes, 0, NULL) : NULL;
    json_t *before, *after;

    if (r->changes && !changes)
        return NULL;
    if (!json_is_object(changes)) {
        json_decref(changes);
        changes = NULL;
    }
    if (strcmp(r->action, "create") == 0) {
        before = state_object("absent");
        after = changes ? side(changes, "after") : state_object("present");
    } else if (strcmp(r->action, "update") == 0 ||
               strcmp(r->action, "replace") == 0) {
        json_t *empty = json_object();
        before = side(changes ? changes : empty, "before");
        after = side(changes ? changes : empty, "after");
        json_decref(empty);
    } else {
        before = state_object("present");
        after = state_object("absent");
    }
    json_decref(changes);
    if (!before || !after) {
        json_decref(before);
        json_decref(after);
        return NULL;
    }
    if (r->resource) {   /* a system's record: its resource, then its key */
        char header[1024];
        snprintf(header, sizeof header, "%s: %s", r->resource, r->key);
        return json_pack("{s:o, s:o, s:s, s:s}", "before", before, "after",
                         after, "before_header", header, "after_header",
                         header);
    }
    return json_pack("{s:o, s:o, s:s, s:s}", "before", before, "after", after,
                     "before_header", r->key, "after_header", r->key);
}

static int changed_record(const tu_record_result *r)
{
    if (strcmp(r->status, "ok") != 0 && strcmp(r->status, "planned") != 0)
        return 0;
    return strcmp(r->action, "create") == 0 ||
           strcmp(r->action, "update") == 0 ||
           strcmp(r->action, "delete") == 0 ||
           strcmp(r->action, "replace") == 0;
}

json_t *tu_mod_diff(const tu_record_result *results, size_t n, size_t cap)
{
    json_t *list = json_array();
    size_t changed = 0;

    if (!list)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!changed_record(&results[i]))
            continue;
        if (changed++ < cap &&
            json_array_append_new(list, entry(&results[i])) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    if (changed > cap) {
        char text[160];
        size_t more = changed - cap;
        snprintf(text, sizeof text, "... and %zu more changed record%s (not "
                 "shown: see the task's results)\n", more,
                 more == 1 ? "" : "s");
        if (json_array_append_new(list, json_pack("{s:s}", "prepared",
                                                  text)) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}
