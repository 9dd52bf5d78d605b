/* packed_json.h -- a JSON object packed as it is read, without jansson.
 *
 * The fast path of a live list's items (engine/fetch.c): a flat object
 * of the common shape becomes a packed record in the store directly.
 * Anything else is left to jansson (see packed_json.c for the subset).
 */
#ifndef TU_STATE_PACKED_JSON_H
#define TU_STATE_PACKED_JSON_H

#include <stddef.h>
#include "packed.h"

/* Pack the JSON object at the start of `text` (`len` bytes, white space
 * before it skipped) into `s`, as tu_pack would pack jansson's parse of
 * it. The record, with *used set to the bytes read up to its closing
 * brace; or NULL with *used 0 when the text is not an object of the
 * subset this reads (parse it with jansson: that one says what is wrong,
 * if anything), or when out of memory (*oom set). */
tu_packed *tu_pack_json_object(tu_pack_store *s, const char *text,
                               size_t len, size_t *used, int *oom);

#endif
