/* yaml_load.h -- YAML (1.2 core schema) to jansson values, with positions.
 *
 * One document per file. Scalars follow the YAML 1.2 core schema: plain
 * true/false, null/~/empty, integers (decimal, 0o octal, 0x hex), floats;
 * everything else, and every quoted scalar, is a string. Explicit tags
 * !!str !!int !!float !!bool !!null are honoured, others are an error.
 * Anchors and aliases work (an alias shares the anchored value), and the
 * `<<` merge key merges a mapping or a list of mappings under the keys
 * written beside it. Limits (documented in docs/desired-state.md):
 * nodes reached through aliases: TU_YAML_MAX_ALIAS_NODES, or
 * TU_YAML_ALIAS_RATIO times the nodes written in the file if more;
 * TU_YAML_MAX_DEPTH levels of nesting, TU_YAML_MAX_BYTES bytes per file.
 *
 * When the items of a list are handed over (tu_yaml_items) with a store
 * to pack them into, a list of the common shape is read without libyaml
 * (yaml_records.h); the caller sees the same items, document, places and
 * errors either way.
 */
#ifndef TU_STATE_YAML_LOAD_H
#define TU_STATE_YAML_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "trueup/trueup.h"
#include "srcmap.h"
#include "util/buffer.h"
#include "yaml_items.h"

#define TU_YAML_MAX_ALIAS_NODES 1000000
#define TU_YAML_ALIAS_RATIO 10
#define TU_YAML_MAX_DEPTH 64
#define TU_YAML_MAX_BYTES (512u * 1024u * 1024u)

/* Parse the file at `path`. Returns a new reference to the document's root
 * value, or NULL with `err` set as "path:line:col: what is wrong". Every
 * object and array is recorded in `map`, and every mapping key with
 * tu_srcmap_add_member. */
json_t *tu_yaml_load_file(const char *path, tu_srcmap *map, tu_error *err);

/* tu_yaml_load_file, with the items of one list handed over (NULL: none). */
json_t *tu_yaml_load_file_items(const char *path, tu_srcmap *map,
                                const tu_yaml_items *items, tu_error *err);

/* tu_yaml_load_file_items reading the file into `text`, whose memory is
 * kept for the next file: files loaded one after another reuse one
 * buffer instead of fresh memory each (a 160 MB file was 80 huge pages
 * to fault, for every file of a 10M-record plan). */
json_t *tu_yaml_load_file_text(const char *path, tu_srcmap *map,
                               const tu_yaml_items *items, tu_buffer *text,
                               tu_error *err);

/* The same for text in memory; `name` is used as the file name. */
json_t *tu_yaml_load_string(const char *text, size_t len, const char *name,
                            tu_srcmap *map, tu_error *err);

/* The same, with the items of one list handed over (NULL: none). */
json_t *tu_yaml_load_string_items(const char *text, size_t len,
                                  const char *name, tu_srcmap *map,
                                  const tu_yaml_items *items, tu_error *err);

/* Read a whole file (at most TU_YAML_MAX_BYTES) into *out (malloc'd, not
 * NUL-terminated) and *len; a directory or a read error is an error naming
 * the path. 0, or -1 with err set. Also used for plan files. */
int tu_file_read(const char *path, unsigned char **out, size_t *len,
                 tu_error *err);

/* The same into `b`, its memory reused (b->len the file's size, a NUL
 * after it). 0, or -1 with err set (b's contents then undefined). */
int tu_file_read_into(const char *path, tu_buffer *b, tu_error *err);

/* `text` typed as a plain YAML scalar by the core schema (600 -> 600,
 * true -> true, ~ -> null, anything else a string), as a command line's
 * "field=value" is. NULL with err set (prefixed by `name`) for an integer
 * out of range, infinity or NaN. */
json_t *tu_yaml_scalar(const char *text, size_t len, const char *name,
                       tu_error *err);

#endif
