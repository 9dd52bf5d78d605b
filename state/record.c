/* record.c -- records, keys and indexed record sets (see record.h).
 *
 * The matching key is, for each key field in order, a one-letter type tag
 * ('s' string, 'n' number, 'b' boolean), the length in bytes of the value's
 * text, ':' and the text, as "s3:wwws1:A". The lengths make the encoding
 * injective whatever the values hold; NUL and 0x01 bytes are escaped as
 * 0x01 '0' and 0x01 '1' so that the key is a C string. Numbers use
 * tu_json_text, which writes integral reals without a fraction, so 600 and
 * 600.0 share a key, as tu_json_equal says they are equal.
 */
#include "record.h"
#include "util/json_util.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char type_tag(const json_t *v)
{
    if (json_is_string(v))
        return 's';
    if (json_is_number(v))
        return 'n';
    if (json_is_boolean(v))
        return 'b';
    return 'z';
}

/* Append `n` bytes of text, escaping NUL and 0x01: runs of other bytes
 * are copied whole, found with one compare a byte. */
static int add_escaped(tu_buffer *b, const char *text, size_t n)
{
    const char *p = text, *end = text + n, *q;

    for (;;) {
        for (q = p; q < end && (unsigned char)*q > 1; q++)
            ;
        if (tu_buffer_add(b, p, (size_t)(q - p)) != 0)
            return -1;
        if (q == end)
            return 0;
        if (tu_buffer_add(b, *q ? "\x01" "1" : "\x01" "0", 2) != 0)
            return -1;
        p = q + 1;
    }
}

/* "s22:": a key part's tag and length, into head (32 bytes); its length.
 * By hand: snprintf was a third of the time spent keying records. */
