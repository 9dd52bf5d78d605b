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
#include "util/base64.h"
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
 * record (read as it is, without building its jansson form), then the
 * variables. */
typedef struct url_source {
    const json_t *json;
    const tu_packed *packed;
    const char *id_field;
    const json_t *vars;
} url_source;

/* Fill placeholder text ph[0..n) into `out`: 1, 0 when there is no
 * usable value, -1 when out of memory. */
typedef int (*fill_fn)(tu_buffer *out, const char *ph, size_t n,
                       const void *ctx);

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

int tu_placeholder_parse(const char *ph, size_t len, tu_placeholder *out)
{
    const char *bar = memchr(ph, '|', len), *filter;
    size_t flen;

    out->name = ph;
    out->len = bar ? (size_t)(bar - ph) : len;
    out->base64 = 0;
    if (!bar)   /* a name as it is: {name } is not {name} */
        return 0;
    trim(&out->name, &out->len);
    if (!out->len)
        return -1;
    filter = bar + 1;
    flen = len - (size_t)(filter - ph);
    trim(&filter, &flen);
    out->base64 = flen == 6 && memcmp(filter, "base64", 6) == 0;
    return out->base64 ? 0 : -1;
}

/* A usable value: a scalar that is not null nor an empty string (an empty
 * value would name the collection). */
static int usable(const json_t *v)
{
    return v && !json_is_object(v) && !json_is_array(v) && !json_is_null(v) &&
           !(json_is_string(v) && json_string_length(v) == 0);
}

/* The record's field name[0..n) ({id}: id_field), borrowed, or NULL. */
static const json_t *record_field(const json_t *fields, const char *name,
                                  size_t n, const char *id_field)
{
    if (id_field && n == 2 && memcmp(name, "id", 2) == 0)
        return json_object_get(fields, id_field);
    return json_object_getn(fields, name, n);
}

/* The one value of variable name[0..n), borrowed, or NULL. */
static const json_t *one_var(const json_t *vars, const char *name, size_t n)
{
    const json_t *v = json_object_getn(vars, name, n);
    return json_array_size(v) == 1 ? json_array_get(v, 0) : NULL;
}

/* The base64 of a scalar's text: 1 with *out malloc'd, 0 when `v` is
 * null, a container or missing, -1 when out of memory. */
