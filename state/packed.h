/* packed.h -- records in a compact form of their own.
 *
 * A record is parsed once (by libyaml or jansson) into a jansson object,
 * and then packed: an array of fields, each a name and a typed value,
 * in an arena (util/arena.h). A live list item of the common shape is
 * packed straight from its text instead (packed_json.h). A jansson
 * object of five short fields costs about 950 bytes and 20 allocations;
 * packed, about 130 bytes and none of its own. Field names are interned per store. Scalars are held
 * as they are (strings with their length, integers, reals, booleans,
 * null); a nested object or array stays a jansson value, referenced by
 * the store, since nesting is rare in the records trueup reconciles.
 *
 * Packed records are compared field by field without jansson
 * (tu_pfield_equal); tu_packed_json turns one back into a jansson object
 * when a provider, a rule or the report needs it.
 *
 * A field is 16 bytes (tu_pfield below): five fields are 88 bytes with
 * the record's count, and a string takes its length (4 bytes, unaligned:
 * read with memcpy), its bytes and a NUL.
 *
 * A store owns the arena, the name table and the nested values; a packed
 * record lives as long as its store. One thread at a time per store.
 */
#ifndef TU_STATE_PACKED_H
#define TU_STATE_PACKED_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <jansson.h>
#include "util/arena.h"
#include "util/buffer.h"
#include "util/strmap.h"

enum {
    TU_PV_NULL, TU_PV_TRUE, TU_PV_FALSE, TU_PV_INT, TU_PV_REAL, TU_PV_STR,
    TU_PV_JSON  /* an object or array */
};

/* 16 bytes: the interned name's address with the value's type in its low
 * three bits (names are interned at 8-byte boundaries), and the value. A
 * string's length is the 4 bytes before its first byte (not aligned).
 * Read a field through tu_pfield_name, tu_pfield_type and tu_pfield_len. (24 bytes with
 * the name, type and length apart: a million records of four and five
 * fields were 72 MB more, bench/LOG.md.) */
typedef struct tu_pfield {
    uintptr_t tag;           /* name | TU_PV_* */
    union {
        const char *s;       /* TU_PV_STR: NUL after its length */
        json_int_t i;        /* TU_PV_INT */
        double r;            /* TU_PV_REAL */
        json_t *j;           /* TU_PV_JSON: a reference the store holds */
    } u;
} tu_pfield;

#define TU_PV_MASK ((uintptr_t)7)

static inline const char *tu_pfield_name(const tu_pfield *f)
{
    return (const char *)(f->tag & ~TU_PV_MASK);
}

static inline int tu_pfield_type(const tu_pfield *f)
{
    return (int)(f->tag & TU_PV_MASK);
}

/* A TU_PV_STR field's length in bytes. */
static inline uint32_t tu_pfield_len(const tu_pfield *f)
{
    uint32_t n;
    memcpy(&n, f->u.s - sizeof n, sizeof n);
    return n;
}

typedef struct tu_packed {
    uint32_t count;
    tu_pfield fields[];      /* in the object's order */
} tu_packed;

typedef struct tu_pack_store {
    tu_arena arena;          /* the records: fields and strings */
    tu_arena name_text;      /* the interned names, kept by a rewind */
    tu_strmap names;         /* field name -> its interned copy */
    const char *recent[8];   /* the names of the last record packed, by
                                position: records of one list share them */
    json_t **refs;           /* nested values held */
    size_t nrefs, refs_cap;
} tu_pack_store;

void tu_pack_store_init(tu_pack_store *s);
void tu_pack_store_free(tu_pack_store *s);

/* Where a store stands, to take back the records packed after it (a list
 * read in part, then left to another reader: yaml_records.c). */
typedef struct tu_pack_mark {
    tu_arena_mark arena;
    size_t nrefs;
} tu_pack_mark;

void tu_pack_store_save(const tu_pack_store *s, tu_pack_mark *m);

/* Free what was packed since `m` was saved: its fields and strings, and
 * the nested values held since (s->refs[m->nrefs..], which the caller
 * may first forget wherever it placed them). Interned names stay. */
void tu_pack_store_rewind(tu_pack_store *s, const tu_pack_mark *m);

/* Pack a JSON object into `s`. NULL when out of memory, when `object` is
 * not an object, or when a string is 4 GiB or longer. */
tu_packed *tu_pack(tu_pack_store *s, const json_t *object);

/* ---- building blocks, for a parser that packs without jansson
 * (state/packed_json.c) ---- */

/* A field's tag: `name` interned in a store, with a value of `type`. */
static inline uintptr_t tu_pfield_tag(const char *name, int type)
{
    return (uintptr_t)name | (uintptr_t)type;
}

/* The interned copy of `name`, the i-th field of a record; NULL when out
 * of memory. */
const char *tu_pack_intern(tu_pack_store *s, const char *name, size_t i);

/* The same for a name of `n` bytes (not NUL-terminated, shorter than 256
 * bytes, no NUL in it: NULL otherwise, as when out of memory). */
const char *tu_pack_internn(tu_pack_store *s, const char *name, size_t n,
                            size_t i);

/* `len` bytes of `text` as a packed string (its length before it, a NUL
 * after); the text's address, or NULL when out of memory or 4 GiB long. */
const char *tu_pack_string(tu_pack_store *s, const char *text, size_t len);

/* Fill `f` with the value `v` (a nested value is held by the store), its
 * name being `name` (interned). 0 or -1 (out of memory). */
int tu_pack_value(tu_pack_store *s, tu_pfield *f, const char *name,
                  json_t *v);

/* A packed record of the `count` fields (copied; their names, strings and
 * nested values already in `s`). NULL when out of memory. */
tu_packed *tu_pack_fields(tu_pack_store *s, const tu_pfield *fields,
                          size_t count);

/* A copy of `p` in `s` (which may be another store). NULL when out of
 * memory. */
tu_packed *tu_pack_copy(tu_pack_store *s, const tu_packed *p);

/* A new jansson object with the fields of `p`, or NULL when out of
 * memory. */
json_t *tu_packed_json(const tu_packed *p);

/* A new jansson value for one field, or NULL when out of memory. */
json_t *tu_pfield_json(const tu_pfield *f);

/* One field's value as compact JSON text (what tu_pfield_json's value
 * dumps to), appended to `b`. 0 or -1 (out of memory). */
int tu_pfield_dumpb(const tu_pfield *f, tu_buffer *b);

/* The field called `name`, or NULL. */
const tu_pfield *tu_packed_get(const tu_packed *p, const char *name);

/* The same for a name of `n` bytes (not NUL-terminated). */
const tu_pfield *tu_packed_getn(const tu_packed *p, const char *name,
                                size_t n);

/* 1 when two fields' values are equal as tu_json_equal says (numbers by
 * value: 600 equals 600.0), else 0. NULL equals only NULL. */
int tu_pfield_equal(const tu_pfield *a, const tu_pfield *b);

/* The value of a string field, or NULL when absent or not a string. */
const char *tu_packed_string(const tu_packed *p, const char *name);

#endif
