/* yaml_emit.h -- records written as a desired-state YAML document.
 *
 *   # COMMENT
 *   records:
 *     - {name: www.example.org., type: A, ttl: 3600, content: 192.0.2.10}
 *
 * One flow mapping per record, one record per line, so a large export stays
 * readable and diffs well. Strings that would read back as something else
 * ("600", "true", "null", "") are quoted, so the document loads back to
 * exactly the same values (tu_yaml_plain_is_string).
 */
#ifndef TU_STATE_YAML_EMIT_H
#define TU_STATE_YAML_EMIT_H

#include <jansson.h>
#include "trueup/trueup.h"

/* `records`: a JSON array of objects. `comment`: a line (no newline) put
 * first as a YAML comment, or NULL. Returns malloc'd text, or NULL with err
 * set. */
char *tu_yaml_emit_records(const json_t *records, const char *comment,
                           tu_error *err);

#endif
