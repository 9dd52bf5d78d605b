/* json_util.c -- comparisons and lookups on jansson values.
 *
 * jansson's json_equal() says 600 != 600.0 because one is an integer and
 * the other a real; records written by hand and records returned by APIs
 * disagree on that all the time, so trueup compares numbers by value.
 * Integers are compared exactly when both are integers (no precision lost
 * through double), and through double otherwise.
 *
 * jansson writes reals with "%.17g" (JSON_REAL_PRECISION is one setting
 * for a whole dump), so 558.8 comes out as 558.79999999999995.
 * tu_json_dumps rewrites each real of jansson's text in the shortest form
 * that reads back as the same double; every JSON trueup writes (request
 * bodies, reports, the text format, the Ansible module) goes through it,
 * and tu_json_text (keys, messages, YAML export) uses the same digits.
 */
#include "json_util.h"
#include "buffer.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A flag of ours, beside jansson's (its highest is JSON_EMBED, 0x10000):
 * dump with jansson, not write_compact (for the reals write_compact hands
 * back). Never passed to jansson. */
#define JSON_NO_FAST ((size_t)1 << 30)

static int number_equal(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b))
        return json_integer_value(a) == json_integer_value(b);
    return json_number_value(a) == json_number_value(b);
}

static int object_equal(const json_t *a, const json_t *b)
{
    const char *key;
    json_t *value;

    if (json_object_size(a) != json_object_size(b))
        return 0;
    json_object_foreach((json_t *)a, key, value) {
        if (!tu_json_equal(value, json_object_get(b, key)))
            return 0;
    }
    return 1;
}

static int array_equal(const json_t *a, const json_t *b)
{
    size_t n = json_array_size(a);
    if (n != json_array_size(b))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!tu_json_equal(json_array_get(a, i), json_array_get(b, i)))
            return 0;
    }
    return 1;
}

int tu_json_equal(const json_t *a, const json_t *b)
{
    if (a == b)
        return 1;
    if (!a || !b)
        return 0;
    if (json_is_number(a) && json_is_number(b))
        return number_equal(a, b);
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b),
                      json_string_length(a)) == 0;
    case JSON_OBJECT:
        return object_equal(a, b);
    case JSON_ARRAY:
        return array_equal(a, b);
    default:
        return 1; /* true, false, null: same type is same value */
    }
}

/* The item of `array` a path step names: a decimal index ("0"), or NULL
 * when the step is not one or the array is shorter. */
static json_t *array_step(json_t *array, const char *step, size_t len)
{
    size_t index = 0;

    if (len == 0 || len > 9)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (step[i] < '0' || step[i] > '9')
            return NULL;
        index = index * 10 + (size_t)(step[i] - '0');
    }
    return json_array_get(array, index);
}

json_t *tu_json_path(const json_t *root, const char *path)
{
    json_t *node = (json_t *)root;
    const char *p = path;

    if (!path || !*path)
        return node;
    while (node && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (json_is_array(node))
            node = array_step(node, p, len);
        else if (json_is_object(node))
            node = json_object_getn(node, p, len);
        else
            return NULL;
        p += len;
        if (*p == '.' && !*++p)
            return NULL; /* "data." is a typo, not "data" */
    }
    return node;
}

/* The shortest %g text that reads back as the same double: 558.8, not
 * 558.79999999999995 (which %.17g, jansson's default, writes). */
static void shortest(double v, char *buf, size_t size)
{
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(buf, size, "%.*g", precision, v);
        if (strtod(buf, NULL) == v)
            break;
    }
}

/* Integral reals in the int64 range as integers (so 1e17 reads as the
 * integer 100000000000000000 does, and -0.0 as 0); others in the shortest
 * form that reads back as the same double (0.1, not 0.10000000000000001). */
static char *real_text(double v)
{
    char buf[64];
    if (v == 0)
        return strdup("0");
    if (v == floor(v) && fabs(v) < 9.2e18) {
        snprintf(buf, sizeof buf, "%.0f", v);
        return strdup(buf);
    }
    shortest(v, buf, sizeof buf);
    return strdup(buf);
}

/* Length of the JSON number starting at s (jansson's output: well formed). */
static size_t number_length(const char *s)
{
    return strspn(s, "0123456789+-.eE");
}

/* Where jansson's text has its first real (a number with a '.', 'e' or
 * 'E' outside a string), or NULL. */
static const char *first_real(const char *p)
{
    int in_string = 0;

    for (; *p; p++) {
        size_t n;
        if (in_string) {
            in_string = !(*p == '"');
            p += *p == '\\';
            continue;
        }
        in_string = *p == '"';
        if (!(*p == '-' || (*p >= '0' && *p <= '9')))
            continue;
        n = number_length(p);
        if (strcspn(p, ".eE") < n)
            return p;
        p += n - 1;
    }
    return NULL;
}

/* Append jansson's text to `out` with each real rewritten in its shortest
 * form; still a real (600.0 stays 600.0). 0, or -1 (out of memory). */