static size_t key_head(char *head, char tag, size_t n)
{
    char digits[24];
    size_t d = 0, len = 0;

    do {
        digits[d++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    head[len++] = tag;
    while (d)
        head[len++] = digits[--d];
    head[len++] = ':';
    return len;
}

/* One key field: its type tag, its text (n bytes) and its place i; and
 * its part of the label, unless `label` is NULL. */
static int add_key_text(tu_buffer *key, tu_buffer *label, char tag,
                        const char *raw, size_t n, size_t i)
{
    char head[32];
    size_t len = key_head(head, tag, n);
    int rc = tu_buffer_add(key, head, len) | add_escaped(key, raw, n);

    if (label)
        rc |= (i ? tu_buffer_add(label, "|", 1) : 0) |
              tu_buffer_add(label, raw, strnlen(raw, n));
    return rc ? -1 : 0;
}

static int add_key_part(tu_buffer *key, tu_buffer *label, const json_t *v,
                        size_t i)
{
    /* strings are used in place: one allocation less per key field */
    char *text = json_is_string(v) ? NULL : tu_json_text(v);
    const char *raw = text ? text : json_string_value(v);
    size_t n = text ? strlen(text) : json_string_length(v);
    int rc = raw ? add_key_text(key, label, type_tag(v), raw, n, i) : -1;
    free(text);
    return rc;
}

static void key_start(tu_buffer *key, tu_buffer *label,
                      const char **missing)
{
    tu_buffer_clear(key, 4096);
    if (label)
        tu_buffer_clear(label, 4096);
    *missing = NULL;
}

/* A key must end up as a string: an empty key has no text yet. */
static int key_done(tu_buffer *key, tu_buffer *label)
{
    return tu_buffer_add(key, "", 0) |
           (label ? tu_buffer_add(label, "", 0) : 0) ? -1 : 0;
}

int tu_record_key_buf(const json_t *fields, const tu_keyspec *spec,
                      tu_buffer *key, tu_buffer *label, const char **missing)
{
    key_start(key, label, missing);
    for (size_t i = 0; i < spec->count; i++) {
        const json_t *v = json_object_get(fields, spec->fields[i]);
        if (!v || json_is_object(v) || json_is_array(v) || json_is_null(v)) {
            *missing = spec->fields[i];
            return -1;
        }
        if (add_key_part(key, label, v, i) != 0)
            return -1;
    }
    return key_done(key, label);
}

/* One packed key field; reals go through jansson for their digits. */
static int add_packed_part(tu_buffer *key, tu_buffer *label,
                           const tu_pfield *f, size_t i)
{
    char num[32];
    json_t *real;
    int rc;

    switch (tu_pfield_type(f)) {
    case TU_PV_STR:
        return add_key_text(key, label, 's', f->u.s, tu_pfield_len(f), i);
    case TU_PV_INT:
        return add_key_text(key, label, 'n', num, tu_int_text(f->u.i, num),
                            i);
    case TU_PV_TRUE:
        return add_key_text(key, label, 'b', "true", 4, i);
    case TU_PV_FALSE:
        return add_key_text(key, label, 'b', "false", 5, i);
    default: /* TU_PV_REAL */
        if (!(real = json_real(f->u.r)))
            return -1;
        rc = add_key_part(key, label, real, i);
        json_decref(real);
        return rc;
    }
}

int tu_packed_key(const tu_packed *p, const tu_keyspec *spec, tu_buffer *key,
                  tu_buffer *label, const char **missing)
{
    key_start(key, label, missing);
    for (size_t i = 0; i < spec->count; i++) {
        const tu_pfield *f = tu_packed_get(p, spec->fields[i]);
        if (!f || tu_pfield_type(f) == TU_PV_JSON ||
            tu_pfield_type(f) == TU_PV_NULL) {
            *missing = spec->fields[i];
            return -1;
        }
        if (add_packed_part(key, label, f, i) != 0)
            return -1;
    }
    return key_done(key, label);
}

int tu_record_key(const json_t *fields, const tu_keyspec *spec, char **key,
                  char **label, const char **missing)
{
    tu_buffer k = TU_BUFFER_INIT, l = TU_BUFFER_INIT;

    if (tu_record_key_buf(fields, spec, &k, &l, missing) != 0) {
        tu_buffer_free(&k);
        tu_buffer_free(&l);
        return -1;
    }
    *key = tu_buffer_take(&k);
    *label = tu_buffer_take(&l);
    if (*key && *label)
        return 0;
    free(*key);
    free(*label);
    *missing = NULL;
    return -1;
}

/* The rare parts of a record (tu_record.more). */
struct tu_record_more {
    json_t *json;          /* owned reference, or NULL */
    char *label;           /* owned, or NULL */
};

/* The record's rare parts, made when it has none; NULL: out of memory. */
static tu_record_more *more_of(tu_record *r)
{
    if (!r->more)
        r->more = calloc(1, sizeof *r->more);
    return r->more;
}

static json_t *json_of(const tu_record *r)
{
    return r->more ? r->more->json : NULL;
}

static void more_free(tu_record *r)
{
    if (r->more) {
        json_decref(r->more->json);
        free(r->more->label);
        free(r->more);
        r->more = NULL;
    }
}

void tu_record_clear(tu_record *record)
{
    more_free(record);
}

json_t *tu_record_fields(const tu_record *record)
{
    tu_record *r = (tu_record *)record; /* the cache; see record.h */
    json_t *j;

    if (!json_of(r) && r->packed) {
        if (!(j = tu_packed_json(r->packed)))
            return NULL;
        if (!more_of(r)) {
            json_decref(j);
            return NULL;
        }
        r->more->json = j;
    }
    return json_of(r);
}

json_t *tu_record_json(const tu_record *record)
{
    if (json_of(record))
        return json_incref(json_of(record));
    return record->packed ? tu_packed_json(record->packed) : NULL;
}

int tu_record_set_fields(tu_record *record, json_t *fields)
{
    if (!more_of(record)) {
        json_decref(fields);
        return -1;
    }
    json_decref(record->more->json);
    record->more->json = fields;
    record->packed = NULL;
    return 0;
}

json_t *tu_record_value(const tu_record *record, const char *name)
{
    const tu_pfield *f;

    if (json_of(record) || !record->packed)
        return json_incref(json_object_get(json_of(record), name));
    f = tu_packed_get(record->packed, name);
    return f ? tu_pfield_json(f) : NULL;
}

const tu_packed *tu_record_packed(const tu_record *r)
{
    return json_of(r) ? NULL : r->packed;
}

const tu_pfield *tu_record_pfield(const tu_record *r, const char *name)
{
    const tu_packed *p = tu_record_packed(r);

    return p ? tu_packed_get(p, name) : NULL;
}

const char *tu_record_string(const tu_record *record, const char *name)
{
    if (json_of(record) || !record->packed)
        return json_string_value(json_object_get(json_of(record), name));
    return tu_packed_string(record->packed, name);
}

/* ---- the index ---------------------------------------------------------- */

#define INDEX_MAX_RECORDS ((size_t)UINT32_MAX - 1)

/* The slot of `key` (hash `h`), or the empty slot where it would go. */
static uint64_t *index_slot(const tu_recordset *set, const char *key,
                            uint64_t h)
{
    const tu_record_index *ix = &set->index;
    size_t i = tu_strmap_slot(h, ix->cap), mask = ix->cap - 1;
    uint64_t tag = h >> 32;

    for (; ix->slots[i]; i = (i + 1) & mask) {
        uint64_t s = ix->slots[i];
        if (s >> 32 == tag &&
            strcmp(set->items[(s & 0xffffffffu) - 1].key, key) == 0)
            break;
    }
    return &ix->slots[i];
}

/* Put an entry of a key known to be absent (rebuilding). */
static void index_place(tu_record_index *ix, uint64_t slot, uint64_t h)
{
    size_t i = tu_strmap_slot(h, ix->cap), mask = ix->cap - 1;
    while (ix->slots[i])
        i = (i + 1) & mask;
    ix->slots[i] = slot;
}

/* Room for n keys, the table at most three quarters full (the entries
 * are moved over). */
static int index_reserve(tu_recordset *set, size_t n)
{
    tu_record_index *ix = &set->index, old = set->index;
    size_t cap = ix->cap ? ix->cap : 16;

    if (n > INDEX_MAX_RECORDS)
        return -1;
    while (cap / 4 * 3 < n)
        cap *= 2;
    if (cap == ix->cap)
        return 0;
    if (!(ix->slots = calloc(cap, sizeof *ix->slots))) {
        *ix = old;
        return -1;
    }
    tu_advise_huge(ix->slots, cap * sizeof *ix->slots);
    ix->cap = cap;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slots[i]) {
            const char *key = set->items[(old.slots[i] & 0xffffffffu) - 1].key;
            index_place(ix, old.slots[i], tu_strmap_hash(key));
        }
    }
    free(old.slots);
    return 0;
}

