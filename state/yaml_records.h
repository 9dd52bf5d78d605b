/* yaml_records.h -- a records list of the common shape, read without
 * libyaml.
 *
 * A desired-state file of a million records is almost all one list of
 * one-line flow mappings, or of block mappings of one member a line:
 *
 *     records:
 *       - {name: host1.example.org., type: A, content: 192.0.2.1, ttl: 600}
 *       - name: host2.example.org.
 *         type: A
 *
 * The loader (yaml_load.c) asks tu_yaml_block_find for such a list under
 * a top-level key. When every line of it is of the subset this reads
 * (yaml_records.c says which), libyaml parses the rest of the file with
 * the list's lines taken out, and tu_yaml_block_read packs the items
 * straight into the document's store: no libyaml events, no jansson
 * objects. Anything outside the subset is left to libyaml, which then
 * reads the whole file as before; the two must give the same records and
 * the same errors (the differential fuzz target fuzz_yaml_records).
 */
#ifndef TU_STATE_YAML_RECORDS_H
#define TU_STATE_YAML_RECORDS_H

#include <stddef.h>
#include "error.h"
#include "packed.h"
#include "srcmap.h"
#include "yaml_items.h"

typedef struct tu_yaml_block {
    size_t start, end;        /* the list's lines: bytes [start, end) */
    unsigned key_line;        /* the line of the list's key (1-based) */
    unsigned newlines;        /* newlines in [start, end): the lines after
                                 the list come that much higher in the
                                 text libyaml reads */
    tu_srcpos first;          /* where the first item's '-' stands (the
                                 list's own place; file not set) */
    size_t items;             /* items in the list */
    size_t nodes;             /* YAML nodes in its items (each item, key,
                                 value and element of a sequence): the
                                 loader's alias budget counts them */
} tu_yaml_block;

/* Find the list under the top-level `key` of `text` (`len` bytes): a line
 * "key:" at the first column, followed by items of the subset, blank
 * lines and comments, up to the next line at the first column or the
 * end. 1 with *b set when all of it is of the subset and it has an item;
 * 0 otherwise (the loader then leaves the whole file to libyaml). Only
 * the text is looked at: the loader confirms with libyaml that the line
 * found is the root mapping's key. */
int tu_yaml_block_find(const char *text, size_t len, const char *key,
                       tu_yaml_block *b);

/* Pack the items of a block found in `text` into items->store and hand
 * each to items->each, in order, as the loader hands over the items it
 * reads (tu_yaml_item.packed set, .value NULL; positions in `file`, the
 * interned name of the file in `map`, where nested sequences are placed).
 * 0, or -1 with err set (out of memory, or `each` failed). */
int tu_yaml_block_read(const char *text, const tu_yaml_block *b,
                       tu_srcmap *map, const char *file,
                       const tu_yaml_items *items, tu_error *err);

#endif
