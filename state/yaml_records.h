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
 * The loader (yaml_load.c) asks tu_yaml_block_take for such a list
 * under a top-level key. It reads the list once: each item, when it is of
 * the subset this reads (yaml_records.c says which), is packed straight
 * into the document's store and handed over as it is read: no libyaml
 * events, no jansson objects. Then libyaml parses the rest of the file
 * with the list's lines taken out. When a line of the list is outside
 * the subset, or the rest turns out not to hold the list where the text
 * seemed to, the items handed over are taken back (tu_yaml_items.drop),
 * the store rewound, and libyaml reads the whole file as before; the two
 * must give the same records and the same errors (the differential fuzz
 * target fuzz_yaml_records).
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
    size_t items;             /* items in the list (handed over) */
    size_t nodes;             /* YAML nodes in its items (each item, key,
                                 value and element of a sequence): the
                                 loader's alias budget counts them */
    tu_pack_mark mark;        /* the store before the list was packed */
} tu_yaml_block;

/* Find the list under the top-level `key` of `text` (`len` bytes): a line
 * "key:" at the first column, followed by items of the subset, blank
 * lines and comments, up to the next line at the first column or the
 * end; pack each item into items->store and hand it to items->each as it
 * is read (tu_yaml_item.packed set, .value NULL; positions in `file`,
 * the interned name of the file in `map`, where nested sequences are
 * placed). items->store and items->drop must be set.
 *   1: all of the list is of the subset, it has an item, each was handed
 *      over; *b says where the list stands;
 *   0: there is no such list, or it is not all of the subset: whatever
 *      was handed over has been taken back (tu_yaml_block_drop), and the
 *      loader leaves the whole file to libyaml;
 *  -1: out of memory, or `each` failed (err set; taken back as for 0).
 * Only the text is looked at: the loader confirms with libyaml that the
 * line found is the root mapping's key, and takes the items back
 * (tu_yaml_block_drop) when it is not, or when the rest of the file
 * fails. */
int tu_yaml_block_take(const char *text, size_t len, tu_srcmap *map,
                       const char *file, const tu_yaml_items *items,
                       tu_yaml_block *b, tu_error *err);

/* Take back the items of `b` handed over (items->drop, when there were
 * any), forget the sequences packed since in `map` and rewind the store
 * to where it stood before the list. */
void tu_yaml_block_drop(const tu_yaml_block *b, tu_srcmap *map,
                        const tu_yaml_items *items);

#endif
