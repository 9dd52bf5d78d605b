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

/* Percent-encode everything but A-Z a-z 0-9 - . _ ~ (and the dots of "."
 * and ".."). Returns malloc'd. */
char *tu_percent_encode(const char *s, size_t len);

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

#endif
