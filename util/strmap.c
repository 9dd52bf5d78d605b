/* strmap.c -- a hash map from strings to indexes (see strmap.h).
 *
 * FNV-1a hashes, open addressing, linear probing, load factor at most 1/2.
 * There is no removal: record indexes are built once per run. A slot is
 * picked by the top bits of the hash times 2^64/phi (Fibonacci hashing):
 * FNV-1a's low bits alone cluster on keys that differ in a few digits
 * (host1, host2, ...), and with a million keys the probes showed it.
 */
#include "strmap.h"
#include "arena.h"

#include <stdlib.h>
#include <string.h>

uint64_t tu_hash_bytes(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

uint64_t tu_strmap_hash(const char *s)
{
    return tu_hash_bytes(s, strlen(s));
}

void tu_strmap_init(tu_strmap *map)
{
    map->slots = NULL;
    map->cap = 0;
    map->count = 0;
}

void tu_strmap_free(tu_strmap *map)
{
    free(map->slots);
    tu_strmap_init(map);
}

size_t tu_strmap_slot(uint64_t hash, size_t cap)
{
    unsigned bits = (unsigned)__builtin_ctzll((unsigned long long)cap);
    return bits ? (size_t)((hash * UINT64_C(0x9E3779B97F4A7C15)) >>
                           (64 - bits))
                : 0;
}

static tu_strmap_entry *find_slot(tu_strmap_entry *slots, size_t cap,
                                  const char *key, uint64_t hash)
{
    size_t i = tu_strmap_slot(hash, cap);
    while (slots[i].key) {
        if (slots[i].hash == hash && strcmp(slots[i].key, key) == 0)
            return &slots[i];
        i = (i + 1) & (cap - 1);
    }
    return &slots[i];
}

static int rehash(tu_strmap *map, size_t cap)
{
    tu_strmap_entry *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    tu_advise_huge(slots, cap * sizeof *slots);
    for (size_t i = 0; i < map->cap; i++) {
        const tu_strmap_entry *e = &map->slots[i];
        if (e->key)
            *find_slot(slots, cap, e->key, e->hash) = *e;
    }
    free(map->slots);
    map->slots = slots;
    map->cap = cap;
    return 0;
}

int tu_strmap_reserve(tu_strmap *map, size_t n)
{
    size_t cap = map->cap ? map->cap : 16;
    while (cap / 2 < n)
        cap *= 2;
    return cap == map->cap ? 0 : rehash(map, cap);
}

int tu_strmap_put(tu_strmap *map, const char *key, size_t value,
                  size_t *existing)
{
    uint64_t hash = tu_strmap_hash(key);
    tu_strmap_entry *slot;

    if (tu_strmap_reserve(map, map->count + 1) != 0)
        return -1;
    slot = find_slot(map->slots, map->cap, key, hash);
    if (slot->key) {
        if (existing)
            *existing = slot->value;
        return 0;
    }
    slot->key = key;
    slot->value = value;
    slot->hash = hash;
    map->count++;
    return 1;
}

int tu_strmap_get(const tu_strmap *map, const char *key, size_t *value)
{
    const tu_strmap_entry *slot;
    if (!map->cap)
        return 0;
    slot = find_slot(map->slots, map->cap, key, tu_strmap_hash(key));
    if (!slot->key)
        return 0;
    *value = slot->value;
    return 1;
}
