/* rest_request.c -- the REST provider's requests: what each action sends
 * and where (target.resource.ACTION, read by rest.c).
 *
 * A write's URL is its path filled from the record (the live one for an
 * update or a delete: it has the server's id). Its values are the record's
 * (create: tu_field_create_body; update: as update_body says) with the
 * action's body template (engine/urltemplate.h) expanded and laid over
 * them, the template's keys winning, or with the record put where the
 * template says "{fields}". `send` says where they go: a JSON body, a form
 * body, query parameters added to the URL, or nowhere. A list or a get
 * sends its template's values the same way (tu_rest_read_request), for
 * APIs that read with a POST (Porkbun) or want keys in the query.
 *
 * Form and query values: a string as it is, a number as its shortest
 * text, true/false, null as empty, a list as the parameter repeated; a
 * mapping cannot go (the record fails saying which field). Percent-
 * encoding is urltemplate.c's: everything but A-Z a-z 0-9 - . _ ~.
 */
#include "rest.h"
#include "engine/push.h"
#include "engine/target.h"
#include "engine/urltemplate.h"
#include "state/fields.h"
#include "util/json_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- values and their encodings ------------------------------------------ */

json_t *tu_rest_values(const rest_op *op, const json_t *record,
                       const tu_tmpl_src *src, const char **missing)
{
    tu_tmpl_src with = *src;
    json_t *tmpl, *out;

    *missing = NULL;
    if (!op->body)
        return record ? json_incref((json_t *)record) : json_object();
    with.record = record;
    tmpl = tu_template_json(op->body, &with, missing);
    if (!tmpl || op->wraps || !record)
        return tmpl;
    out = json_copy((json_t *)record);
    if (out && json_object_update(out, tmpl) != 0) {
        json_decref(out);
        out = NULL;
    }
    json_decref(tmpl);
    return out;
}

/* Append "key=value" (after '&' unless it is the first). 0 or -1. */
static int append_pair(tu_buffer *out, const char *key, const json_t *v,
                       int *first)
{
    char *text = NULL;
    int rc;

    if (!*first && tu_buffer_add(out, "&", 1) < 0)
        return -1;
    *first = 0;
    if (tu_percent_encode_into(out, key, strlen(key)) < 0 ||
        tu_buffer_add(out, "=", 1) < 0)
        return -1;
    if (json_is_null(v))
        return 0;
    if (json_is_string(v))
        return tu_percent_encode_into(out, json_string_value(v),
                                      json_string_length(v));
    if (!(text = tu_json_text(v)))
        return -1;
    rc = tu_percent_encode_into(out, text, strlen(text));
    free(text);
    return rc;
}

/* "a=1&b=x&b=y" of a mapping's values. 0, or -1 with *bad (a field that
 * is a mapping or a list holding a container) or not (out of memory). */
static int encode_pairs(const json_t *values, tu_buffer *out, int first,
                        const char **bad)
{
    const char *key;
    json_t *v, *item;
    size_t i;

    json_object_foreach((json_t *)values, key, v) {
        int fits = !json_is_object(v);
        json_array_foreach(v, i, item)
            fits = fits && !json_is_object(item) && !json_is_array(item);
        if (!fits) {
            *bad = key;
            return -1;
        }
        if (!json_is_array(v) && append_pair(out, key, v, &first) < 0)
            return -1;
        json_array_foreach(v, i, item) {
            if (append_pair(out, key, item, &first) < 0)
                return -1;
        }
    }
    return 0;
}

int tu_rest_encode(int send, const json_t *values, tu_buffer *out,
                   const char **bad)
{
    int first;

    *bad = NULL;
    if (send == REST_SEND_NONE)
        return 0;
    if (send == REST_SEND_JSON)
        return tu_json_dumpb(values, JSON_COMPACT, out);
    if (send == REST_SEND_FORM || json_object_size(values) == 0)
        return encode_pairs(values, out, 1, bad);
    /* a query: after '?', or '&' when the URL has one (unless it ends
     * the URL, as '&' may) */
    if (!out->data || !strchr(out->data, '?')) {
        if (tu_buffer_add(out, "?", 1) < 0)
            return -1;
    }
    first = out->data[out->len - 1] == '?' || out->data[out->len - 1] == '&';
    return encode_pairs(values, out, first, bad);
}

