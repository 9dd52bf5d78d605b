/* record.h -- records, their keys, and sets of records indexed by key.
 *
 * A record is a JSON object of fields. Its key is made from the values of
 * the key fields (resource.key): `label` joins them with '|' for people
 * ("www.example.org.|A"), and `key` is an unambiguous encoding used for
 * matching ("s16:www.example.org.s1:A"), in which each value carries its
 * type and length, so that the string "600" and the number 600 are
 * different keys while 600 and 600.0 are the same.
 *
 * A record set owns its records and indexes them by key. Desired sets
 * refuse a second record with a key already present; live sets keep both
 * and mark the key ambiguous, so the plan can fail that record alone.
 *
 * A record is held packed (state/packed.h) in its set's store, with its
 * key and label, or as a jansson object. tu_record_fields gives the
 * jansson form of either, made from the packed form the first time it is
 * asked for and kept; code that visits every record of a large set uses
 * tu_record_json (a reference to drop) or the packed fields, so that the
 * jansson form of a million records never exists at once.
 */
#ifndef TU_STATE_RECORD_H
#define TU_STATE_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "trueup/trueup.h"
#include "util/buffer.h"
#include "packed.h"
#include "srcmap.h"
#include "util/strmap.h"

typedef struct tu_keyspec {
    const char **fields;   /* borrowed field names */
    size_t count;
} tu_keyspec;

/* The two encodings of a record's fields, packed and jansson, are this
 * file's business, as Redis's t_zset.c keeps a sorted set's two encodings
 * behind one API: code elsewhere reads fields through tu_record_fields,
 * tu_record_json, tu_record_value and tu_record_string (the jansson form),
 * or, on a fast path, tu_record_packed and tu_record_pfield (the packed
 * form, when the record is read from it alone), and its label through
 * tu_record_label. Never through `more` or `packed` below. */
typedef struct tu_record_more tu_record_more;   /* record.c's */

typedef struct tu_record {
    const tu_packed *packed; /* the packed form, or NULL: only json */
    const char *key;       /* matching key, in the set's store */
    tu_record_more *more;  /* owned, or NULL: the rare parts, a jansson
                              form (made when first asked for, or given)
                              and a label of the record's own */
    tu_srcpos pos;         /* where it was declared; unknown for live */
    unsigned absent : 1;   /* desired: state: absent */
    unsigned takeover : 1; /* desired: takeover: true (ownership marks) */
    unsigned derived : 1;  /* desired: made by a bulk rule from a live
                              record, not declared in `records` */
    unsigned ambiguous : 1;/* live: another live record has this key */
} tu_record;   /* 48 bytes on LP64 (56 with the jansson form and the label
                  here): a million-record run holds two million */

/* Records by key: open addressing, linear probing, at most three quarters
 * full (half full made ten million records' table 256 MiB; it is 128 MiB
 * at most 60% full). A slot is 8 bytes, the top 32 bits of the key's hash
 * and the record's place + 1 (0: empty), so that a million records' table
 * is 16 MiB and a probe reads the key only when the hash bits match. */
typedef struct tu_record_index {
    uint64_t *slots;
    size_t cap;            /* a power of two, or 0 */
} tu_record_index;

typedef struct tu_recordset {
    tu_record *items;
    size_t count;
    size_t cap;
    tu_record_index index; /* key -> its first record */
    tu_pack_store store;   /* packed records, keys and labels */
} tu_recordset;

/* The jansson form of a record's fields, borrowed from the record (made
 * from the packed form and kept on the first call); NULL when out of
 * memory. Records are not shared between threads, so this cache needs no
 * lock. */
json_t *tu_record_fields(const tu_record *record);

/* A new reference to the jansson form, made for the caller (and not
 * kept) when the record is packed; NULL when out of memory. */
json_t *tu_record_json(const tu_record *record);

/* Replace a record's fields by `fields` (a reference taken over in every
 * case); the packed form is dropped. 0, or -1 when out of memory (the
 * record is then unchanged). */
