/* powerdns_body.c -- one rrset of a PowerDNS PATCH body, as compact JSON
 * (powerdns.h): a DELETE, or the REPLACE of the whole rrset with the
 * owner's mark and the other comments, and with a TXT registry the mark's
 * own rrset after it.
 *
 * Two writers, one text. The common rrset (both records packed, no owner,
 * no declared comments, no SOA serial) is written straight from the
 * packed fields; every other goes through jansson objects. The first
 * spares a bulk change of a zone the jansson form of every desired and
 * live record, and its freeing (a third of the CPU of a 10,000-rrset
 * change, bench/LOG.md); test_powerdns_provider holds the two to the same
 * bytes.
 */
#include "engine/providers/powerdns.h"
#include "engine/providers/dns_name.h"
#include "engine/providers/txt_registry.h"
#include "util/buffer.h"
#include "util/json_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- through jansson ----------------------------------------------------- */

static const json_t *record_fields_of(const tu_action *a)
{
    return a->desired ? tu_record_fields(a->desired)
                      : tu_record_fields(a->live);
}

/* The desired field, or the live one when the desired record leaves it
 * out (an update sends the whole rrset). */
static json_t *merged(const tu_action *a, const char *field)
{
    json_t *v = a->desired
                    ? json_object_get(tu_record_fields(a->desired), field)
                    : NULL;
    if (!v && a->live)
        v = json_object_get(tu_record_fields(a->live), field);
    return v;
}

/* The records of a REPLACE; an SOA's carry `serial` (the declared one,
 * else the live one), since its contents are kept without it. */
static json_t *replace_records(const json_t *contents, const json_t *serial)
{
    json_t *out = json_array();
    const json_t *c;
    size_t i;
    char num[32], *soa = NULL;

    if (serial)
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(serial));
    json_array_foreach(contents, i, c) {
        if (serial && !(soa = tu_dns_soa_with_serial(json_string_value(c),
                                                     num)))
            goto fail;
        if (json_array_append_new(out, json_pack(
                "{s:s,s:b}", "content", soa ? soa : json_string_value(c),
                "disabled", 0)) != 0)
            goto fail;
        free(soa);
        soa = NULL;
    }
    return out;
fail:
    free(soa);
    json_decref(out);
    return NULL;
}

/* The comments a REPLACE sends: the declared ones (else the live rrset's)
 * and the owner's mark; NULL when there is neither a declared comment nor
 * a mark (PowerDNS then keeps the rrset's comments as they are). With a
 * TXT registry (`mark_in_comment` 0) the mark is not a comment. */
