/* srcmap.h -- where in which YAML file each JSON container came from.
 *
 * The loader turns YAML into jansson values, which have no room for source
 * positions; this map keeps them on the side, keyed by the address of each
 * object and array (scalars can be jansson singletons, so they are located
 * through the key that holds them: tu_srcmap_member). Lookups happen only
 * when an error is reported, so the map favours small entries over speed of
 * the member lookup, which is a linear scan of one object's keys.
 *
 * File names are interned: a tu_srcpos.file stays valid as long as the map.
 */
#ifndef TU_STATE_SRCMAP_H
#define TU_STATE_SRCMAP_H

#include <jansson.h>

typedef struct tu_srcpos {
    const char *file;  /* NULL: unknown */
    unsigned line;     /* 1-based; 0: unknown */
    unsigned column;   /* 1-based; 0: unknown */
} tu_srcpos;

typedef struct tu_srcmap tu_srcmap;

tu_srcmap *tu_srcmap_new(void);
void tu_srcmap_free(tu_srcmap *map);

/* Intern a file name; the returned pointer lives as long as the map. */
const char *tu_srcmap_file(tu_srcmap *map, const char *name);

/* Record where `container` (an object or array) starts. */
int tu_srcmap_set(tu_srcmap *map, const json_t *container, tu_srcpos pos);

/* Record where the key most recently inserted into `object` stands. Must be
 * called once per key, right after the key is inserted, so that positions
 * follow the object's insertion order. */
int tu_srcmap_add_member(tu_srcmap *map, const json_t *object, tu_srcpos pos);

/* Forget `container` and its members (it is about to be freed, and
 * another value may take its address). Nothing happens when unknown. */
void tu_srcmap_forget(tu_srcmap *map, const json_t *container);

/* Where `container` starts; {NULL, 0, 0} if unknown. */
tu_srcpos tu_srcmap_get(const tu_srcmap *map, const json_t *container);

/* Where `key` of `object` stands; the object's own position when the key
 * has none recorded. */
tu_srcpos tu_srcmap_member(const tu_srcmap *map, const json_t *object,
                           const char *key);

#endif
