/* fuzz_pack_json.c -- a live record packed straight from its text
 * (state/packed_json.c: tu_pack_json_object), differentially against
 * jansson.
 *
 * The input is the text of one list item (and whatever follows it).
 * Whenever the fast reader takes it, jansson must take it too (parsed as
 * tu_page_parse_each parses an item: TU_PAGE_ITEM_FLAGS), ending at the
 * same byte, and tu_pack of jansson's object must be the same record: the
 * same fields in the same order, each of the same type and value
 * (integers equal, reals bit for bit, strings byte for byte, nested values
 * equal by tu_json_equal). The reader may give up on anything; it may
 * never accept what jansson refuses, nor read it otherwise.
 */
#include "fuzz_target.h"
#include "state/listpage.h"
#include "state/packed_json.h"
#include "util/json_util.h"

#include <string.h>

static void same_field(const tu_pfield *a, const tu_pfield *b)
{
    int type = tu_pfield_type(a);

    FUZZ_CHECK(strcmp(tu_pfield_name(a), tu_pfield_name(b)) == 0);
    FUZZ_CHECK(type == tu_pfield_type(b));
    switch (type) {
    case TU_PV_STR:
        FUZZ_CHECK(tu_pfield_len(a) == tu_pfield_len(b));
        FUZZ_CHECK(memcmp(a->u.s, b->u.s, tu_pfield_len(a)) == 0);
        FUZZ_CHECK(a->u.s[tu_pfield_len(a)] == '\0');
        break;
    case TU_PV_INT:
        FUZZ_CHECK(a->u.i == b->u.i);
        break;
    case TU_PV_REAL:
        FUZZ_CHECK(memcmp(&a->u.r, &b->u.r, sizeof a->u.r) == 0);
        break;
    case TU_PV_JSON:
        FUZZ_CHECK(tu_json_equal(a->u.j, b->u.j));
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tu_pack_store fast, slow;
    const tu_packed *p, *q;
    json_error_t jerr;
    json_t *v;
    size_t used;
    int oom;

    tu_pack_store_init(&fast);
    p = tu_pack_json_object(&fast, (const char *)data, size, &used, &oom);
    FUZZ_CHECK(p || used == 0);
    if (p) {
        FUZZ_CHECK(used > 0 && used <= size && !oom);
        v = json_loadb((const char *)data, size, TU_PAGE_ITEM_FLAGS, &jerr);
        FUZZ_CHECK(v != NULL);
        FUZZ_CHECK(json_is_object(v));
        FUZZ_CHECK((size_t)jerr.position == used);
        tu_pack_store_init(&slow);
        q = tu_pack(&slow, v);
        FUZZ_CHECK(q != NULL);
        FUZZ_CHECK(q->count == p->count);
        for (uint32_t i = 0; i < p->count; i++)
            same_field(&p->fields[i], &q->fields[i]);
        tu_pack_store_free(&slow);
        json_decref(v);
    }
    tu_pack_store_free(&fast);
    return 0;
}