static void index_free(tu_record_index *ix)
{
    free(ix->slots);
    ix->slots = NULL;
    ix->cap = 0;
}

void tu_recordset_init(tu_recordset *set)
{
    memset(set, 0, sizeof *set);
    tu_pack_store_init(&set->store);
}

void tu_recordset_free(tu_recordset *set)
{
    for (size_t i = 0; i < set->count; i++)
        tu_record_clear(&set->items[i]);
    free(set->items);
    index_free(&set->index);
    tu_pack_store_free(&set->store);
    tu_recordset_init(set);
}

/* Room for `want` records in items. 0 or -1. */
static int grow_items(tu_recordset *set, size_t want)
{
    return tu_array_grow(&set->items, &set->cap, want, sizeof *set->items,
                         64);
}

int tu_recordset_reserve(tu_recordset *set, size_t n)
{
    size_t want = set->count + n;
    return grow_items(set, want) || index_reserve(set, want) ? -1 : 0;
}

/* One escaped byte of a key part at *p (advanced): NUL and 0x01 come
 * escaped as 0x01 '0' and 0x01 '1'. -1 at the key's end. */
static int key_byte(const char **p)
{
    const char *s = *p;

    if (!*s)
        return -1;
    *p = s + 1;
    if (*s != '\x01')
        return (unsigned char)*s;
    if (s[1] != '0' && s[1] != '1')
        return -1;
    *p = s + 2;
    return s[1] == '0' ? '\0' : '\x01';
}

/* The head of a key part at *p ("s22:"), *p moved past it: its length,
 * or -1 when *p is no such head. */
static long part_head(const char **p)
{
    const char *s = *p;
    long n = 0;

    if (!*s || !strchr("snbz", *s++) || *s < '0' || *s > '9')
        return -1;
    while (*s >= '0' && *s <= '9' && n < LONG_MAX / 10)
        n = n * 10 + (*s++ - '0');
    if (*s++ != ':')
        return -1;
    *p = s;
    return n;
}

/* Whether `label` is the values of `key` joined by '|' (as tu_record_key
 * makes them, each cut at a NUL): then tu_record_label can make it. */