static int shorten_reals(const char *text, tu_buffer *out)
{
    char num[64];
    const char *p;

    while ((p = first_real(text)) != NULL) {
        size_t n = number_length(p);
        if (n >= sizeof num) {  /* too long to be a double's: as it is */
            if (tu_buffer_add(out, text, (size_t)(p - text) + n) < 0)
                return -1;
            text = p + n;
            continue;
        }
        shortest(strtod(p, NULL), num, sizeof num - 2);
        if (!strpbrk(num, ".eEin"))
            strcat(num, ".0");
        if (tu_buffer_add(out, text, (size_t)(p - text)) < 0 ||
            tu_buffer_puts(out, num) < 0)
            return -1;
        text = p + n;
    }
    return tu_buffer_puts(out, text);
}

static int append_chunk(const char *bytes, size_t n, void *data)
{
    return tu_buffer_add(data, bytes, n);
}

/* ---- compact JSON without jansson's dump --------------------------------
 *
 * jansson's json_dump_callback hands every token to a callback and formats
 * integers and escapes with snprintf: some 17,000 instructions for one
 * result line of a report. For JSON_COMPACT without other flags (request
 * bodies, report lines, plan files' changes) the text is written here
 * instead, byte for byte what jansson writes: members in insertion order,
 * "\\", "\"", \b \f \n \r \t and other control characters as \u00XX (hex
 * in capitals), everything else as it is (jansson's strings are UTF-8).
 * Reals go through jansson and the shortening, as before. */

#define COMPACT_MAX_DEPTH 2048

static int write_compact(const json_t *v, tu_buffer *out, int depth);

const char *tu_json_skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

int tu_json_strb(const char *s, size_t len, tu_buffer *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0;

    if (tu_buffer_add(out, "\"", 1) < 0)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
        size_t n = 2;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        esc[1] = c == '"' ? '"' : c == '\\' ? '\\' : c == '\b' ? 'b'
                 : c == '\f' ? 'f' : c == '\n' ? 'n' : c == '\r' ? 'r'
                 : c == '\t' ? 't' : 'u';
        if (esc[1] == 'u') {
            memcpy(esc + 2, "00", 2);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if (tu_buffer_add(out, s + run, i - run) < 0 ||
            tu_buffer_add(out, esc, n) < 0)
            return -1;
        run = i + 1;
    }
    if (tu_buffer_add(out, s + run, len - run) < 0)
        return -1;
    return tu_buffer_add(out, "\"", 1);
}

static int write_object(const json_t *v, tu_buffer *out, int depth)
{
    const char *key;
    json_t *member;
    int first = 1;

    if (tu_buffer_add(out, "{", 1) < 0)
        return -1;
    json_object_foreach((json_t *)v, key, member) {
        if ((!first && tu_buffer_add(out, ",", 1) < 0) ||
            tu_json_strb(key, strlen(key), out) < 0 ||
            tu_buffer_add(out, ":", 1) < 0 ||
            write_compact(member, out, depth + 1) < 0)
            return -1;
        first = 0;
    }
    return tu_buffer_add(out, "}", 1);
}

static int write_array(const json_t *v, tu_buffer *out, int depth)
{
    size_t i;
    json_t *item;

    if (tu_buffer_add(out, "[", 1) < 0)
        return -1;
    json_array_foreach(v, i, item) {
        if ((i > 0 && tu_buffer_add(out, ",", 1) < 0) ||
            write_compact(item, out, depth + 1) < 0)
            return -1;
    }
    return tu_buffer_add(out, "]", 1);
}

static int write_compact(const json_t *v, tu_buffer *out, int depth)
{
    char num[32];

    if (depth > COMPACT_MAX_DEPTH)
        return -1;
    switch (json_typeof(v)) {
    case JSON_OBJECT: return write_object(v, out, depth);
    case JSON_ARRAY:  return write_array(v, out, depth);
    case JSON_STRING:
        return tu_json_strb(json_string_value(v), json_string_length(v), out);
    case JSON_INTEGER:
        return tu_buffer_add(out, num, tu_int_text(json_integer_value(v),
                                                   num));
    case JSON_REAL:
        return tu_json_dumpb(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_NO_FAST,
                             out);
    case JSON_TRUE:   return tu_buffer_puts(out, "true");
    case JSON_FALSE:  return tu_buffer_puts(out, "false");
    default:          return tu_buffer_puts(out, "null");
    }
}

/* jansson's dump with reals shortened. 0 or -1 (out as it was). */
static int dump_with_jansson(const json_t *value, size_t flags,
                             tu_buffer *out)
{
    size_t start = out->len;
    const char *real;
    char *text;
    int rc;

    if (json_dump_callback(value, append_chunk, out,
                           flags & ~(size_t)JSON_NO_FAST) != 0)
        goto fail;
    real = out->data ? first_real(out->data + start) : NULL;
    if (!real)
        return 0;
    text = strdup(out->data + start);   /* rewritten from its copy */
    if (!text)
        goto fail;
    out->len = start;
    rc = shorten_reals(text, out);
    free(text);
    if (rc == 0)
        return 0;
fail:
    tu_buffer_truncate(out, start);
    return -1;
}

