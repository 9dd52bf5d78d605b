/* fields_apply.c -- per-field rules applied to records: the live record
 * as read, write-only values from the environment, and request bodies in
 * their written form (see fields.h; fields_compare.c compares).
 */
#include "fields.h"
#include "error.h"
#include "util/json_util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading and resolving ---------------------------------------------- */

int tu_field_rules_read(const tu_field_rules *rules, json_t *live)
{
    for (size_t i = 0; rules && i < rules->count; i++) {
        const tu_field_rule *r = &rules->items[i];
        json_t *v, *part;
        /* a value that is not a mapping is already flat: kept */
        if (!r->read || !json_is_object(v = json_object_get(live, r->name)))
            continue;
        part = tu_json_path(v, r->read);
        if (json_object_set(live, r->name, part ? part : json_null()) != 0)
            return -1;
    }
    return 0;
}

int tu_field_rules_reading(const tu_field_rules *rules)
{
    for (size_t i = 0; rules && i < rules->count; i++)
        if (rules->items[i].read)
            return 1;
    return 0;
}

/* $var, or NULL with err set at pos naming `what`. */
static const char *env_value(const char *var, const char *what,
                             tu_srcpos pos, tu_error *err)
{
    const char *v = getenv(var);
    if (!v || !*v) {
        tu_error_at(err, pos, "%s: the environment variable %s is %s; "
                    "export it before running trueup", what, var,
                    v ? "empty" : "not set");
        return NULL;
    }
    return v;
}

/* `name_env: VAR` of the record, taken out (*var NULL when there is
 * none; *holder keeps the name alive). -1 when it is not a string. */
static int take_env_key(json_t *fields, const char *name, const char **var,
                        json_t **holder)
{
    char key[300];
    json_t *v;

    snprintf(key, sizeof key, "%s_env", name);
    v = json_object_get(fields, key);
    *holder = NULL;
    *var = NULL;
    if (!v)
        return 0;
    if (!json_is_string(v))
        return -1;
    *holder = json_incref(v);
    *var = json_string_value(v);
    json_object_del(fields, key);
    return 0;
}

static int set_from_env(json_t *fields, const char *name, const char *var,
                        const char *what, tu_srcpos pos, tu_error *err)
{
    const char *value = env_value(var, what, pos, err);
    if (!value)
        return -1;
    if (json_object_set_new(fields, name, json_string(value)) != 0) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    return 0;
}

static int resolve_one(const tu_field_rule *r, json_t *fields, tu_srcpos pos,
                       tu_error *err)
{
    char what[300];
    const char *var;
    json_t *holder;
    int rc = 0;

    snprintf(what, sizeof what, "record: %s_env", r->name);
    if (take_env_key(fields, r->name, &var, &holder) != 0) {
        tu_error_at(err, pos, "%s: expected the name of an environment "
                    "variable", what);
        return -1;
    }
    if (var && json_object_get(fields, r->name)) {
        tu_error_at(err, pos, "record: both %s and %s_env are given; keep "
                    "one", r->name, r->name);
        rc = -1;
    } else if (var) {
        rc = set_from_env(fields, r->name, var, what, pos, err);
    } else if (!json_object_get(fields, r->name) && r->value_env) {
        snprintf(what, sizeof what, "target.fields.%s.value_env", r->name);
        rc = set_from_env(fields, r->name, r->value_env, what, r->pos, err);
    }
    json_decref(holder);
    return rc;
}

int tu_field_rules_resolve(const tu_field_rules *rules, json_t *fields,
                           tu_srcpos pos, tu_secret_fn secret, void *data,
                           tu_error *err)
{
    for (size_t i = 0; rules && i < rules->count; i++) {
        const tu_field_rule *r = &rules->items[i];
        json_t *v;
        if (!r->write_only)
            continue;
        if (resolve_one(r, fields, pos, err) != 0)
            return -1;
        v = json_object_get(fields, r->name);
        if (json_is_string(v) && secret &&
            secret(json_string_value(v), data) != 0) {
            tu_error_set(err, TU_ERR_NOMEM, "out of memory");
            return -1;
        }
    }
    return 0;
}

