/* strmap.h -- a hash map from strings to indexes.
 *
 * Open addressing with linear probing. Keys are borrowed: the caller keeps
 * them alive (they are usually owned by the records they index). Used to
 * index records by key, where there may be millions of them, so an entry is
 * two words and a hash.
 */
#ifndef TU_UTIL_STRMAP_H
#define TU_UTIL_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct tu_strmap_entry {
    const char *key;   /* NULL: empty slot */
    size_t value;
    uint64_t hash;
} tu_strmap_entry;

typedef struct tu_strmap {
    tu_strmap_entry *slots;
    size_t cap;   /* a power of two, or 0 */
    size_t count;
} tu_strmap;

/* The FNV-1a 64-bit hash of a string, as the map uses it. Stable across
 * builds and machines (shards are assigned by it: engine/shard.c). */
uint64_t tu_strmap_hash(const char *s);

/* The same hash of `n` bytes (which may hold NULs): tu_strmap_hash(s) is
 * tu_hash_bytes(s, strlen(s)). */
uint64_t tu_hash_bytes(const void *p, size_t n);

/* The home slot of `hash` in a table of `cap` slots (a power of two):
 * its top bits after a multiplication by 2^64/phi (Fibonacci hashing),
 * since FNV-1a's low bits alone cluster on keys that differ in a few
 * digits. For every open-addressing table keyed by these hashes. */
size_t tu_strmap_slot(uint64_t hash, size_t cap);

void tu_strmap_init(tu_strmap *map);
void tu_strmap_free(tu_strmap *map);   /* frees the table, not the keys */

/* Make room for n entries without growing. 0 on success, -1 on ENOMEM. */
int tu_strmap_reserve(tu_strmap *map, size_t n);

/* Insert key -> value unless the key is present. Returns 1 when inserted,
 * 0 when present (*existing, if given, receives its value), -1 on ENOMEM. */
int tu_strmap_put(tu_strmap *map, const char *key, size_t value,
                  size_t *existing);

/* 1 and *value set when found, else 0. */
int tu_strmap_get(const tu_strmap *map, const char *key, size_t *value);

#endif
