/* urltemplate.c -- filling URL templates from records (see urltemplate.h).
 *
 * A placeholder the record cannot fill (missing, null, a container, an
 * empty string, or a '{' never closed) stops the expansion: a request to
 * the wrong URL is worse than a failed record.
 * Expansion appends to a tu_buffer: a caller that reuses one buffer for
 * every request's URL (the REST provider's push) makes no allocation per
 * URL once it has grown; tu_url_expand is the same into a new string.
 * A record's own field wins over a variable of the same name; a variable
 * fills a record's placeholder only when it has exactly one value.
 */
#include "urltemplate.h"
#include "util/json_util.h"

#include <stdio.h>

#include <stdlib.h>
#include <string.h>

const char *tu_url_template_check(const char *tmpl)
{
    for (const char *p = tmpl; *p; p++) {
        if (*p == '}')
            return "a '}' without its '{'";
        if (*p != '{')
            continue;
        if (p[1] == '}')
            return "an empty placeholder '{}'";
        p = strpbrk(p + 1, "{}");
        if (!p || *p != '}')
            return "a '{' without its '}'";
    }
    return NULL;
}

const char *tu_url_placeholder(const char *p, const char **name, size_t *len)
{
    const char *open = strchr(p, '{'), *close;
    if (!open || !(close = strchr(open, '}')))
        return NULL;
    *name = open + 1;
    *len = (size_t)(close - open - 1);
    return close + 1;
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

/* "." and ".." are dot-segments that servers (and libcurl) resolve away:
 * "/records/.." would become "/". Such values have every dot encoded. */
static int dot_segment(const char *s, size_t len)
{
    return (len == 1 && s[0] == '.') ||
           (len == 2 && s[0] == '.' && s[1] == '.');
}

/* Encode s[0..len) into out (NULL: only measure); `dots`: encode dots
 * too. Returns the encoded length. */
static size_t encode_run(char *out, const char *s, size_t len, int dots)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) && !dots) {
            if (out)
                out[o] = (char)c;
            o++;
        } else {
            if (out) {
                out[o] = '%';
                out[o + 1] = hex[c >> 4];
                out[o + 2] = hex[c & 15];
            }
            o += 3;
        }
    }
    return o;
}

static size_t encode_into(char *out, const char *s, size_t len)
{
    return encode_run(out, s, len, dot_segment(s, len));
}

char *tu_percent_encode(const char *s, size_t len)
{
    char *out = malloc(encode_into(NULL, s, len) + 1);
    if (out)
        out[encode_into(out, s, len)] = '\0';
    return out;
}

/* Where placeholders find their values: a jansson object, or a packed
 * record (read as it is, without building its jansson form). */
typedef struct url_source {
    const json_t *json;
    const tu_packed *packed;
} url_source;

/* A usable value: a scalar that is not null nor an empty string (an empty
 * value would name the collection). */
static int usable(const json_t *v)
{
    return v && !json_is_object(v) && !json_is_array(v) && !json_is_null(v) &&
           !(json_is_string(v) && json_string_length(v) == 0);
}

/* Append s[0..len) percent-encoded, a chunk at a time. 0 or -1. */
static int encode_append(tu_buffer *out, const char *s, size_t len)
{
    char chunk[192];
    int dots = dot_segment(s, len);

    while (len > 0) {
        size_t n = len < sizeof chunk / 3 ? len : sizeof chunk / 3;
        if (tu_buffer_add(out, chunk, encode_run(chunk, s, n, dots)) < 0)
            return -1;
        s += n;
        len -= n;
    }
    return 0;
}

static int append_integer(tu_buffer *out, json_int_t i)
{
    char num[TU_INT_TEXT_MAX];

    return encode_append(out, num, tu_int_text(i, num));
}

/* Append a usable value, encoded: strings and integers without an
 * allocation, other scalars through tu_json_text. 0 or -1. */
static int append_value(tu_buffer *out, const json_t *v)
{
    char *text;
    int rc;

    if (json_is_string(v))
        return encode_append(out, json_string_value(v), json_string_length(v));
    if (json_is_integer(v))
        return append_integer(out, json_integer_value(v));
    text = tu_json_text(v);
    rc = text ? encode_append(out, text, strlen(text)) : -1;
    free(text);
    return rc;
}

/* Append a packed field's value: 1, 0 when it is not usable, -1. */
static int append_pfield(tu_buffer *out, const tu_pfield *f)
{
    json_t *v;
    int rc;

    if (f->type == TU_PV_STR)
        return f->len == 0 ? 0 : encode_append(out, f->u.s, f->len) < 0
                                      ? -1 : 1;
    if (f->type == TU_PV_INT)
        return append_integer(out, f->u.i) < 0 ? -1 : 1;
    if (f->type == TU_PV_NULL || f->type == TU_PV_JSON)
        return 0;
    v = tu_pfield_json(f);   /* true, false, a real */
    rc = !v ? -1 : append_value(out, v) < 0 ? -1 : 1;
    json_decref(v);
    return rc;
}

/* The record's field name[0..n) ({id}: id_field) in a packed record, or
 * NULL. */