/* ---- bodies ------------------------------------------------------------- */

/* Take `rest` (a dotted path) out of `v` (a copy of its own), each item
 * of a list on the way. */
static void drop_path(json_t *v, const char *rest)
{
    const char *dot = strchr(rest, '.');
    char step[512];
    size_t i, len = dot ? (size_t)(dot - rest) : strlen(rest);
    json_t *item;

    json_array_foreach(v, i, item)
        drop_path(item, rest);
    if (!json_is_object(v) || len >= sizeof step)
        return;
    memcpy(step, rest, len);
    step[len] = '\0';
    if (!dot)
        json_object_del(v, step);
    else
        drop_path(json_object_get(v, step), dot + 1);
}

/* A string without the rule's suffix (the apex, the suffix without its
 * first character, as ""): a new reference. */
static json_t *stripped(const char *suffix, json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v), m = strlen(suffix);

    if (n >= m && memcmp(s + n - m, suffix, m) == 0)
        return json_stringn(s, n - m);
    if (n == m - 1 && memcmp(s, suffix + 1, n) == 0)
        return json_string("");
    return json_incref(v);
}

/* A copy of `v`, the value of the field `r`, without the paths inside it
 * whose rule `drop` says so: a new reference, or NULL. */
static json_t *without_paths(const tu_field_rules *rules,
                             const tu_field_rule *r, const json_t *v,
                             int (*drop)(const tu_field_rule *))
{
    size_t len = strlen(r->name);
    json_t *copy = json_deep_copy(v);

    for (size_t i = 0; copy && i < rules->count; i++) {
        const tu_field_rule *p = &rules->items[i];
        if (p->path && drop(p) && strncmp(p->name, r->name, len) == 0 &&
            p->name[len] == '.')
            drop_path(copy, p->name + len + 1);
    }
    return copy;
}

static int not_sent(const tu_field_rule *p)
{
    return p->read_only;
}

static int not_exported(const tu_field_rule *p)
{
    return p->read_only || p->ignored;
}

int tu_field_rules_export(const tu_field_rules *rules, json_t *record)
{
    const char *name;
    json_t *v;

    json_object_foreach(record, name, v) {
        const tu_field_rule *r = tu_field_rule_get(rules, name);
        if (r && r->nested &&
            json_object_set_new(record, name, without_paths(rules, r, v,
                                                            not_exported)))
            return -1;
    }
    return 0;
}

/* The value of the field `r` as it is sent: a new reference, or NULL. */
static json_t *written_value(const tu_field_rules *rules,
                             const tu_field_rule *r, json_t *v)
{
    if (r->strip_suffix && json_is_string(v))
        return stripped(r->strip_suffix, v);
    return r->nested ? without_paths(rules, r, v, not_sent) : json_incref(v);
}

/* 1 when some field is sent otherwise than as it is read. */
static int rewrites(const tu_field_rules *rules)
{
    for (size_t i = 0; rules && i < rules->count; i++) {
        const tu_field_rule *r = &rules->items[i];
        if (r->write_as || r->strip_suffix || (r->path && r->read_only))
            return 1;
    }
    return 0;
}

/* `body` in its written form: each field under its write_as, its value
 * as written_value makes it. Takes `body`; a new object, or NULL. */
static json_t *written(const tu_field_rules *rules, json_t *body)
{
    json_t *out, *v;
    const char *name;

    if (!body || !rewrites(rules))
        return body;
    if (!(out = json_object())) {
        json_decref(body);
        return NULL;
    }
    json_object_foreach(body, name, v) {
        const tu_field_rule *r = tu_field_rule_get(rules, name);
        json_t *w = r ? written_value(rules, r, v) : json_incref(v);
        if (!w || json_object_set_new(out, r && r->write_as ? r->write_as
                                                            : name, w) != 0) {
            json_decref(out);
            out = NULL;
            break;
        }
    }
    json_decref(body);
    return out;
}

