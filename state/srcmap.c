/* srcmap.c -- where in which YAML file each JSON container came from.
 *
 * How it works
 * ------------
 * The map is an open-addressing hash table (linear probing, power-of-two
 * capacity, at most 3/4 full) keyed by the address of a jansson object or
 * array. Pointers are spread with Fibonacci hashing (tu_strmap_slot:
 * multiply by 2^64/phi, keep the top bits). Recording a container again
 * (its address reused after the old one was freed) resets its entry;
 * tu_srcmap_forget removes one by backward-shift deletion (the entries
 * after it in its probe run move back into the hole when their home slot
 * allows), so no tombstones.
 *
 * An entry holds the container's own position and, for objects, the
 * positions of its keys in insertion order, as a malloc'd array of uint32
 * that doubles when full (its capacity is implied by the count). Normally a
 * member is two numbers (line, column) and shares the file of its object;
 * the first member that comes from another file widens the array to three
 * numbers (line, column, file). An entry is 32 bytes and a record of five
 * keys adds a 64-byte array, so a million records stay cheap. Members are
 * added in runs on one object, so the last entry used is remembered.
 *
 * tu_srcmap_member() finds a key's index by walking the object with
 * json_object_foreach, which in jansson 2.14 follows insertion order, and
 * picks that member's position. Removing keys from a recorded object would
 * shift later keys onto the wrong positions; the loader never does.
 *
 * File names are interned in a small array of strdup'd strings and entries
 * refer to them by index (0: no file), so a tu_srcpos.file handed out stays
 * valid until the map is freed.
 */
#include "srcmap.h"
#include "util/arena.h"
#include "util/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct srcmap_entry {
    const json_t *key;   /* NULL: empty slot */
    uint32_t *members;   /* line, column[, file] per member */
    uint32_t line;
    uint32_t column;
    uint32_t nmembers;   /* the capacity follows: srcmap_members_cap() */
    unsigned file : 31;  /* index in files + 1; 0: unknown */
    unsigned wide : 1;   /* 1: members carry a file index */
} srcmap_entry;          /* 32 bytes on LP64 */

struct tu_srcmap {
    srcmap_entry *slots;
    size_t cap;          /* a power of two, or 0 */
    size_t count;
    srcmap_entry *last;  /* the entry last added to (members come in runs) */
    char **files;
    size_t nfiles;
    size_t files_cap;
};

#define SRCMAP_MIN_CAP 64
#define SRCMAP_MEMBERS_MIN 4

/* ---- file names --------------------------------------------------------- */

/* The index + 1 of an interned name, by address first (what the loader
 * passes back), then by content; 0 when not interned. */
static uint32_t srcmap_file_find(const tu_srcmap *map, const char *name)
{
    size_t i;
    for (i = 0; i < map->nfiles; i++)
        if (map->files[i] == name)
            return (uint32_t)i + 1;
    for (i = 0; i < map->nfiles; i++)
        if (strcmp(map->files[i], name) == 0)
            return (uint32_t)i + 1;
    return 0;
}

/* The index + 1 of `name`, interning it if needed; 0 for a NULL name or
 * when out of memory (*failed is set then). */
static uint32_t srcmap_file_index(tu_srcmap *map, const char *name,
                                  int *failed)
{
    uint32_t idx;
    if (!name)
        return 0;
    idx = srcmap_file_find(map, name);
    if (idx)
        return idx;
    if (map->nfiles >= (size_t)INT32_MAX)
        goto fail;
    if (tu_array_grow(&map->files, &map->files_cap, map->nfiles + 1,
                      sizeof *map->files, 4) != 0)
        goto fail;
    map->files[map->nfiles] = strdup(name);
    if (!map->files[map->nfiles])
        goto fail;
    return (uint32_t)++map->nfiles;
fail:
    *failed = 1;
    return 0;
}

static const char *srcmap_file_name(const tu_srcmap *map, uint32_t idx)
{
    return idx ? map->files[idx - 1] : NULL;
}

const char *tu_srcmap_file(tu_srcmap *map, const char *name)
{
    int failed = 0;
    uint32_t idx;
    if (!map)
        return NULL;
    idx = srcmap_file_index(map, name, &failed);
    return srcmap_file_name(map, idx);
}

