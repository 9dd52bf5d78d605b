/* fuzz_pdns_rrset.c -- a PowerDNS rrset read straight from its text
 * (engine/providers/powerdns_rrset.c: tu_pdns_live_rrset_text),
 * differentially against jansson and tu_pdns_live_rrset.
 *
 * The input is the text of one rrset of a zone's answer (and whatever
 * follows it). Whenever the fast reader takes it, jansson must take it too
 * (parsed as tu_page_parse_each parses an item: TU_PAGE_ITEM_FLAGS),
 * ending at the same byte, and tu_pdns_live_rrset of jansson's object must
 * be the same live record: the same members in the same order, the same
 * values (compared as compact JSON text). The reader may give up on
 * anything; it may never accept what jansson refuses, nor read it
 * otherwise.
 */
#include "fuzz_target.h"
#include "engine/providers/powerdns.h"
#include "state/listpage.h"
#include "util/json_util.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    json_t *fast, *v, *slow;
    json_error_t jerr;
    char *a, *b;
    size_t used;
    int oom;

    fast = tu_pdns_live_rrset_text(text, size, &used, &oom);
    FUZZ_CHECK(fast || used == 0);
    if (!fast)
        return 0;
    FUZZ_CHECK(used > 0 && used <= size && !oom);
    v = json_loadb(text, size, TU_PAGE_ITEM_FLAGS, &jerr);
    FUZZ_CHECK(v != NULL);
    FUZZ_CHECK(json_is_object(v));
    FUZZ_CHECK((size_t)jerr.position == used);
    slow = tu_pdns_live_rrset(v);
    FUZZ_CHECK(slow != NULL);
    a = tu_json_dumps(fast, JSON_COMPACT);
    b = tu_json_dumps(slow, JSON_COMPACT);
    FUZZ_CHECK(a && b && strcmp(a, b) == 0);
    free(a);
    free(b);
    json_decref(slow);
    json_decref(v);
    json_decref(fast);
    return 0;
}
