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
 * were ("prepared" text is shown as it is).
 */
#include "module.h"

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

static json_t *entry(const json_t *result)
{
    const char *action = json_string_value(json_object_get(result, "action"));
    const char *key = json_string_value(json_object_get(result, "key"));
    const json_t *changes = json_object_get(result, "changes");
    json_t *before, *after;

    if (!json_is_object(changes))
        changes = NULL;
    if (strcmp(action, "create") == 0) {
        before = state_object("absent");
        after = changes ? side(changes, "after") : state_object("present");
    } else if (strcmp(action, "update") == 0 ||
               strcmp(action, "replace") == 0) {
        json_t *empty = json_object();
        before = side(changes ? changes : empty, "before");
        after = side(changes ? changes : empty, "after");
        json_decref(empty);
    } else {
        before = state_object("present");
        after = state_object("absent");
    }
    if (!before || !after) {
        json_decref(before);
        json_decref(after);
        return NULL;
    }
    return json_pack("{s:o, s:o, s:s, s:s}", "before", before, "after", after,
                     "before_header", key ? key : "?",
                     "after_header", key ? key : "?");
}

static int changed_record(const json_t *result)
{
    const char *action = json_string_value(json_object_get(result, "action"));
    const char *status = json_string_value(json_object_get(result, "status"));

    if (!action || !status)
        return 0;
    if (strcmp(status, "ok") != 0 && strcmp(status, "planned") != 0)
        return 0;
    return strcmp(action, "create") == 0 || strcmp(action, "update") == 0 ||
           strcmp(action, "delete") == 0 || strcmp(action, "replace") == 0;
}

json_t *tu_mod_diff(const json_t *results, size_t cap)
{
    json_t *list = json_array(), *item;
    size_t i, changed = 0;

    if (!list)
        return NULL;
    json_array_foreach(results, i, item) {
        if (!changed_record(item))
            continue;
        if (changed++ < cap &&
            json_array_append_new(list, entry(item)) != 0) {
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