/* ---- the table ---------------------------------------------------------- */

/* The home slot of a container's address (strmap.h's Fibonacci slot). */
static size_t srcmap_home(const tu_srcmap *map, const json_t *key)
{
    return tu_strmap_slot((uint64_t)(uintptr_t)key, map->cap);
}

/* The slot holding `key`, or the empty slot where it would go. The table
 * must have a capacity. */
static srcmap_entry *srcmap_slot(const tu_srcmap *map, const json_t *key)
{
    size_t mask = map->cap - 1;
    size_t i = srcmap_home(map, key);
    while (map->slots[i].key && map->slots[i].key != key)
        i = (i + 1) & mask;
    return &map->slots[i];
}

static srcmap_entry *srcmap_find(const tu_srcmap *map, const json_t *key)
{
    srcmap_entry *e;
    if (!map || !key || !map->cap)
        return NULL;
    e = srcmap_slot(map, key);
    return e->key ? e : NULL;
}

/* Double the table (or create it) and rehash every entry. */
static int srcmap_grow(tu_srcmap *map)
{
    size_t i, cap = map->cap ? map->cap * 2 : SRCMAP_MIN_CAP;
    srcmap_entry *old = map->slots;
    size_t old_cap = map->cap;
    srcmap_entry *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    map->slots = slots;
    map->cap = cap;
    map->last = NULL;
    for (i = 0; i < old_cap; i++)
        if (old[i].key)
            *srcmap_slot(map, old[i].key) = old[i];
    free(old);
    return 0;
}

/* The entry for `key`, created empty if missing; NULL when out of memory. */
static srcmap_entry *srcmap_upsert(tu_srcmap *map, const json_t *key)
{
    srcmap_entry *e;
    if ((map->count + 1) * 4 > map->cap * 3 && srcmap_grow(map) < 0)
        return NULL;
    e = srcmap_slot(map, key);
    if (!e->key) {
        memset(e, 0, sizeof *e);
        e->key = key;
        map->count++;
    }
    return e;
}

/* ---- members ------------------------------------------------------------ */

static uint32_t srcmap_stride(const srcmap_entry *e)
{
    return e->wide ? 3 : 2;
}

/* Member arrays grow by doubling from SRCMAP_MEMBERS_MIN, so their
 * capacity follows from the count and need not be stored. */
static uint32_t srcmap_members_cap(uint32_t n)
{
    uint32_t cap = SRCMAP_MEMBERS_MIN;
    while (cap < n)
        cap *= 2;
    return cap;
}

/* Make room for one more member. */
static int srcmap_members_reserve(srcmap_entry *e)
{
    uint32_t n = e->nmembers, cap;
    uint32_t *grown;
    if (e->members && n < srcmap_members_cap(n))
        return 0;
    if (n > UINT32_MAX / 6)
        return -1;
    cap = e->members ? n * 2 : SRCMAP_MEMBERS_MIN;
    grown = realloc(e->members, (size_t)cap * srcmap_stride(e) * sizeof *grown);
    if (!grown)
        return -1;
    e->members = grown;
    return 0;
}

/* Switch the members to three numbers each, the file being the entry's. */
static int srcmap_members_widen(srcmap_entry *e)
{
    uint32_t i, cap = srcmap_members_cap(e->nmembers);
    uint32_t *wide = malloc((size_t)cap * 3 * sizeof *wide);
    if (!wide)
        return -1;
    for (i = 0; i < e->nmembers; i++) {
        wide[i * 3] = e->members[i * 2];
        wide[i * 3 + 1] = e->members[i * 2 + 1];
        wide[i * 3 + 2] = e->file;
    }
    free(e->members);
    e->members = wide;
    e->wide = 1;
    return 0;
}

static tu_srcpos srcmap_member_pos(const tu_srcmap *map,
                                   const srcmap_entry *e, uint32_t i)
{
    tu_srcpos pos;
    const uint32_t *m = e->members + (size_t)i * srcmap_stride(e);
    pos.file = srcmap_file_name(map, e->wide ? m[2] : e->file);
    pos.line = m[0];
    pos.column = m[1];
    return pos;
}

