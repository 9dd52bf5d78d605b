/* urltemplate.h -- "/records/{id}" filled from a record's fields.
 *
 * Each {name} is replaced by the value of the record's field `name` (and
 * {id} by the field named by resource.id), percent-encoded so that a value
 * holding '/', '?', '#' or ".." stays inside its path segment: only RFC 3986
 * unreserved characters are left as they are, and a value that is "." or
 * ".." has its dots encoded too, so it cannot become a dot-segment.
 *
 * A placeholder that names no field of the record is filled from `vars`
 * (target.vars: name -> array of strings) when that variable has exactly
 * one value; tu_url_expand_each expands a template once per combination of
 * the values of the variables it names (a `list` over several vhosts).
 *
 * The same placeholders fill bodies and header values (tu_template_json,
 * tu_template_text_into), without percent-encoding: there a placeholder
 * that is a whole string takes the value with its type, and {fields} is
 * the record's values. A placeholder may end with a filter, "| base64"
 * ({env.SDS_USER | base64}: the value's text in base64). The environment's
 * values ({env.NAME}) are variables named "env.NAME" (engine/target.c
 * reads them at load).
 */
#ifndef TU_ENGINE_URLTEMPLATE_H
#define TU_ENGINE_URLTEMPLATE_H

#include <jansson.h>
#include "util/buffer.h"
#include "state/packed.h"

/* Check a template's braces. NULL when fine, else what is wrong. */
const char *tu_url_template_check(const char *tmpl);

/* The next placeholder at or after `p`: *name points after its '{' and
 * *len is its length. Returns the character after its '}', or NULL when
 * there is none (the template must have passed tu_url_template_check). */
const char *tu_url_placeholder(const char *p, const char **name, size_t *len);

/* A placeholder's parts: "{env.KEY | base64}" has the name "env.KEY" and
 * the filter base64. */
typedef struct tu_placeholder {
    const char *name;   /* into the template; not NUL-ended */
    size_t len;
    int base64;         /* filter: the value's text in base64 */
} tu_placeholder;

/* Read the text between a placeholder's braces, ph[0..len): 0, or -1 when
 * it names a filter trueup does not know or has no name. */
int tu_placeholder_parse(const char *ph, size_t len, tu_placeholder *out);

/* Percent-encode everything but A-Z a-z 0-9 - . _ ~ (and the dots of "."
 * and ".."). Returns malloc'd. */
char *tu_percent_encode(const char *s, size_t len);

/* tu_percent_encode appended to `out`: 0, or -1 when out of memory. */
int tu_percent_encode_into(tu_buffer *out, const char *s, size_t len);

/* Expand `tmpl`. Returns a malloc'd string, or NULL with *missing pointing
 * at the '{' of the placeholder that the record cannot fill (the field is
 * missing, null, an empty string or not a scalar, or the '{' is never
 * closed),
 * or NULL with *missing NULL when out of memory. */
char *tu_url_expand(const char *tmpl, const json_t *fields,
                    const char *id_field, const json_t *vars,
                    const char **missing);

/* tu_url_expand appended to `out`: 0, or -1 with *missing set as above
 * (or NULL: out of memory); `out` then holds a partial URL. */
int tu_url_expand_into(tu_buffer *out, const char *tmpl, const json_t *fields,
                       const char *id_field, const json_t *vars,
                       const char **missing);

/* tu_url_expand_into with the values of a packed record (state/packed.h),
 * read as they are: the same URL as from its jansson form. */
int tu_url_expand_packed(tu_buffer *out, const char *tmpl,
                         const tu_packed *record, const char *id_field,
                         const json_t *vars, const char **missing);

/* Every expansion of `tmpl` with values from `vars` alone, one per
 * combination of the values of the variables it names, in order (the
 * first placeholder's values vary slowest): a new JSON array of strings.
 * NULL with *missing at the '{' of a placeholder that names no variable
 * (or of the first of more than `max` combinations), or with *missing
 * NULL when out of memory. */
json_t *tu_url_expand_each(const char *tmpl, const json_t *vars, size_t max,
                           const char **missing);

/* Where the placeholders of a body or header template find their values:
 * the record's field (id: id_field), else the fallback record's, else a
 * variable with one value; {fields} is `record` when it is set. */
typedef struct tu_tmpl_src {
    const json_t *fields;     /* the record's fields; NULL: none */
    const json_t *fallback;   /* looked in after fields (an update's live
                                 record, for its id); NULL: none */
    const char *id_field;     /* what {id} names; NULL: the field "id" */
    const json_t *vars;       /* target.vars, env.NAME included */
    const json_t *record;     /* what {fields} is; NULL: not a name */
} tu_tmpl_src;

/* `tmpl` expanded as text into `out`, no encoding: 0, or -1 with *missing
 * at the '{' of a placeholder with no value that text can hold (missing,
 * null, a list or mapping), or NULL when out of memory. */
int tu_template_text_into(tu_buffer *out, const char *tmpl,
                          const tu_tmpl_src *src, const char **missing);

/* A copy of the JSON value `tmpl` with every string expanded: a string
 * that is one placeholder becomes its value (a number stays a number;
 * {fields} the record's values), a longer one the text. A new reference,
 * or NULL with *missing as tu_template_text_into. */
json_t *tu_template_json(const json_t *tmpl, const tu_tmpl_src *src,
                         const char **missing);

/* 1 when `s` is exactly one placeholder ("{fields}"), 0 otherwise. */
int tu_template_is_whole(const char *s);

#endif