static int label_of_key(const char *key, const char *label)
{
    const char *p = key, *l = label;
    long n;

    for (int part = 0; *p; part++) {
        int c, cut = 0;
        if ((n = part_head(&p)) < 0 || (part && *l++ != '|'))
            return 0;
        while (n-- > 0) {
            if ((c = key_byte(&p)) < 0)
                return 0;
            cut |= c == 0;
            if (!cut && (unsigned char)*l++ != c)
                return 0;
        }
    }
    return *l == '\0';
}

const char *tu_record_label(const tu_record *record)
{
    tu_record *r = (tu_record *)record;   /* the label is a cache */
    tu_buffer b = TU_BUFFER_INIT;
    long n;

    if (r->more && r->more->label)
        return r->more->label;
    if (tu_buffer_reserve(&b, strlen(r->key) + 1) != 0 ||  /* all at once */
        (n = tu_key_values(r->key, &b)) < 0 || tu_buffer_add(&b, "", 1) ||
        !more_of(r)) {
        tu_buffer_free(&b);
        return r->key;
    }
    tu_key_values_join(b.data, b.len - 1);
    r->more->label = tu_buffer_take(&b);
    return r->more->label ? r->more->label : r->key;
}

const char *tu_record_label_kept(const tu_record *record)
{
    return record->more ? record->more->label : NULL;
}

/* A new record with key and label copied into the store, not indexed;
 * a label tu_record_label would make from the key (or NULL) is not kept. */
static tu_record *append_keyed(tu_recordset *set, const char *key,
                               const char *label)
{
    tu_record *r;

    if (grow_items(set, set->count + 1) != 0)
        return NULL;
    r = &set->items[set->count];
    memset(r, 0, sizeof *r);
    if (!(r->key = tu_arena_strndup(&set->store.arena, key, strlen(key))))
        return NULL;
    if (label && !label_of_key(key, label) &&
        (!more_of(r) || !(r->more->label = strdup(label)))) {
        more_free(r);
        return NULL;
    }
    set->count++;
    return r;
}

/* Index record i, its key's hash `h` (room reserved); a key already
 * present marks both ambiguous. */
static void index_one_hashed(tu_recordset *set, size_t i, uint64_t h,
                             size_t *first)
{
    uint64_t *slot = index_slot(set, set->items[i].key, h);
    size_t existing = SIZE_MAX;

    if (*slot) {
        existing = (*slot & 0xffffffffu) - 1;
        set->items[i].ambiguous = 1;
        set->items[existing].ambiguous = 1;
    } else {
        *slot = (h >> 32) << 32 | (uint64_t)(i + 1);
    }
    if (first)
        *first = existing;
}

static void index_one(tu_recordset *set, size_t i, size_t *first)
{
    index_one_hashed(set, i, tu_strmap_hash(set->items[i].key), first);
}

static tu_record *add_keyed(tu_recordset *set, const char *key,
                            const char *label, size_t *first)
{
    tu_record *r;

    if (index_reserve(set, set->count + 1) != 0 ||
        !(r = append_keyed(set, key, label)))
        return NULL;
    index_one(set, set->count - 1, first);
    return r;
}

void tu_recordset_expect(tu_recordset *set, size_t n)
{
    tu_arena_expect(&set->store.arena, n);
}

tu_record *tu_recordset_append_packed(tu_recordset *set,
                                      const json_t *fields, const char *key,
                                      const char *label)
{
    const tu_packed *p = tu_pack(&set->store, fields);
    tu_record *r = p ? append_keyed(set, key, label) : NULL;
    if (r)
        r->packed = p;
    return r;
}

tu_record *tu_recordset_append_stored(tu_recordset *set,
                                      const tu_packed *packed,
                                      const char *key, const char *label)
{
    tu_record *r = append_keyed(set, key, label);
    if (r)
        r->packed = packed;
    return r;
}

/* Hash the keys of keys[*hashed .. upto) (at most n) into ring[j %
 * TU_FIND_AHEAD], each slot of `set` it would read fetched into the
 * cache: the first step of looking up or indexing keys a few ahead. */
static void hash_ahead(const tu_recordset *set, const tu_record *keys,
                       size_t n, size_t upto, size_t *hashed, uint64_t *ring)
{
    for (; *hashed < n && *hashed < upto; (*hashed)++) {
        uint64_t h = tu_strmap_hash(keys[*hashed].key);
        ring[*hashed % TU_FIND_AHEAD] = h;
        __builtin_prefetch(&set->index.slots[tu_strmap_slot(
            h, set->index.cap)]);
    }
}