static json_t *replace_comments(const tu_action *a, int mark_in_comment)
{
    const char *owner = mark_in_comment ? json_string_value(merged(a, "owner"))
                                        : NULL;
    const json_t *declared =
        a->desired ? json_object_get(tu_record_fields(a->desired), "comments")
                   : NULL;
    json_t *out, *mark;

    if (!owner && !declared)
        return NULL;
    out = json_deep_copy(merged(a, "comments"));
    if (!out)
        out = json_array();
    if (!owner)
        return out;
    mark = json_pack("{s:s+,s:s}", "content", PDNS_MARK_PREFIX, owner,
                     "account", PDNS_MARK_ACCOUNT);
    if (!out || !mark || json_array_append_new(out, mark) != 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* The mark of the rrset `f` in the TXT registry (txt_registry.h): its
 * REPLACE (with `owner`) or DELETE (`owner` NULL). A new object, or NULL
 * when out of memory. */
static json_t *registry_rrset(const pdns_cfg *c, const json_t *f,
                              const char *owner, const json_t *ttl)
{
    char *name = tu_txt_registry_name(
        c->txt_prefix, c->txt_wildcard,
        json_string_value(json_object_get(f, "name")),
        json_string_value(json_object_get(f, "type")));
    char *content = owner ? tu_txt_registry_content(owner) : NULL;
    json_t *obj = NULL;

    if (name && !owner)
        obj = json_pack("{s:s,s:s,s:s}", "name", name, "type", "TXT",
                        "changetype", "DELETE");
    else if (name && content)
        obj = json_pack("{s:s,s:s,s:O,s:s,s:[{s:s,s:b}]}", "name", name,
                        "type", "TXT", "ttl", ttl, "changetype", "REPLACE",
                        "records", "content", content, "disabled", 0);
    free(name);
    free(content);
    return obj;
}

/* The rrset itself: its DELETE, or the REPLACE of the whole rrset. NULL
 * with *why set when it cannot be sent. */
static json_t *rrset_obj(const pdns_cfg *c, const tu_action *a,
                         const json_t *f, const char **why)
{
    json_t *ttl = merged(a, "ttl"), *contents = merged(a, "records");

    *why = "out of memory";
    if (a->kind == TU_ACTION_DELETE)
        return json_pack("{s:O,s:O,s:s}", "name", json_object_get(f, "name"),
                         "type", json_object_get(f, "type"),
                         "changetype", "DELETE");
    if (!ttl || !contents) {
        *why = !ttl ? "ttl is required to create an rrset: declare ttl "
                      "(or set it in defaults)"
                    : "records (or content) is required to create an rrset";
        return NULL;
    }
    return json_pack("{s:O,s:O,s:O,s:s,s:o,s:o*}", "name",
                     json_object_get(f, "name"), "type",
                     json_object_get(f, "type"), "ttl", ttl,
                     "changetype", "REPLACE", "records",
                     replace_records(contents, json_is_integer(
                         merged(a, "serial")) ? merged(a, "serial") : NULL),
                     "comments", replace_comments(a, !c->txt_prefix));
}

/* The rrset's text through jansson: every shape. */
static char *rrset_text(const pdns_cfg *c, const tu_action *a,
                        const char **why)
{
    const json_t *f = record_fields_of(a);
    const char *owner = json_string_value(merged(a, "owner"));
    json_t *obj = rrset_obj(c, a, f, why), *mark = NULL;
    char *text = NULL, *mtext = NULL, *both = NULL;

    if (obj && c->txt_prefix && owner &&
        !(mark = registry_rrset(c, f, a->kind == TU_ACTION_DELETE ? NULL
                                                                  : owner,
                                merged(a, "ttl"))))
        goto done;
    if (!obj || !(text = tu_json_dumps(obj, JSON_COMPACT)) ||
        (mark && !(mtext = tu_json_dumps(mark, JSON_COMPACT))))
        goto done;
    if (!mark) {
        both = text;
        text = NULL;
    } else if ((both = malloc(strlen(text) + strlen(mtext) + 2)) != NULL) {
        strcpy(both, text);
        strcat(both, ",");
        strcat(both, mtext);
    }
done:
    json_decref(obj);
    json_decref(mark);
    free(text);
    free(mtext);
    return both;
}

/* ---- from the packed records --------------------------------------------- */

/* A field of the action's records read packed: the desired record's, else
 * the live one's (as merged() reads the jansson forms). */
static const tu_pfield *pmerged(const tu_packed *d, const tu_packed *l,
                                const char *name)
{
    const tu_pfield *f = d ? tu_packed_get(d, name) : NULL;
    return f || !l ? f : tu_packed_get(l, name);
}

/* The contents' list when it is one of strings (what a REPLACE sends as
 * they are), else NULL. */
static const json_t *plain_contents(const tu_pfield *f)
{
    const json_t *v;
    size_t i;

    if (!f || tu_pfield_type(f) != TU_PV_JSON || !json_is_array(f->u.j))
        return NULL;
    json_array_foreach(f->u.j, i, v) {
        if (!json_is_string(v))
            return NULL;
    }
    return f->u.j;
}

/* `,"changetype":"REPLACE","records":[{"content":C,
 * "disabled":false},...]}`. 0 or -1. */
static int put_records(tu_buffer *b, const json_t *contents)
{
    const json_t *v;
    size_t i;

    if (tu_buffer_puts(b, ",\"changetype\":\"REPLACE\",\"records\":[") != 0)
        return -1;
    json_array_foreach(contents, i, v) {
        if (tu_buffer_puts(b, i ? ",{\"content\":" : "{\"content\":") != 0 ||
            tu_json_strb(json_string_value(v), json_string_length(v), b) ||
            tu_buffer_puts(b, ",\"disabled\":false}") != 0)
            return -1;
    }
    return tu_buffer_puts(b, "]}");
}

/* The rrset written from the packed records into `b`: 1, 0 when it is not
 * of the common shape (nothing written), -1 when out of memory. */
static int packed_text(const tu_action *a, tu_buffer *b)
{
    const tu_packed *d = a->desired ? tu_record_packed(a->desired) : NULL;
    const tu_packed *l = a->live ? tu_record_packed(a->live) : NULL;
    const tu_packed *f = d ? d : l;
    const tu_pfield *name, *type, *ttl;
    const json_t *contents = NULL;
    int del = a->kind == TU_ACTION_DELETE;

    if ((a->desired && !d) || (a->live && !l) || !f ||
        pmerged(d, l, "owner") || (d && tu_packed_get(d, "comments")) ||
        pmerged(d, l, "serial"))
        return 0;
    name = tu_packed_get(f, "name");
    type = tu_packed_get(f, "type");
    ttl = pmerged(d, l, "ttl");
    if (!name || !type ||
        (!del && (!ttl || !(contents = plain_contents(
                                pmerged(d, l, "records"))))))
        return 0;
    if (tu_buffer_puts(b, "{\"name\":") != 0 || tu_pfield_dumpb(name, b) ||
        tu_buffer_puts(b, ",\"type\":") != 0 || tu_pfield_dumpb(type, b))
        return -1;
    if (del)
        return tu_buffer_puts(b, ",\"changetype\":\"DELETE\"}") ? -1 : 1;
    if (tu_buffer_puts(b, ",\"ttl\":") != 0 || tu_pfield_dumpb(ttl, b) ||
        put_records(b, contents) != 0)
        return -1;
    return 1;
}

/* ---- the rrset ----------------------------------------------------------- */

int tu_pdns_rrset_write(const pdns_cfg *c, const tu_action *a, tu_buffer *b,
                        const char **why)
{
    size_t mark = b->len;
    int rc = packed_text(a, b);
    char *text;

    if (rc > 0)
        return 0;
    tu_buffer_truncate(b, mark);
    *why = "out of memory";
    if (rc < 0 || !(text = rrset_text(c, a, why)))
        return -1;
    rc = tu_buffer_puts(b, text);
    free(text);
    if (rc != 0)
        *why = "out of memory";
    return rc;
}