/* The lines layout into `out` (no emit: all of it stays there). */
static int dump_lines(const json_t *value, tu_buffer *out)
{
    tu_lines w = {*out, NULL, NULL};
    size_t start = out->len;
    int rc = tu_lines_object(&w, value);

    *out = w.buf;
    if (rc < 0)
        tu_buffer_truncate(out, start);
    return rc;
}

int tu_json_dumpb(const json_t *value, size_t flags, tu_buffer *out)
{
    size_t start = out->len;

    if (flags & TU_JSON_LINES)
        return dump_lines(value, out);
    if ((flags & ~(size_t)JSON_ENCODE_ANY) != JSON_COMPACT || !value)
        return dump_with_jansson(value, flags, out);
    if ((!(flags & JSON_ENCODE_ANY) && !json_is_object(value) &&
         !json_is_array(value)) || write_compact(value, out, 0) < 0) {
        tu_buffer_truncate(out, start);
        return -1;
    }
    return 0;
}

char *tu_json_dumps(const json_t *value, size_t flags)
{
    tu_buffer b = TU_BUFFER_INIT;

    if (tu_json_dumpb(value, flags, &b) < 0) {
        tu_buffer_free(&b);
        return NULL;
    }
    return tu_buffer_take(&b);
}

int tu_json_dumpf(const json_t *value, FILE *out, size_t flags)
{
    char *text = tu_json_dumps(value, flags);
    int rc = text && fputs(text, out) != EOF ? 0 : -1;
    free(text);
    return rc;
}

size_t tu_int_text(json_int_t v, char *buf)
{
    char rev[TU_INT_TEXT_MAX];
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
                                 : (unsigned long long)v;
    size_t n = 0, len = 0;

    do {
        rev[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        buf[len++] = '-';
    while (n)
        buf[len++] = rev[--n];
    return len;
}

/* ---- the lines layout (json_util.h) -------------------------------------- */

#define LINES_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)

int tu_lines_flush(tu_lines *w, size_t at_least)
{
    int rc = 0;

    if (!w->emit || w->buf.len == 0 || w->buf.len < at_least)
        return 0;
    rc = w->emit(w->buf.data, w->buf.len, w->data);
    w->buf.len = 0;
    return rc;
}

static int lines_list(tu_lines *w, const json_t *list)
{
    size_t i, n = json_array_size(list);
    json_t *item;

    if (tu_buffer_puts(&w->buf, "[\n") < 0)
        return -1;
    json_array_foreach(list, i, item) {
        if (tu_buffer_puts(&w->buf, "    ") < 0 ||
            tu_json_dumpb(item, LINES_FLAGS, &w->buf) < 0 ||
            tu_buffer_puts(&w->buf, i + 1 < n ? ",\n" : "\n") < 0 ||
            tu_lines_flush(w, TU_LINES_CHUNK) < 0)
            return -1;
    }
    return tu_buffer_puts(&w->buf, "  ]");
}

int tu_lines_member(tu_lines *w, const char *key, const json_t *value,
                    int last)
{
    if (tu_buffer_puts(&w->buf, "  ") < 0 ||
        tu_json_strb(key, strlen(key), &w->buf) < 0 ||
        tu_buffer_puts(&w->buf, ": ") < 0)
        return -1;
    if (json_is_array(value) && json_array_size(value) > 0) {
        if (lines_list(w, value) < 0)
            return -1;
    } else if (tu_json_dumpb(value, LINES_FLAGS, &w->buf) < 0) {
        return -1;
    }
    if (tu_buffer_puts(&w->buf, last ? "\n" : ",\n") < 0)
        return -1;
    return tu_lines_flush(w, TU_LINES_CHUNK);
}

int tu_lines_object(tu_lines *w, const json_t *object)
{
    size_t n = 0, size = json_object_size(object);
    const char *key;
    json_t *value;

    if (!json_is_object(object) || tu_buffer_puts(&w->buf, "{\n") < 0)
        return -1;
    json_object_foreach((json_t *)object, key, value) {
        if (tu_lines_member(w, key, value, ++n == size) < 0)
            return -1;
    }
    if (tu_buffer_puts(&w->buf, "}\n") < 0)
        return -1;
    return tu_lines_flush(w, 0);
}

char *tu_json_text(const json_t *value)
{
    char buf[32];

    switch (json_typeof(value)) {
    case JSON_STRING:
        return strndup(json_string_value(value), json_string_length(value));
    case JSON_INTEGER:
        return strndup(buf, tu_int_text(json_integer_value(value), buf));
    case JSON_REAL:
        return real_text(json_real_value(value));
    case JSON_TRUE:
        return strdup("true");
    case JSON_FALSE:
        return strdup("false");
    case JSON_NULL:
        return strdup("null");
    default:
        return tu_json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
    }
}

const char *tu_json_type_name(const json_t *value)
{
    if (!value)
        return "nothing";
    switch (json_typeof(value)) {
    case JSON_OBJECT:  return "a mapping";
    case JSON_ARRAY:   return "a list";
    case JSON_STRING:  return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL:    return "a number";
    case JSON_TRUE:
    case JSON_FALSE:   return "a boolean";
    default:           return "null";
    }
}