/* The first n records indexed anew, each slot fetched into the cache a
 * few records ahead (in a table of millions, each is a cache miss). With
 * `stop`, the first record whose key an earlier one has ends it: 1, its
 * index in *dup and the earlier one's in *first. 0, or -1 when out of
 * memory. */
static int index_ahead(tu_recordset *set, size_t n, int stop, size_t *dup,
                       size_t *first)
{
    uint64_t hash[TU_FIND_AHEAD];
    size_t hashed = 0, existing;

    index_free(&set->index);
    if (index_reserve(set, set->count) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        hash_ahead(set, set->items, n, i + TU_FIND_AHEAD, &hashed, hash);
        index_one_hashed(set, i, hash[i % TU_FIND_AHEAD], &existing);
        if (stop && existing != SIZE_MAX) {
            *dup = i;
            *first = existing;
            return 1;
        }
    }
    return 0;
}

int tu_recordset_index(tu_recordset *set)
{
    return index_ahead(set, set->count, 0, NULL, NULL);
}

int tu_recordset_index_unique(tu_recordset *set, size_t n, size_t *dup,
                              size_t *first)
{
    return index_ahead(set, n < set->count ? n : set->count, 1, dup, first);
}

tu_record *tu_recordset_add(tu_recordset *set, json_t *fields, char *key,
                            char *label, size_t *first)
{
    tu_record *r = key && label ? add_keyed(set, key, label, first) : NULL;

    free(key);
    free(label);
    if (r && tu_record_set_fields(r, fields) != 0)
        return NULL;            /* the record stays, with no fields */
    if (!r)
        json_decref(fields);
    return r;
}

tu_record *tu_recordset_add_packed(tu_recordset *set, const json_t *fields,
                                   const tu_packed *packed, const char *key,
                                   const char *label, size_t *first)
{
    tu_record *r;

    if (fields && !(packed = tu_pack(&set->store, fields)))
        return NULL;
    r = add_keyed(set, key, label, first);
    if (r)
        r->packed = packed;
    return r;
}

const tu_record *tu_recordset_find(const tu_recordset *set, const char *key)
{
    uint64_t slot;

    if (!set->index.cap)
        return NULL;
    slot = *index_slot(set, key, tu_strmap_hash(key));
    return slot ? &set->items[(slot & 0xffffffffu) - 1] : NULL;
}

/* ---- many lookups, fetched ahead --------------------------------------- */

/* The record an index slot names, if its tag is `h`'s; NULL otherwise. */
static const tu_record *slot_record(const tu_recordset *set, uint64_t slot,
                                    uint64_t h)
{
    return slot && slot >> 32 == h >> 32
               ? &set->items[(slot & 0xffffffffu) - 1]
               : NULL;
}

/* The first slot keys[j]'s lookup reads. */
static uint64_t first_slot(const tu_recordset_finder *f, size_t j)
{
    uint64_t h = f->hash[j % TU_FIND_AHEAD];
    return f->set->index.slots[tu_strmap_slot(h, f->set->index.cap)];
}

void tu_recordset_finder_init(tu_recordset_finder *f,
                              const tu_recordset *set,
                              const tu_record *keys, size_t n)
{
    f->set = set;
    f->keys = keys;
    f->n = set->index.cap ? n : 0;   /* an empty set: no lookups ahead */
    f->hashed = 0;
    f->next = 0;
    f->misses = 0;
}

/* The record after the one found last, when it has keys[i]'s key and no
 * other record has it: the index's answer, without a cache miss (keys in
 * the set's own order are found so one after another). Tried while it
 * works, and every 64th lookup after FIND_MISSES in a row did not: in
 * any other order, each try would be one more cache miss. */
#define FIND_MISSES 4
static const tu_record *found_in_order(tu_recordset_finder *f, size_t i)
{
    const tu_record *r;

    if (f->misses >= FIND_MISSES && i % 64 != 0)
        return NULL;
    r = f->next < f->set->count ? &f->set->items[f->next] : NULL;
    if (r && !r->ambiguous && strcmp(r->key, f->keys[i].key) == 0) {
        f->misses = 0;
        f->next++;
        return r;
    }
    f->misses += f->misses < FIND_MISSES;
    return NULL;
}

/* Three steps ahead of lookup i: hash keys[i + 15] and fetch its slot;
 * fetch the record keys[i + 8]'s slot names; fetch the key (and the
 * packed fields, which the plan reads next) of keys[i + 4]'s record. */
