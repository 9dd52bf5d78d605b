/* json_util.h -- comparisons and lookups on jansson values.
 *
 * Desired and live records are compared by value: 600 equals 600.0,
 * strings compare exactly, objects and arrays deeply (object key order
 * does not matter, array order does).
 */
#ifndef TU_UTIL_JSON_UTIL_H
#define TU_UTIL_JSON_UTIL_H

#include <jansson.h>
#include "trueup/trueup.h"   /* tu_json_dumps, tu_json_dumpf */
#include "buffer.h"

/* 1 when a and b are equal by value (numbers by numeric value). */
int tu_json_equal(const json_t *a, const json_t *b);

/* The value at a dotted path ("data.items") under root; root itself for an
 * empty path or NULL. A step over an array is a decimal index ("0.ret_oid":
 * the first item's ret_oid). NULL when a step is missing, not an object or
 * an array, not an index of an array, or the path ends with a dot.
 * Borrowed. */
json_t *tu_json_path(const json_t *root, const char *path);

/* Text of a scalar for keys and messages: strings as they are (up to an
 * embedded NUL), integers and integral reals without a fraction ("600"),
 * other reals in the shortest form that reads back exactly ("0.1"),
 * true/false/null as words. Containers are compact JSON. Returns a new
 * string (free) or NULL when out of memory. */
char *tu_json_text(const json_t *value);

/* tu_json_dumps appended to `out` (a buffer reused from one body to the
 * next costs no allocation once grown): 0, or -1 (out of memory, or a
 * value jansson cannot encode with these flags) with `out` as it was. */
int tu_json_dumpb(const json_t *value, size_t flags, tu_buffer *out);

/* The first byte at or after `p` (before `end`) that is not JSON white
 * space (space, tab, newline, carriage return); `end` when all are. */
const char *tu_json_skip_space(const char *p, const char *end);

/* `len` bytes of UTF-8 at `s` as a JSON string, quotes and escapes as
 * jansson writes them, appended to `out`: 0, or -1 (out of memory). */
int tu_json_strb(const char *s, size_t len, tu_buffer *out);

/* The lines layout, in which trueup writes reports and plan files: "{",
 * the object's members one a line (indented by two spaces), the items of
 * a non-empty list one a line (by four), every value compact, "}". Long
 * reports stay readable and greppable. The text goes to `buf`, and to
 * `emit` (when not NULL) in pieces of about TU_LINES_CHUNK bytes, so that
 * a long one is never held whole. */
#define TU_LINES_CHUNK (64 * 1024)

typedef struct tu_lines {
    tu_buffer buf;
    int (*emit)(const char *bytes, size_t n, void *data);  /* 0 or -1 */
    void *data;
} tu_lines;

/* Hand what is in `buf` to `emit` once it holds `at_least` bytes (0: any
 * at all). 0, or -1 (emit failed). */
int tu_lines_flush(tu_lines *w, size_t at_least);

/* One member's line ("  KEY: VALUE", then "," unless `last`, then a
 * newline), a non-empty list one item a line. 0, or -1 (out of memory, or
 * emit failed). */
int tu_lines_member(tu_lines *w, const char *key, const json_t *value,
                    int last);

/* An object's members, between "{" and "}" lines, everything flushed. */
int tu_lines_object(tu_lines *w, const json_t *object);

/* The decimal text of `v` into `buf` (TU_INT_TEXT_MAX bytes: no NUL is
 * written), as snprintf's "%" JSON_INTEGER_FORMAT at a tenth of its cost:
 * bodies, URLs, keys and report lines format an integer or two each. The
 * length. */
#define TU_INT_TEXT_MAX 24
size_t tu_int_text(json_int_t v, char *buf);

/* The name of a value's type for messages: "a string", "an integer"... */
const char *tu_json_type_name(const json_t *value);

#endif