int tu_record_set_fields(tu_record *record, json_t *fields);

/* Free what a record owns (its jansson form, a label of its own), for a
 * record made outside a set (tests); a set frees its records' own. */
void tu_record_clear(tu_record *record);

/* The packed form of a record whose fields are read from it alone (no
 * jansson form was made or given), for the fast paths that compare or
 * copy packed fields without jansson values; NULL: read the record through
 * tu_record_fields. Borrowed from the record's set. */
const tu_packed *tu_record_packed(const tu_record *record);

/* One field of a record tu_record_packed gives, or NULL (absent, or the
 * record is not read packed). Borrowed. */
const tu_pfield *tu_record_pfield(const tu_record *record, const char *name);

/* The record's label, "a|b": the values of its key joined by '|'. A label
 * that is not that (a provider's own) is kept when the record is added;
 * any other is made from the key on the first call and kept with the
 * record (a report names a few records of many: a million labels were
 * 48 MB). On the record's thread, as tu_record_fields. The key itself when
 * out of memory: never NULL. */
const char *tu_record_label(const tu_record *record);

/* The record's label when it has one already (given when the record was
 * added, or made by tu_record_label); NULL when it has none yet: it would
 * then be its key's values (tu_key_values) joined by '|', or the key
 * itself when the key does not decode. For code that labels many records
 * once without keeping a label with each (the report). */
const char *tu_record_label_kept(const tu_record *record);

/* The value of a string field, or NULL (absent, not a string). */
const char *tu_record_string(const tu_record *record, const char *name);

/* A new reference to the value of one field, made from the packed form
 * when the record has no jansson form (the rest of the record is not
 * made); NULL when the field is absent or out of memory. */
json_t *tu_record_value(const tu_record *record, const char *name);

/* Compute key and label of `fields`. Returns 0, or -1 with *missing set to
 * the first key field that is absent or not a scalar (then nothing is
 * allocated), or -1 with *missing NULL when out of memory. */
int tu_record_key(const json_t *fields, const tu_keyspec *spec, char **key,
                  char **label, const char **missing);

/* The same into reusable buffers (emptied first): no allocation once they
 * have grown. `label` may be NULL: then none is made (a set makes it from
 * the key when asked, tu_record_label). 0, or -1 with *missing as above. */
int tu_record_key_buf(const json_t *fields, const tu_keyspec *spec,
                      tu_buffer *key, tu_buffer *label, const char **missing);

/* The same for a packed record. */
int tu_packed_key(const tu_packed *p, const tu_keyspec *spec, tu_buffer *key,
                  tu_buffer *label, const char **missing);

void tu_recordset_init(tu_recordset *set);
void tu_recordset_free(tu_recordset *set);

/* Make room for n more records. 0 or -1 (out of memory). */
int tu_recordset_reserve(tu_recordset *set, size_t n);

/* Add a record whose key and label are already computed; takes ownership
 * of fields, key and label in every case (key and label are copied into
 * the set's store and freed). Returns the new record, or NULL when out of
 * memory. When the key is already present, *first receives the index of
 * the record that has it (else SIZE_MAX) and both are marked ambiguous;
 * the caller decides whether that is an error. */
tu_record *tu_recordset_add(tu_recordset *set, json_t *fields, char *key,
                            char *label, size_t *first);

/* The same for a record kept packed: `fields` is packed into the set's
 * store (the caller keeps its reference), or, when `fields` is NULL,
 * `packed` is used as it is (it must outlive the set). Key and label are
 * copied; a NULL label is made from the key when asked for. */
tu_record *tu_recordset_add_packed(tu_recordset *set, const json_t *fields,
                                   const tu_packed *packed, const char *key,
                                   const char *label, size_t *first);

/* Append a record packed from `fields` (the caller keeps its reference)
 * with key and label (NULL: made from the key when asked for) copied,
 * without indexing it: a set filled this way
 * (the live records, page by page) is indexed once by tu_recordset_index.
 * The new record, or NULL when out of memory. */