static void fetch_ahead(tu_recordset_finder *f, size_t i)
{
    const tu_record *r;
    size_t j;

    hash_ahead(f->set, f->keys, f->n, i + TU_FIND_AHEAD, &f->hashed,
               f->hash);
    if ((j = i + TU_FIND_AHEAD / 2) < f->hashed &&
        (r = slot_record(f->set, first_slot(f, j),
                         f->hash[j % TU_FIND_AHEAD])))
        __builtin_prefetch(r);
    if ((j = i + TU_FIND_AHEAD / 4) < f->hashed &&
        (r = slot_record(f->set, first_slot(f, j),
                         f->hash[j % TU_FIND_AHEAD]))) {
        __builtin_prefetch(r->key);
        __builtin_prefetch(r->packed);
    }
}

const tu_record *tu_recordset_find_next(tu_recordset_finder *f, size_t i)
{
    const tu_record *r;
    uint64_t slot;

    if (i >= f->n)              /* an empty set (or past the keys) */
        return tu_recordset_find(f->set, f->keys[i].key);
    if ((r = found_in_order(f, i)) != NULL)
        return r;
    if (f->hashed < i)
        f->hashed = i;          /* the keys before were found in order */
    fetch_ahead(f, i);
    slot = *index_slot(f->set, f->keys[i].key, f->hash[i % TU_FIND_AHEAD]);
    if (!slot)
        return NULL;
    f->next = (slot & 0xffffffffu);   /* the record after this one */
    return &f->set->items[f->next - 1];
}

static int named_in(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0)
            return 1;
    }
    return 0;
}

json_t *tu_record_declared(const json_t *fields, const tu_keyspec *key,
                           const char *const *leave_out, size_t n,
                           const char *also)
{
    json_t *out = json_object(), *value;
    const char *field;

    for (size_t i = 0; out && i < key->count; i++)
        json_object_set(out, key->fields[i],
                        json_object_get(fields, key->fields[i]));
    json_object_foreach((json_t *)fields, field, value) {
        if (out && !json_object_get(out, field) &&
            !named_in(field, leave_out, n) &&
            !(also && strcmp(field, also) == 0) &&
            json_object_set(out, field, value) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* A copy of `r` in `out`: packed records are packed again in out's
 * store, so that `out` does not depend on `in`. */
static tu_record *copy_record(tu_recordset *out, const tu_record *r)
{
    const tu_packed *p = NULL;
    tu_record *copy;

    if (!json_of(r) && r->packed &&
        !(p = tu_pack_copy(&out->store, r->packed)))
        return NULL;
    if (!(copy = add_keyed(out, r->key, r->more ? r->more->label : NULL,
                           NULL)))
        return NULL;
    copy->packed = p;
    if (json_of(r) && tu_record_set_fields(copy, json_incref(json_of(r))))
        return NULL;
    return copy;
}

int tu_recordset_filter(tu_recordset *out, const tu_recordset *in,
                        int (*keep)(const tu_record *record, void *data),
                        void *data)
{
    tu_recordset_init(out);
    for (size_t i = 0; i < in->count; i++) {
        const tu_record *r = &in->items[i];
        tu_record *copy;

        if (!keep(r, data))
            continue;
        copy = copy_record(out, r);
        if (!copy) {
            tu_recordset_free(out);
            return -1;
        }
        copy->pos = r->pos;
        copy->absent = r->absent;
        copy->takeover = r->takeover;
        copy->derived = r->derived;
        copy->ambiguous = r->ambiguous;
    }
    return 0;
}

void tu_key_values_join(char *values, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if (values[i] == '\0')
            values[i] = '|';
}

long tu_key_values(const char *key, tu_buffer *out)
{
    const char *p = key;
    long count = 0, n;

    while (p && *p) {
        int c, cut = 0;
        /* the decoded value is at most n bytes and its NUL: room at once */
        if ((n = part_head(&p)) < 0 || tu_buffer_reserve(out, (size_t)n + 1))
            return -1;
        while (n-- > 0) {
            if ((c = key_byte(&p)) < 0)
                return -1;
            cut |= c == 0;
            if (!cut)
                out->data[out->len++] = (char)c;
        }
        out->data[out->len++] = '\0';
        out->data[out->len] = '\0';       /* the buffer's own NUL */
        count++;
    }
    return p ? count : -1;
}