static tu_srcpos srcmap_entry_pos(const tu_srcmap *map, const srcmap_entry *e)
{
    tu_srcpos pos;
    pos.file = srcmap_file_name(map, e->file);
    pos.line = e->line;
    pos.column = e->column;
    return pos;
}

/* ---- the API ------------------------------------------------------------ */

tu_srcmap *tu_srcmap_new(void)
{
    return calloc(1, sizeof(tu_srcmap));
}

void tu_srcmap_free(tu_srcmap *map)
{
    size_t i;
    if (!map)
        return;
    for (i = 0; i < map->cap; i++)
        free(map->slots[i].members);
    for (i = 0; i < map->nfiles; i++)
        free(map->files[i]);
    free(map->slots);
    free(map->files);
    free(map);
}

int tu_srcmap_set(tu_srcmap *map, const json_t *container, tu_srcpos pos)
{
    int failed = 0;
    uint32_t file;
    srcmap_entry *e;
    if (!map || !container)
        return -1;
    file = srcmap_file_index(map, pos.file, &failed);
    if (failed)
        return -1;
    e = srcmap_upsert(map, container);
    if (!e)
        return -1;
    free(e->members);  /* a reused address: forget the old members */
    e->members = NULL;
    e->nmembers = 0;
    e->wide = 0;
    e->file = file;
    e->line = pos.line;
    e->column = pos.column;
    return 0;
}

int tu_srcmap_add_member(tu_srcmap *map, const json_t *object, tu_srcpos pos)
{
    int failed = 0;
    uint32_t file, *m;
    srcmap_entry *e;
    if (!map || !object)
        return -1;
    file = srcmap_file_index(map, pos.file, &failed);
    if (failed)
        return -1;
    e = map->last && map->last->key == object ? map->last
                                              : srcmap_upsert(map, object);
    if (!e)
        return -1;
    map->last = e;
    if (!e->nmembers && !e->wide && !e->line && !e->file)
        e->file = file;  /* an object never set: adopt the first file */
    if (file != e->file && !e->wide && srcmap_members_widen(e) < 0)
        return -1;
    if (srcmap_members_reserve(e) < 0)
        return -1;
    m = e->members + (size_t)e->nmembers * srcmap_stride(e);
    m[0] = pos.line;
    m[1] = pos.column;
    if (e->wide)
        m[2] = file;
    e->nmembers++;
    return 0;
}

/* 1 when home slot k may not be left behind hole i by the entry at j:
 * k lies cyclically in (i, j]. */
static int srcmap_stays(size_t k, size_t i, size_t j)
{
    return i <= j ? (k > i && k <= j) : (k > i || k <= j);
}

void tu_srcmap_forget(tu_srcmap *map, const json_t *container)
{
    srcmap_entry *e = srcmap_find(map, container);
    size_t mask, i, j;

    if (!e)
        return;
    free(e->members);
    mask = map->cap - 1;
    i = j = (size_t)(e - map->slots);
    for (;;) {
        j = (j + 1) & mask;
        if (!map->slots[j].key)
            break;
        if (!srcmap_stays(srcmap_home(map, map->slots[j].key), i, j)) {
            map->slots[i] = map->slots[j];
            i = j;
        }
    }
    memset(&map->slots[i], 0, sizeof map->slots[i]);
    map->count--;
    map->last = NULL;
}

tu_srcpos tu_srcmap_get(const tu_srcmap *map, const json_t *container)
{
    tu_srcpos none = {NULL, 0, 0};
    const srcmap_entry *e = srcmap_find(map, container);
    return e ? srcmap_entry_pos(map, e) : none;
}

tu_srcpos tu_srcmap_member(const tu_srcmap *map, const json_t *object,
                           const char *key)
{
    tu_srcpos none = {NULL, 0, 0};
    const srcmap_entry *e = srcmap_find(map, object);
    const char *k;
    json_t *v;
    uint32_t i = 0;
    if (!e)
        return none;
    if (key && json_is_object(object)) {
        json_object_foreach((json_t *)object, k, v) {
            if (i >= e->nmembers)
                break;
            if (strcmp(k, key) == 0)
                return srcmap_member_pos(map, e, i);
            i++;
        }
    }
    return srcmap_entry_pos(map, e);
}