static int base64_of(const json_t *v, char **out)
{
    char *text;

    *out = NULL;
    if (!v || json_is_null(v) || json_is_object(v) || json_is_array(v))
        return 0;
    if (!(text = tu_json_text(v)))
        return -1;
    *out = tu_base64(text, strlen(text));
    free(text);
    return *out ? 1 : -1;
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

int tu_percent_encode_into(tu_buffer *out, const char *s, size_t len)
{
    return encode_append(out, s, len);
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
    int type = tu_pfield_type(f), rc;
    json_t *v;

    if (type == TU_PV_STR)
        return tu_pfield_len(f) == 0 ? 0
               : encode_append(out, f->u.s, tu_pfield_len(f)) < 0 ? -1 : 1;
    if (type == TU_PV_INT)
        return append_integer(out, f->u.i) < 0 ? -1 : 1;
    if (type == TU_PV_NULL || type == TU_PV_JSON)
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

/* The value of `ph` as a new reference, or NULL. */
static json_t *source_value(const url_source *src, const tu_placeholder *ph)
{
    const json_t *v = NULL;

    if (src->packed) {
        const tu_pfield *f = packed_field(src->packed, ph->name, ph->len,
                                          src->id_field);
        if (f)
            return tu_pfield_json(f);
    } else {
        v = record_field(src->json, ph->name, ph->len, src->id_field);
    }
    if (!v)
        v = one_var(src->vars, ph->name, ph->len);
    return json_incref((json_t *)v);
}

/* {NAME | base64} in a path: the base64 of the value, encoded. */
static int fill_base64(tu_buffer *out, const url_source *src,
                       const tu_placeholder *ph)
{
    json_t *v = source_value(src, ph);
    char *enc = NULL;
    int rc = usable(v) ? base64_of(v, &enc) : 0;

    if (rc > 0 && encode_append(out, enc, strlen(enc)) < 0)
        rc = -1;
    free(enc);
    json_decref(v);
    return rc;
}

/* Append the value of a path's placeholder: the record's field, else a
 * variable with one value. 1, 0 when there is no usable value, -1. */
static int fill_path(tu_buffer *out, const char *text, size_t n,
                     const void *ctx)
{
    const url_source *src = ctx;
    const json_t *v = NULL;
    tu_placeholder ph;

    if (tu_placeholder_parse(text, n, &ph) != 0)
        return 0;
    if (ph.base64)
        return fill_base64(out, src, &ph);
    if (src->packed) {
        const tu_pfield *f = packed_field(src->packed, ph.name, ph.len,
                                          src->id_field);
        if (f)
            return append_pfield(out, f);
    } else {
        v = record_field(src->json, ph.name, ph.len, src->id_field);
    }
    if (!v)
        v = one_var(src->vars, ph.name, ph.len);
    if (!usable(v))
        return 0;
    return append_value(out, v) < 0 ? -1 : 1;
}

static int expand(tu_buffer *out, const char *tmpl, fill_fn fill,
                  const void *ctx, const char **missing)
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
        rc = close ? fill(out, p + 1, (size_t)(close - p - 1), ctx) : 0;
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
    url_source src = {fields, NULL, id_field, vars};

    return expand(out, tmpl, fill_path, &src, missing);
}

int tu_url_expand_packed(tu_buffer *out, const char *tmpl,
                         const tu_packed *record, const char *id_field,
                         const json_t *vars, const char **missing)
{
    url_source src = {NULL, record, id_field, vars};

    return expand(out, tmpl, fill_path, &src, missing);
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

/* ---- bodies and headers ------------------------------------------------- */

/* The value of `ph` for a body or header, borrowed, or NULL. */
static const json_t *tmpl_lookup(const tu_tmpl_src *s,
                                 const tu_placeholder *ph)
{
    const char *id_field = s->id_field ? s->id_field : "id";
    const json_t *v;

    if (s->record && ph->len == 6 && memcmp(ph->name, "fields", 6) == 0)
        return s->record;
    v = record_field(s->fields, ph->name, ph->len, id_field);
    if (!v)
        v = record_field(s->fallback, ph->name, ph->len, id_field);
    return v ? v : one_var(s->vars, ph->name, ph->len);
}

/* Append a scalar's text (in base64 when asked), not encoded: 1, 0 for
 * a value text cannot hold (missing, null, a container), -1. */
static int append_text(tu_buffer *out, const json_t *v, int base64)
{
    char *text = NULL;
    int rc;

    if (base64)
        rc = base64_of(v, &text);
    else if (json_is_string(v))
        return tu_buffer_add(out, json_string_value(v),
                             json_string_length(v)) < 0 ? -1 : 1;
    else if (!v || json_is_null(v) || json_is_object(v) || json_is_array(v))
        return 0;
    else
        rc = (text = tu_json_text(v)) != NULL ? 1 : -1;
    if (rc > 0 && tu_buffer_puts(out, text) < 0)
        rc = -1;
    free(text);
    return rc;
}

static int fill_text(tu_buffer *out, const char *text, size_t n,
                     const void *ctx)
{
    tu_placeholder ph;

    if (tu_placeholder_parse(text, n, &ph) != 0)
        return 0;
    return append_text(out, tmpl_lookup(ctx, &ph), ph.base64);
}

int tu_template_text_into(tu_buffer *out, const char *tmpl,
                          const tu_tmpl_src *src, const char **missing)
{
    return expand(out, tmpl, fill_text, src, missing);
}

int tu_template_is_whole(const char *s)
{
    size_t len = strlen(s);

    return len > 2 && s[0] == '{' && strcspn(s + 1, "{}") == len - 2 &&
           s[len - 1] == '}';
}

/* One string of a JSON template, expanded: a new reference or NULL. */
static json_t *template_string(const json_t *tmpl, const tu_tmpl_src *src,
                               const char **missing)
{
    const char *s = json_string_value(tmpl);
    tu_buffer b = TU_BUFFER_INIT;
    tu_placeholder ph;
    json_t *out = NULL;
    int rc;

    if (!strchr(s, '{'))
        return json_copy((json_t *)tmpl);
    if (tu_template_is_whole(s) &&
        tu_placeholder_parse(s + 1, strlen(s) - 2, &ph) == 0 && !ph.base64) {
        const json_t *v = tmpl_lookup(src, &ph);
        if (!v)
            *missing = s;
        return v ? json_deep_copy(v) : NULL;
    }
    rc = tu_template_text_into(&b, s, src, missing);
    if (rc == 0)
        out = json_stringn(b.data ? b.data : "", b.len);
    tu_buffer_free(&b);
    return out;
}

/* A copy of a mapping or list template, each value expanded: a new
 * reference or NULL. */
static json_t *template_container(const json_t *tmpl, const tu_tmpl_src *src,
                                  const char **missing)
{
    json_t *out = json_is_object(tmpl) ? json_object() : json_array();
    json_t *v, *item;
    const char *key;
    size_t i;
    int rc = out ? 0 : -1;

    json_object_foreach((json_t *)tmpl, key, v) {
        item = rc == 0 ? tu_template_json(v, src, missing) : NULL;
        if (rc == 0 && (!item || json_object_set_new(out, key, item) != 0))
            rc = -1;
    }
    json_array_foreach(tmpl, i, v) {
        item = rc == 0 ? tu_template_json(v, src, missing) : NULL;
        if (rc == 0 && (!item || json_array_append_new(out, item) != 0))
            rc = -1;
    }
    if (rc != 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *tu_template_json(const json_t *tmpl, const tu_tmpl_src *src,
                         const char **missing)
{
    *missing = NULL;
    if (json_is_string(tmpl))
        return template_string(tmpl, src, missing);
    if (json_is_object(tmpl) || json_is_array(tmpl))
        return template_container(tmpl, src, missing);
    return json_copy((json_t *)tmpl);
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
        tu_placeholder ph = {name, len, 0};
        json_t *values;
        tu_placeholder_parse(name, len, &ph);   /* the name, no filter */
        values = json_object_getn(vars, ph.name, ph.len);
        if (!json_object_getn(used, ph.name, ph.len))
            *combos *= json_array_size(values);
        if (!json_array_size(values) || *combos > max ||
            json_object_size(used) >= 64) {
            *missing = name - 1;
            json_decref(used);
            return NULL;
        }
        json_object_setn(used, ph.name, ph.len, values);
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