/* Why `values` could not be encoded, into why[0..size). */
static void encode_failure(int send, const char *bad, char *why, size_t size)
{
    if (!bad)
        snprintf(why, size, "out of memory");
    else
        snprintf(why, size, "%s is a mapping: %s carries only strings, "
                 "numbers and lists of them", bad, send == REST_SEND_QUERY
                 ? "a query string (send: query)"
                 : "a form body (send: form)");
}

/* Why a template has no value for the placeholder at `missing`. */
static void missing_value(const char *name, const char *missing, char *why,
                          size_t size)
{
    if (!missing)
        snprintf(why, size, "out of memory");
    else
        snprintf(why, size, "target.resource.%s: the record has no value "
                 "for %.*s", name, (int)strcspn(missing, "}") + 1, missing);
}

/* `op`'s values, from `src` and `record`, encoded into `url` (a query)
 * or `body`. 0, or -1 with why[] said. */
static int encode_values(const rest_op *op, const char *name,
                         const json_t *record, const tu_tmpl_src *src,
                         tu_buffer *url, tu_buffer *body, char *why,
                         size_t size)
{
    const char *missing, *bad;
    json_t *values;
    int rc;

    if (op->send == REST_SEND_NONE)
        return 0;
    if (!(values = tu_rest_values(op, record, src, &missing))) {
        missing_value(name, missing, why, size);
        return -1;
    }
    rc = tu_rest_encode(op->send, values,
                        op->send == REST_SEND_QUERY ? url : body, &bad);
    if (rc < 0)
        encode_failure(op->send, bad, why, size);
    json_decref(values);
    return rc;
}

int tu_rest_read_request(const tu_target *t, const rest_op *op,
                         const json_t *record, tu_buffer *url,
                         tu_buffer *body, char *why, size_t why_size)
{
    const rest_cfg *c = t->cfg;
    tu_tmpl_src src = {record, NULL, c->id, t->vars, NULL};

    return encode_values(op, op == &c->list ? "list" : "get", NULL, &src,
                         url, body, why, why_size);
}

/* ---- pushing ------------------------------------------------------------ */

/* The jansson form of a record's fields for one request: a new reference,
 * made from the packed form and dropped after (not kept on the record:
 * the push visits every changed record once). */
static json_t *fields_of(const tu_record *r)
{
    return r ? tu_record_json(r) : NULL;
}

/* For an update that sends the changed fields: only those of the desired
 * record, taken from its packed form (a new object; NULL: none or out of
 * memory). */