/* Whether a field of the desired record goes into an update's body. */
static int sent_on_update(const tu_field_rules *rules, const char *name)
{
    const tu_field_rule *r = tu_field_rule_get(rules, name);
    if (r && r->write_only)
        return r->always;
    return !tu_field_server_owned(rules, name);
}

int tu_field_update_as_changed(const tu_field_rules *rules,
                               const char *const *names, size_t n)
{
    for (size_t i = 0; rules && i < rules->count; i++)
        if (rules->items[i].stored_as)
            return 0;           /* a stored form may join the body */
    for (size_t i = 0; i < n; i++) {
        const tu_field_rule *r = tu_field_rule_get(rules, names[i]);
        if (r && (r->write_only || r->read_only || r->write_as ||
                  r->strip_suffix || r->nested || r->path || r->ref))
            return 0;
    }
    return 1;
}

json_t *tu_field_create_body(const tu_field_rules *rules,
                             const json_t *desired)
{
    json_t *body = json_object();
    const char *name;
    json_t *v;

    json_object_foreach((json_t *)desired, name, v) {
        if (body && !tu_field_server_owned(rules, name) &&
            json_object_set(body, name, v) != 0) {
            json_decref(body);
            body = NULL;
        }
    }
    return written(rules, body);
}

/* A secret's stored form goes back exactly when the secret does not. */
static int stored_forms(const tu_field_rules *rules, json_t *body,
                        const json_t *live)
{
    for (size_t i = 0; rules && i < rules->count; i++) {
        const tu_field_rule *r = &rules->items[i];
        const json_t *kept;
        if (!r->stored_as)
            continue;
        kept = json_object_get(live, r->stored_as);
        if (json_object_get(body, r->name))
            json_object_del(body, r->stored_as);
        else if (kept && json_object_set(body, r->stored_as,
                                         (json_t *)kept) != 0)
            return -1;
    }
    return 0;
}

/* The fields of `from` an update sends, set into `body`. */
static int lay_over(json_t *body, const json_t *from,
                    const tu_field_rules *rules)
{
    const char *name;
    json_t *v;

    json_object_foreach((json_t *)from, name, v) {
        if (sent_on_update(rules, name) && json_object_set(body, name, v) != 0)
            return -1;
    }
    return 0;
}

static int declared_body(json_t *body, const tu_field_rules *rules,
                         const tu_update_input *in)
{
    const json_t *id = in->id ? json_object_get(in->live, in->id) : NULL;
    for (size_t i = 0; i < in->key->count; i++) {
        const char *k = in->key->fields[i];
        json_t *v = json_object_get(in->desired, k);
        if (v && json_object_set(body, k, v) != 0)
            return -1;
    }
    if (id && !tu_field_server_owned(rules, in->id) &&
        json_object_set(body, in->id, (json_t *)id) != 0)
        return -1;
    return lay_over(body, in->desired, rules);
}

static int changed_body(json_t *body, const tu_field_rules *rules,
                        const tu_update_input *in)
{
    for (size_t i = 0; i < in->nchanged; i++) {
        const char *name = in->changed[i];
        json_t *v = json_object_get(in->desired, name);
        if (v && sent_on_update(rules, name) &&
            json_object_set(body, name, v) != 0)
            return -1;
    }
    return 0;
}

json_t *tu_field_update_body(const tu_field_rules *rules, tu_update_body how,
                             const tu_update_input *in)
{
    json_t *body = json_object();
    const char *name;
    json_t *v;
    int rc = -1;

    if (!body)
        return NULL;
    if (how == TU_BODY_CHANGED) {
        rc = changed_body(body, rules, in);
    } else if (how == TU_BODY_DECLARED) {
        rc = declared_body(body, rules, in);
    } else {
        rc = 0;
        json_object_foreach((json_t *)in->live, name, v) {
            if (rc == 0 && tu_field_readable(rules, name))
                rc = json_object_set(body, name, v);
        }
        rc = rc == 0 ? lay_over(body, in->desired, rules) : -1;
    }
    if (rc != 0 || stored_forms(rules, body, in->live) != 0) {
        json_decref(body);
        return NULL;
    }
    return written(rules, body);
}
