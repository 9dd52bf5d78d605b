/* fuzz_yaml_records.c -- a records list read without libyaml
 * (state/yaml_records.c, through the loader), differentially against
 * libyaml.
 *
 * The input is a whole desired-state file. It is loaded twice with its
 * `records` items handed over: once as trueup loads files (the fast
 * reader may take the list), once with libyaml alone (no store given).
 * The two must agree on everything the caller sees:
 *   - both fail, with the same message and kind, or both succeed;
 *   - the documents are equal, and so are the places of every mapping,
 *     sequence and member in them;
 *   - the same items are handed over, in the same order, with the same
 *     index, place and places of their members; each packed as tu_pack
 *     packs libyaml's mapping (fields in order, types, values byte for
 *     byte, nested values equal and placed alike).
 */
#include "fuzz_target.h"
#include "state/packed.h"
#include "state/srcmap.h"
#include "state/yaml_load.h"
#include "util/json_util.h"

#include <string.h>

#define MAX_ITEMS 64

typedef struct kept {
    const tu_packed *p;        /* NULL: the item was not a mapping */
    tu_srcpos pos;
    size_t index, nmembers;
    uint32_t members[2 * 64];
    int has_members;
} kept;

typedef struct side {
    tu_pack_store store;
    kept items[MAX_ITEMS];
    size_t n;
    int too_many;
} side;

/* The list taken back (yaml_items.h): every item handed over so far. */
static void drop(void *data)
{
    side *s = data;

    s->n = 0;
    s->too_many = 0;
}

static int keep(const tu_yaml_item *item, void *data)
{
    side *s = data;
    kept *k;

    if (s->n == MAX_ITEMS) {
        s->too_many = 1;
        return 0;
    }
    k = &s->items[s->n++];
    memset(k, 0, sizeof *k);
    k->p = item->packed ? item->packed
                        : json_is_object(item->value)
                              ? tu_pack(&s->store, item->value)
                              : NULL;
    k->pos = item->pos;
    k->index = item->index;
    k->nmembers = item->nmembers;
    k->has_members = item->members != NULL;
    if (item->members && item->nmembers <= 64)
        memcpy(k->members, item->members,
               2 * item->nmembers * sizeof *item->members);
    return 0;
}

static void same_pos(tu_srcpos a, tu_srcpos b)
{
    FUZZ_CHECK(a.line == b.line && a.column == b.column);
    FUZZ_CHECK(!a.file == !b.file);
    FUZZ_CHECK(!a.file || strcmp(a.file, b.file) == 0);
}

static const tu_srcmap *map_a, *map_b;   /* the two loads' places */

static void same_places(const tu_srcmap *ma, const json_t *a,
                        const tu_srcmap *mb, const json_t *b);

static void same_field(const tu_pfield *a, const tu_pfield *b)
{
    int type = tu_pfield_type(a);

    FUZZ_CHECK(strcmp(tu_pfield_name(a), tu_pfield_name(b)) == 0);
    FUZZ_CHECK(type == tu_pfield_type(b));
    if (type == TU_PV_STR) {
        FUZZ_CHECK(tu_pfield_len(a) == tu_pfield_len(b));
        FUZZ_CHECK(memcmp(a->u.s, b->u.s, tu_pfield_len(a) + 1) == 0);
    } else if (type == TU_PV_INT) {
        FUZZ_CHECK(a->u.i == b->u.i);
    } else if (type == TU_PV_REAL) {
        FUZZ_CHECK(memcmp(&a->u.r, &b->u.r, sizeof a->u.r) == 0);
    } else if (type == TU_PV_JSON) {
        FUZZ_CHECK(tu_json_equal(a->u.j, b->u.j));
        same_places(map_a, a->u.j, map_b, b->u.j);
    }
}

static void same_item(const kept *a, const kept *b)
{
    same_pos(a->pos, b->pos);
    FUZZ_CHECK(a->index == b->index);
    FUZZ_CHECK(!a->p == !b->p);
    if (!a->p)
        return;
    FUZZ_CHECK(a->p->count == b->p->count);
    for (uint32_t i = 0; i < a->p->count; i++)
        same_field(&a->p->fields[i], &b->p->fields[i]);
    FUZZ_CHECK(a->has_members == b->has_members);
    FUZZ_CHECK(a->nmembers == b->nmembers);
    if (a->has_members && a->nmembers <= 64)
        FUZZ_CHECK(memcmp(a->members, b->members,
                          2 * a->nmembers * sizeof *a->members) == 0);
}

/* The places of every container and member of two equal documents. */
static void same_places(const tu_srcmap *ma, const json_t *a,
                        const tu_srcmap *mb, const json_t *b)
{
    const char *key;
    json_t *va;
    size_t i;

    if (!json_is_object(a) && !json_is_array(a))
        return;
    same_pos(tu_srcmap_get(ma, a), tu_srcmap_get(mb, b));
    if (json_is_array(a)) {
        json_array_foreach(a, i, va)
            same_places(ma, va, mb, json_array_get(b, i));
        return;
    }
    json_object_foreach((json_t *)a, key, va) {
        same_pos(tu_srcmap_member(ma, a, key), tu_srcmap_member(mb, b, key));
        same_places(ma, va, mb, json_object_get(b, key));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static side fast, slow;
    tu_srcmap *ma = tu_srcmap_new(), *mb = tu_srcmap_new();
    tu_yaml_items fi = {"records", keep, &fast, &fast.store, drop};
    tu_yaml_items si = {"records", keep, &slow, NULL, NULL};
    tu_error ea, eb;
    json_t *a, *b;

    FUZZ_CHECK(ma && mb);
    map_a = ma;
    map_b = mb;
    memset(&ea, 0, sizeof ea);
    memset(&eb, 0, sizeof eb);
    memset(&fast, 0, sizeof fast);
    memset(&slow, 0, sizeof slow);
    tu_pack_store_init(&fast.store);
    tu_pack_store_init(&slow.store);
    a = tu_yaml_load_string_items((const char *)data, size, "f.yaml", ma,
                                  &fi, &ea);
    b = tu_yaml_load_string_items((const char *)data, size, "f.yaml", mb,
                                  &si, &eb);
    FUZZ_CHECK(!a == !b);
    if (!a) {
        FUZZ_CHECK(ea.code == eb.code);
        FUZZ_CHECK(strcmp(ea.message, eb.message) == 0);
    } else {
        FUZZ_CHECK(tu_json_equal(a, b));
        same_places(ma, a, mb, b);
        FUZZ_CHECK(fast.n == slow.n && fast.too_many == slow.too_many);
        for (size_t i = 0; i < fast.n; i++)
            same_item(&fast.items[i], &slow.items[i]);
    }
    json_decref(a);
    json_decref(b);
    tu_pack_store_free(&fast.store);
    tu_pack_store_free(&slow.store);
    tu_srcmap_free(ma);
    tu_srcmap_free(mb);
    return 0;
}