static json_t *changed_desired(const tu_action *a, const char *const *names,
                               size_t n)
{
    json_t *out = json_object(), *v;

    for (size_t i = 0; out && i < n; i++) {
        const tu_pfield *f = tu_record_pfield(a->desired, names[i]);
        if (f && (!(v = tu_pfield_json(f)) ||
                  json_object_set_new(out, names[i], v) != 0)) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

/* The names of the fields `a` changes: `stack` when they fit in `cap`,
 * else a malloc'd array (the caller frees what is not `stack`); NULL
 * when out of memory. */
static const char **changed_names(const tu_action *a, const char **stack,
                                  size_t cap, size_t *n)
{
    const char **names = stack;

    *n = tu_action_changed_fields(a, stack, cap);
    if (*n > cap && (names = malloc(*n * sizeof *names)) != NULL)
        tu_action_changed_fields(a, names, *n);
    return names;
}

/* The body of an update, made as resource.update_body says. The changed
 * fields (PATCH's default) need only the desired values of the changed
 * fields, and the live record only for a write-only field's stored form. */
static json_t *update_body(const tu_target *t, const tu_action *a)
{
    const rest_cfg *c = t->cfg;
    tu_keyspec key = {c->key, c->nkey};
    int changed = c->update_body == TU_BODY_CHANGED;
    int need_live = !changed || tu_field_rules_stored(&t->fields);
    const char *stack[16], **names;
    size_t n;
    json_t *desired = NULL, *live = NULL, *body = NULL;

    if (!(names = changed_names(a, stack, 16, &n)))
        return NULL;
    desired = changed && tu_record_packed(a->desired)
                  ? changed_desired(a, names, n) : fields_of(a->desired);
    live = need_live ? fields_of(a->live) : NULL;
    if (desired && (live || !need_live || !a->live)) {
        tu_update_input in = {desired, live, names, n, &key, c->id};
        body = tu_field_update_body(&t->fields,
                                    (tu_update_body)c->update_body, &in);
    }
    json_decref(desired);
    json_decref(live);
    if (names != stack)
        free(names);
    return body;
}

static const rest_op *op_for(const rest_cfg *c, const tu_action *a,
                             const char **name)
{
    switch (tu_action_request(a)) {
    case TU_ACTION_CREATE: *name = "create"; return &c->create;
    case TU_ACTION_UPDATE: *name = "update"; return &c->update;
    default:               *name = "delete"; return &c->del;
    }
}

/* The buffers a push reuses for every request's path, URL and body: no
 * allocation per request once they have grown (tu_push_send_copy copies
 * the URL and body into the write's one block). */
typedef struct rest_scratch {
    tu_buffer path;
    tu_buffer url;
    tu_buffer body;
} rest_scratch;

/* The URL of a's request into s->url. 0, or -1 with a failed. */
static int request_url(const tu_target *t, const rest_op *op,
                       const char *name, tu_action *a, rest_scratch *s)
{
    const rest_cfg *c = t->cfg;
    const tu_record *r = a->live && tu_action_request(a) != TU_ACTION_CREATE
                             ? a->live : a->desired;
    const char *missing = NULL;
    char why[512];
    int rc;

    s->path.len = 0;
    s->url.len = 0;
    if (tu_record_packed(r))
        rc = tu_url_expand_packed(&s->path, op->path, tu_record_packed(r),
                                  c->id, t->vars, &missing);
    else
        rc = tu_url_expand_into(&s->path, op->path, tu_record_fields(r),
                                c->id, t->vars, &missing);
    if (rc < 0) {
        missing_value(name, missing, why, sizeof why);
        tu_action_fail(a, why);
        return -1;
    }
    if (tu_target_url_into(t, s->path.data ? s->path.data : "", &s->url) < 0) {
        tu_action_fail(a, "out of memory");
        return -1;
    }
    return 0;
}

/* The values a create or update sends from its record (the fields'
 * rules applied): a new reference; NULL for a delete, or out of memory
 * (*oom set). */
static json_t *record_values(const tu_target *t, tu_action *a, int *oom)
{
    tu_action_kind kind = tu_action_request(a);
    json_t *desired, *out = NULL;

    *oom = 0;
    if (kind == TU_ACTION_CREATE) {
        desired = fields_of(a->desired);
        out = desired ? tu_field_create_body(&t->fields, desired) : NULL;
        json_decref(desired);
    } else if (kind == TU_ACTION_UPDATE) {
        out = update_body(t, a);
    } else {
        return NULL;
    }
    *oom = out == NULL;
    return out;
}

/* The fields `names` of a's desired record as a JSON object, appended to
 * `body` as tu_rest_encode would write it (a name the record lacks is
 * left out). 0 or -1 (out of memory). */
static int write_changed(const tu_action *a, const char *const *names,
                         size_t n, tu_buffer *body)
{
    int first = 1;

    if (tu_buffer_add(body, "{", 1) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const tu_pfield *f = tu_record_pfield(a->desired, names[i]);
        if (!f)
            continue;
        if ((!first && tu_buffer_add(body, ",", 1) != 0) ||
            tu_json_strb(names[i], strlen(names[i]), body) != 0 ||
            tu_buffer_add(body, ":", 1) != 0 || tu_pfield_dumpb(f, body) != 0)
            return -1;
        first = 0;
    }
    return tu_buffer_add(body, "}", 1);
}

/* An update sending its changed fields as JSON, as the desired record
 * holds them (PATCH's default, no template, no field rule rewriting
 * them), written into `body` straight from the packed fields: no jansson
 * object a request (scenario 2 of bench/run). 1 when written, 0 when the
 * general path applies, -1 when out of memory. The same bytes as
 * update_body and tu_rest_encode would write. */
static int plain_update_body(const tu_target *t, const rest_op *op,
                             const tu_action *a, tu_buffer *body)
{
    const rest_cfg *c = t->cfg;
    const char *stack[16], **names;
    size_t n;
    int rc;

    if (tu_action_request(a) != TU_ACTION_UPDATE ||
        op->send != REST_SEND_JSON || op->body ||
        c->update_body != TU_BODY_CHANGED || !tu_record_packed(a->desired))
        return 0;
    if (!(names = changed_names(a, stack, 16, &n)))
        return -1;
    rc = !tu_field_update_as_changed(&t->fields, names, n) ? 0
         : write_changed(a, names, n, body) != 0 ? -1 : 1;
    if (names != stack)
        free(names);
    return rc;
}

/* The values of a's request into s->body, or into s->url as a query
 * (send says). 0, or -1 with a failed. */
static int request_values(const tu_target *t, const rest_op *op,
                          const char *name, tu_action *a, rest_scratch *s)
{
    const rest_cfg *c = t->cfg;
    json_t *record = NULL, *fields = NULL, *live = NULL;
    char why[512];
    int oom = 0, rc = -1;

    s->body.len = 0;
    if ((rc = plain_update_body(t, op, a, &s->body)) != 0) {
        if (rc < 0)
            tu_action_fail(a, "out of memory");
        return rc < 0 ? -1 : 0;
    }
    rc = -1;
    if (op->send != REST_SEND_NONE)
        record = record_values(t, a, &oom);
    if (op->body && !oom) {   /* the template's names: the record's */
        fields = fields_of(a->desired ? a->desired : a->live);
        live = a->desired && a->live ? fields_of(a->live) : NULL;
    }
    if (oom) {
        snprintf(why, sizeof why, "out of memory");
    } else {
        tu_tmpl_src src = {fields, live, c->id, t->vars, NULL};
        rc = encode_values(op, name, record, &src, &s->url, &s->body, why,
                           sizeof why);
    }
    if (rc < 0)
        tu_action_fail(a, why);
    json_decref(record);
    json_decref(fields);
    json_decref(live);
    return rc;
}

static void push_one(const tu_target *t, tu_push *p, tu_action *a,
                     rest_scratch *s)
{
    const rest_cfg *c = t->cfg;
    const char *name;
    const rest_op *op = op_for(c, a, &name);
    int has_body = op->send == REST_SEND_JSON || op->send == REST_SEND_FORM;
    char msg[512];

    if (!op->method) {
        snprintf(msg, sizeof msg, "target.resource.%s is not set, so trueup "
                 "cannot %s records", name, name);
        tu_action_fail(a, msg);
        return;
    }
    if (request_url(t, op, name, a, s) < 0 ||
        request_values(t, op, name, a, s) < 0)
        return;
    tu_push_send_copy(p, op->method, s->url.data,
                      has_body ? s->body.data ? s->body.data : "" : NULL,
                      s->body.len, strcmp(op->method, "POST") != 0,
                      op->send == REST_SEND_FORM, &a, 1);
}

int tu_rest_push(const tu_target *t, tu_push *p, tu_action **actions,
                 size_t n)
{
    rest_scratch s = {TU_BUFFER_INIT, TU_BUFFER_INIT, TU_BUFFER_INIT};

    for (size_t i = 0; i < n; i++)
        push_one(t, p, actions[i], &s);
    tu_buffer_free(&s.path);
    tu_buffer_free(&s.url);
    tu_buffer_free(&s.body);
    return 0;
}