tu_record *tu_recordset_append_packed(tu_recordset *set,
                                      const json_t *fields, const char *key,
                                      const char *label);

/* The same for a record already packed (tu_pack_json_object): `packed`
 * is used as it is; it is in the set's own store or must outlive the
 * set. */
tu_record *tu_recordset_append_stored(tu_recordset *set,
                                      const tu_packed *packed,
                                      const char *key, const char *label);

/* Say that about `n` bytes of records are about to be appended (a list
 * page of that size): the set's store then grows in large steps at once
 * (tu_arena_expect). */
void tu_recordset_expect(tu_recordset *set, size_t n);

/* Index every record of the set by key, anew: records sharing a key are
 * marked ambiguous. 0, or -1 when out of memory. */
int tu_recordset_index(tu_recordset *set);

/* Index the first n records of the set (at most all) anew, for a set
 * whose keys must be unique (the desired records, appended as they load):
 * the first record whose key an earlier one has ends it, and 1 is
 * returned with its index in *dup and the earlier record's in *first (the
 * index is then partial). 0 when the keys are unique, -1 when out of
 * memory. */
int tu_recordset_index_unique(tu_recordset *set, size_t n, size_t *dup,
                              size_t *first);

/* The fields of a record as a desired-state file would declare them: key
 * fields first, then the others in their order, leaving out the `n` names
 * of `leave_out` and `also` (NULL: none). A new object, or NULL when out of
 * memory. */
json_t *tu_record_declared(const json_t *fields, const tu_keyspec *key,
                           const char *const *leave_out, size_t n,
                           const char *also);

/* Copy into `out` (initialised here) the records of `in` that `keep`
 * says 1 for, in order, with their flags and positions. 0, or -1 when out
 * of memory (out left empty). */
int tu_recordset_filter(tu_recordset *out, const tu_recordset *in,
                        int (*keep)(const tu_record *record, void *data),
                        void *data);

/* The first record with `key`, or NULL. */
const tu_record *tu_recordset_find(const tu_recordset *set, const char *key);

/* Looking up the keys of many records (`keys`, n of them) in `set`, in
 * their order: the same answers as tu_recordset_find, with the next
 * lookups' index slots, records and keys fetched into the cache ahead
 * (in a set of millions each lookup is three cache misses one after
 * another: the slot, the record, its key). Keys that come in the set's
 * own order (a desired state `trueup export` wrote, or both sides made in
 * one sorted order) are found without the index: the record after the
 * one found last is looked at first. Call tu_recordset_find_next with
 * i = 0, 1, 2, ... n - 1. */
#define TU_FIND_AHEAD 16
typedef struct tu_recordset_finder {
    const tu_recordset *set;
    const tu_record *keys;
    size_t n;
    size_t hashed;                   /* keys hashed (and slots fetched) */
    uint64_t hash[TU_FIND_AHEAD];    /* of keys[i], at i % TU_FIND_AHEAD */
    size_t next;                     /* the record after the last found */
    unsigned misses;                 /* lookups in a row not found there */
} tu_recordset_finder;

void tu_recordset_finder_init(tu_recordset_finder *f,
                              const tu_recordset *set,
                              const tu_record *keys, size_t n);

/* The record of `set` with the key of keys[i], or NULL. */
const tu_record *tu_recordset_find_next(tu_recordset_finder *f, size_t i);

/* The values of a matching key (`key` of tu_record_key), in order, each
 * appended to `out` as its text and a NUL: the label's parts, with any
 * '|' inside a value kept (a value holding a NUL ends there, as in the
 * label). Their number, or -1 when `key` is no such key (a label kept as
 * a key) or out of memory. */
long tu_key_values(const char *key, tu_buffer *out);

/* The `len` bytes tu_key_values appended (each value and its NUL) made in
 * place into the label: the values joined by '|', one NUL at the end. */
void tu_key_values_join(char *values, size_t len);

#endif
