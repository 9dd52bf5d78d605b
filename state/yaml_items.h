/* yaml_items.h -- the items of a list handed over as they are read.
 *
 * The loader (yaml_load.h) hands each item of one top-level list to a
 * callback instead of keeping it, whether libyaml read it or the fast
 * reader of records lists did (yaml_records.h). The types live here so
 * that both can name them.
 */
#ifndef TU_STATE_YAML_ITEMS_H
#define TU_STATE_YAML_ITEMS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "packed.h"
#include "srcmap.h"

/* One item of a handed-over list (below), borrowed for the call. A
 * mapping read as an item has its members' places here, not in the
 * source map: it is freed once handed over. An item of a list read
 * without libyaml (yaml_records.h) comes packed instead, in the items'
 * store, and `value` is NULL. */
typedef struct tu_yaml_item {
    json_t *value;
    tu_srcpos pos;            /* where it starts */
    size_t index;             /* in its list */
    const uint32_t *members;  /* line, column of each member of a mapping,
                                 in its order; NULL: not known (an alias) */
    size_t nmembers;
    const tu_packed *packed;  /* or the item packed, in items->store */
} tu_yaml_item;

/* Where the items of one top-level list go as they are read: each item
 * of the list under the root mapping's `key` is handed to `each` as soon
 * as it is complete, in order, and not kept: that list is left empty in
 * the document. So a file of a million records never exists as one
 * jansson tree. `each` returns 0, or nonzero when out of memory.
 *
 * A list read without libyaml is handed over as it is read, before the
 * rest of the file is: when a later line of it turns out to be outside
 * the subset, or the rest of the file fails, `drop` is called to take
 * back every item of the list handed over so far (from index 0), and the
 * store is rewound to where it stood before the list (what was packed
 * in it since is freed); libyaml then reads the whole file, the list's
 * items again from index 0, or the load fails. */
typedef struct tu_yaml_items {
    const char *key;
    int (*each)(const tu_yaml_item *item, void *data);
    void *data;
    tu_pack_store *store;  /* where a list of the common shape is packed
                              without libyaml (yaml_records.h); NULL: it
                              is read by libyaml as any other */
    void (*drop)(void *data);  /* needed with `store` (above) */
} tu_yaml_items;

#endif
