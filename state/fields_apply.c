/* fields_apply.c -- per-field rules applied to values and records: the
 * comparison, the live record as read, write-only values from the
 * environment, and request bodies (see fields.h).
 *
 * A comparison under a normalising rule builds the normal form of both
 * values (split, lower-case, sorted and de-duplicated by canonical text)
 * and compares those with tu_json_equal, so 600 still equals 600.0.
 */
#include "fields.h"
#include "error.h"
#include "util/json_util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- comparing ---------------------------------------------------------- */

static json_t *split_text(const char *s, const char *sep)
{
    json_t *out = json_array();
    size_t seplen = strlen(sep);

    while (out && s) {
        const char *end = strstr(s, sep);
        size_t len = end ? (size_t)(end - s) : strlen(s);
        while (len && isspace((unsigned char)*s)) {
            s++;
            len--;
        }
        while (len && isspace((unsigned char)s[len - 1]))
            len--;
        if (len && json_array_append_new(out, json_stringn(s, len)) != 0) {
            json_decref(out);
            return NULL;
        }
        s = end ? end + seplen : NULL;
    }
    return out;
}

static json_t *lower(const json_t *v)
{
    char *s = strndup(json_string_value(v), json_string_length(v));
    json_t *out;
    if (!s)
        return NULL;
    for (char *p = s; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    out = json_string(s);
    free(s);
    return out;
}

typedef struct keyed {
    char *text;
    json_t *value;
} keyed;

static int by_text(const void *a, const void *b)
{
    return strcmp(((const keyed *)a)->text, ((const keyed *)b)->text);
}

/* A list sorted by canonical text, repeats dropped; takes `list`. */
static json_t *as_set(json_t *list)
{
    size_t n = json_array_size(list), i;
    keyed *k = calloc(n ? n : 1, sizeof *k);
    json_t *out = k ? json_array() : NULL, *item;

    json_array_foreach(list, i, item) {
        k[i].value = item;
        k[i].text = out ? tu_json_text(item) : NULL;
        if (!k[i].text) {
            json_decref(out);
            out = NULL;
        }
    }
    if (out)
        qsort(k, n, sizeof *k, by_text);
    for (i = 0; out && i < n; i++) {
        if ((i == 0 || strcmp(k[i].text, k[i - 1].text) != 0) &&
            json_array_append(out, k[i].value) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    for (i = 0; k && i < n; i++)
        free(k[i].text);
    free(k);
    json_decref(list);
    return out;
}

/* The value as the rule compares it (a new reference), or NULL. */
static json_t *normal_form(const tu_field_rule *r, const json_t *v)
{
    json_t *out;
    size_t i;
    json_t *item;

    if (r->split && json_is_string(v))
        out = split_text(json_string_value(v), r->split);
    else if (r->caseless && json_is_string(v))
        return lower(v);
    else if (json_is_array(v))
        out = json_array();
    else
        return json_incref((json_t *)v);
    if (out && json_is_array(v)) {
        json_array_foreach(v, i, item)
            json_array_append_new(out, r->caseless && json_is_string(item)
                                           ? lower(item) : json_incref(item));
    } else if (out && r->caseless) {
        json_array_foreach(out, i, item)
            json_array_set_new(out, i, lower(item));
    }
    return out && r->set ? as_set(out) : out;
}

int tu_field_equal(const tu_field_rule *r, const json_t *want,
                   const json_t *have)
{
    json_t *a, *b;
    int eq;

    if (!r || !(r->split || r->caseless || r->set))
        return tu_json_equal(want, have);
    a = normal_form(r, want);
    b = normal_form(r, have);
    eq = a && b && tu_json_equal(a, b);
    json_decref(a);
    json_decref(b);
    return eq;
}

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

/* Whether a field of the desired record goes into an update's body. */
static int sent_on_update(const tu_field_rules *rules, const char *name)
{
    const tu_field_rule *r = tu_field_rule_get(rules, name);
    if (r && r->write_only)
        return r->always;
    return !tu_field_server_owned(rules, name);
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
    return body;
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
    return body;
}
