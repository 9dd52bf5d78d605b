/* urltemplate.h -- "/records/{id}" filled from a record's fields.
 *
 * Each {name} is replaced by the value of the record's field `name` (and
 * {id} by the field named by resource.id), percent-encoded so that a value
 * holding '/', '?', '#' or ".." stays inside its path segment: only RFC 3986
 * unreserved characters are left as they are, and a value that is "." or
 * ".." has its dots encoded too, so it cannot become a dot-segment.
 */
#ifndef TU_ENGINE_URLTEMPLATE_H
#define TU_ENGINE_URLTEMPLATE_H

#include <jansson.h>

/* Check a template's braces. NULL when fine, else what is wrong. */
const char *tu_url_template_check(const char *tmpl);

/* Percent-encode everything but A-Z a-z 0-9 - . _ ~ (and the dots of "."
 * and ".."). Returns malloc'd. */
char *tu_percent_encode(const char *s, size_t len);

/* Expand `tmpl`. Returns a malloc'd string, or NULL with *missing pointing
 * at the '{' of the placeholder that the record cannot fill (the field is
 * missing, null, an empty string or not a scalar, or the '{' is never
 * closed),
 * or NULL with *missing NULL when out of memory. */
char *tu_url_expand(const char *tmpl, const json_t *fields,
                    const char *id_field, const char **missing);

#endif