static const tu_pfield *packed_field(const tu_packed *p, const char *name,
                                     size_t n, const char *id_field)
{
    if (id_field && n == 2 && memcmp(name, "id", 2) == 0)
        return tu_packed_get(p, id_field);
    return tu_packed_getn(p, name, n);
}

/* Append the value of placeholder name[0..n): the record's field, else a
 * variable with one value. 1, 0 when there is no usable value, -1. */
static int fill(tu_buffer *out, const char *name, size_t n,
                const url_source *src, const char *id_field,
                const json_t *vars)
{
    const json_t *v = NULL;

    if (src->packed) {
        const tu_pfield *f = packed_field(src->packed, name, n, id_field);
        if (f)
            return append_pfield(out, f);
    } else if (id_field && n == 2 && memcmp(name, "id", 2) == 0) {
        v = json_object_get(src->json, id_field);
    } else {
        v = json_object_getn(src->json, name, n);
    }
    if (!v && vars) {
        v = json_object_getn(vars, name, n);
        v = json_array_size(v) == 1 ? json_array_get(v, 0) : NULL;
    }
    if (!usable(v))
        return 0;
    return append_value(out, v) < 0 ? -1 : 1;
}

static int expand(tu_buffer *out, const char *tmpl, const url_source *src,
                  const char *id_field, const json_t *vars,
                  const char **missing)
{
    const char *p = tmpl;

    *missing = NULL;
    while (*p) {
        size_t lit = strcspn(p, "{");
        const char *close;
        int rc;
        if (lit) {
            if (tu_buffer_add(out, p, lit) < 0)
                return -1;
            p += lit;
            continue;
        }
        close = strchr(p, '}');
        rc = close ? fill(out, p + 1, (size_t)(close - p - 1), src, id_field,
                          vars) : 0;
        if (rc == 0)
            *missing = p;
        if (rc <= 0)
            return -1;
        p = close + 1;
    }
    return 0;
}

int tu_url_expand_into(tu_buffer *out, const char *tmpl, const json_t *fields,
                       const char *id_field, const json_t *vars,
                       const char **missing)
{
    url_source src = {fields, NULL};

    return expand(out, tmpl, &src, id_field, vars, missing);
}

int tu_url_expand_packed(tu_buffer *out, const char *tmpl,
                         const tu_packed *record, const char *id_field,
                         const json_t *vars, const char **missing)
{
    url_source src = {NULL, record};

    return expand(out, tmpl, &src, id_field, vars, missing);
}

char *tu_url_expand(const char *tmpl, const json_t *fields,
                    const char *id_field, const json_t *vars,
                    const char **missing)
{
    tu_buffer b = TU_BUFFER_INIT;

    if (tu_url_expand_into(&b, tmpl, fields, id_field, vars, missing) < 0) {
        tu_buffer_free(&b);
        return NULL;
    }
    return tu_buffer_take(&b);
}

/* The variables `tmpl` names (name -> their values, in order of first
 * use) and the number of combinations; NULL with *missing set when a
 * placeholder names no variable, or there are more than `max`. */
static json_t *used_vars(const char *tmpl, const json_t *vars, size_t max,
                         size_t *combos, const char **missing)
{
    json_t *used = json_object();
    const char *p = tmpl, *next, *name;
    size_t len;

    *combos = 1;
    while (used && (next = tu_url_placeholder(p, &name, &len)) != NULL) {
        json_t *values = json_object_getn(vars, name, len);
        if (!json_object_getn(used, name, len))
            *combos *= json_array_size(values);
        if (!json_array_size(values) || *combos > max ||
            json_object_size(used) >= 64) {
            *missing = name - 1;
            json_decref(used);
            return NULL;
        }
        json_object_setn(used, name, len, values);
        p = next;
    }
    return used;
}

/* Combination number `c` of the values in `used`, the last name's values
 * varying fastest: a new object of name -> value. */
static json_t *combination(const json_t *used, size_t c)
{
    json_t *fields = json_object();
    const char *names[64];
    json_t *lists[64];
    size_t n = 0;
    const char *name;
    json_t *values;

    json_object_foreach((json_t *)used, name, values) {
        if (n < 64) {
            names[n] = name;
            lists[n++] = values;
        }
    }
    while (fields && n-- > 0) {
        size_t k = json_array_size(lists[n]);
        json_object_set(fields, names[n], json_array_get(lists[n], c % k));
        c /= k;
    }
    return fields;
}

json_t *tu_url_expand_each(const char *tmpl, const json_t *vars, size_t max,
                           const char **missing)
{
    size_t combos;
    json_t *used, *out;

    *missing = NULL;
    used = used_vars(tmpl, vars, max, &combos, missing);
    out = used ? json_array() : NULL;
    for (size_t c = 0; out && c < combos; c++) {
        json_t *fields = combination(used, c);
        char *url = fields ? tu_url_expand(tmpl, fields, NULL, NULL, missing)
                           : NULL;
        json_decref(fields);
        if (!url || json_array_append_new(out, json_string(url)) != 0) {
            json_decref(out);
            out = NULL;
        }
        free(url);
    }
    json_decref(used);
    return out;
}
