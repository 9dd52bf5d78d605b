/* powerdns_fetch.c -- the PowerDNS provider's fetch (powerdns.h):
 * GET {base_url}/servers/{server}/zones/{zone} for every zone, all at
 * once; each answer's rrsets become live records: name, type, ttl and the
 * contents of the enabled records (disabled records and comments are not
 * part of a record), an ownership mark read into `owner`, the other
 * comments into `comments`, an SOA's serial into `serial`.
 */
#include "engine/providers/powerdns.h"
#include "engine/providers/txt_registry.h"
#include "engine/fetch.h"
#include "state/error.h"
#include "state/listpage.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The rrset's comments: an ownership mark into `owner`, the others kept
 * as {content, account} in `comments`. 0, or -1 (out of memory). */
static int live_comments(json_t *out, const json_t *rrset)
{
    json_t *others = json_array();
    const json_t *c;
    size_t i, plen = strlen(PDNS_MARK_PREFIX);
    int rc = others ? 0 : -1;

    json_array_foreach(json_object_get(rrset, "comments"), i, c) {
        const char *content = json_string_value(json_object_get(c,
                                                                "content"));
        const char *account = json_string_value(json_object_get(c,
                                                                "account"));
        if (!content || rc != 0)
            continue;
        if (account && strcmp(account, PDNS_MARK_ACCOUNT) == 0 &&
            strncmp(content, PDNS_MARK_PREFIX, plen) == 0)
            rc = json_object_set_new(out, "owner",
                                     json_string(content + plen));
        else
            rc = json_array_append_new(others, json_pack(
                "{s:s,s:s}", "content", content, "account",
                account ? account : ""));
    }
    if (rc == 0 && json_array_size(others))
        rc = json_object_set(out, "comments", others);
    json_decref(others);
    return rc;
}

/* An SOA's serial, the third field of its content, into `serial`: the
 * contents are compared without it (tu_dns_canonical_content), and a
 * write sends it back (tu_pdns_rrset_write). 0, or -1 (out of memory).
 */
static int live_serial(json_t *out, const json_t *contents)
{
    const char *type = json_string_value(json_object_get(out, "type"));
    const char *c = json_string_value(json_array_get(contents, 0));
    unsigned long long serial;
    char mname[256], rname[256];

    if (!type || strcmp(type, "SOA") != 0 || !c ||
        sscanf(c, "%255s %255s %llu", mname, rname, &serial) != 3)
        return 0;
    return json_object_set_new(out, "serial", json_integer(
                                                  (json_int_t)serial));
}

/* An rrset as PowerDNS lists it -> {name, type, ttl, records: [content]}
 * with the enabled records only (and its comments: live_comments); NULL
 * when none is enabled. */
json_t *tu_pdns_live_rrset(const json_t *rrset)
{
    json_t *out, *contents = json_array();
    const json_t *rec;
    size_t i;

    json_array_foreach(json_object_get(rrset, "records"), i, rec) {
        const json_t *content = json_object_get(rec, "content");
        if (json_is_true(json_object_get(rec, "disabled")) ||
            !json_is_string(content))
            continue;
        json_array_append(contents, (json_t *)content);
    }
    if (json_array_size(contents) == 0) {
        json_decref(contents);
        return NULL;
    }
    out = json_pack("{s:O*,s:O*,s:O*}", "name", json_object_get(rrset, "name"),
                    "type", json_object_get(rrset, "type"),
                    "ttl", json_object_get(rrset, "ttl"));
    if (out && (json_object_set(out, "records", contents) != 0 ||
                live_serial(out, contents) != 0 ||
                live_comments(out, rrset) != 0)) {
        json_decref(out);
        out = NULL;
    }
    json_decref(contents);
    return out;
}

/* The owner a TXT rrset's one enabled content names as a registry mark
 * (malloc'd), or NULL when the rrset is no mark. */
static char *registry_owner(const json_t *rrset)
{
    const json_t *recs = json_object_get(rrset, "records");
    const char *type = json_string_value(json_object_get(rrset, "type"));
    const char *content = json_string_value(json_object_get(
        json_array_get(recs, 0), "content"));

    if (!type || strcmp(type, "TXT") != 0 || json_array_size(recs) != 1 ||
        !content)
        return NULL;
    return tu_txt_registry_owner(content);
}

/* The zone's registry marks as {name: owner}: a new object, or NULL when
 * out of memory. */
static json_t *registry_marks(const json_t *items)
{
    json_t *marks = json_object();
    const json_t *rrset;
    size_t i;
    char *owner;

    json_array_foreach(items, i, rrset) {
        const char *name = json_string_value(json_object_get(rrset, "name"));
        if (!marks || !name || !(owner = registry_owner(rrset)))
            continue;
        if (json_object_set_new(marks, name, json_string(owner)) != 0) {
            json_decref(marks);
            marks = NULL;
        }
        free(owner);
    }
    return marks;
}

/* The live record `rec` gets `owner` from its registry mark in `marks`
 * (registry_marks), if it has one. 0 or -1 (out of memory). */
static int mark_from_registry(const pdns_cfg *c, json_t *rec,
                              const json_t *marks)
{
    char *name = tu_txt_registry_name(
        c->txt_prefix, c->txt_wildcard, json_string_value(json_object_get(rec, "name")),
        json_string_value(json_object_get(rec, "type")));
    json_t *owner = name ? json_object_get(marks, name) : NULL;
    int rc = name ? 0 : -1;

    json_object_del(rec, "owner");  /* a comment mark does not count here */
    if (owner)
        rc = json_object_set(rec, "owner", owner);
    free(name);
    return rc;
}

/* GET of a zone answered 404 or 410. */
static void zone_missing(tu_fetch *f, const tu_http_response *r,
                         const char *url, const char *zone)
{
    const pdns_cfg *c = tu_fetch_state(f);
    tu_fetch_fail(f, TU_ERR_FETCH,
                  "GET %s: HTTP %ld: zone %s was not found on server "
                  "'%s'. trueup does not create zones: create it first "
                  "(pdnsutil create-zone %s, or POST .../servers/%s/zones), "
                  "or correct target.zones; if no zone is found, check that "
                  "target.base_url ends in /api/v1", url, r->status, zone,
                  c->server, zone, c->server);
}

/* A zone's rrsets as live records; with a TXT registry, each marked by
 * its mark, and the marks themselves left out. A new list, or NULL when
 * out of memory. */
static json_t *zone_records(const pdns_cfg *c, const json_t *items)
{
    json_t *records = json_array(), *rec;
    json_t *marks = c->txt_prefix ? registry_marks(items) : NULL;
    const json_t *rrset;
    size_t i;
    char *owner;

    if (c->txt_prefix && !marks)
        goto fail;
    json_array_foreach(items, i, rrset) {
        if (!records || !json_is_object(rrset))
            continue;
        if (marks && (owner = registry_owner(rrset)) != NULL) {
            free(owner);       /* a mark: part of the record it marks */
            continue;
        }
        if ((rec = tu_pdns_live_rrset(rrset)) != NULL &&
            (json_array_append_new(records, rec) != 0 ||
             (marks && mark_from_registry(c, rec, marks) != 0)))
            goto fail;
    }
    json_decref(marks);
    return records;
fail:
    json_decref(marks);
    json_decref(records);
    return NULL;
}

/* A zone read rrset by rrset (no TXT registry to read first). */
typedef struct zone_read {
    tu_fetch *f;
    const char *url;
    size_t zone, added;
} zone_read;

/* One rrset: its live record added, if it has one. 0 or -1. */
static int add_rrset(json_t *rrset, size_t index, void *data)
{
    zone_read *z = data;
    json_t *rec = json_is_object(rrset) ? tu_pdns_live_rrset(rrset) : NULL;
    int rc = rec ? tu_fetch_add_record(z->f, rec, z->url, z->zone,
                                       z->added++)
                 : 0;

    (void)index;
    json_decref(rec);
    return rc;
}

/* One rrset of the common shape, read from its text: 1 when its live
 * record was added, 0 to read it through jansson (add_rrset), -1. */
static int add_rrset_text(const char *text, size_t len, size_t *used,
                          size_t index, void *data)
{
    zone_read *z = data;
    int oom, rc;
    json_t *rec = tu_pdns_live_rrset_text(text, len, used, &oom);

    (void)index;
    if (!rec) {
        if (oom)
            tu_fetch_fail(z->f, TU_ERR_NOMEM, "out of memory");
        return oom ? -1 : 0;
    }
    rc = tu_fetch_add_record(z->f, rec, z->url, z->zone, z->added++);
    json_decref(rec);
    return rc == 0 ? 1 : -1;
}

static void bad_zone(tu_fetch *f, const tu_error *err)
{
    tu_fetch_fail(f, err->code, "%s (is target.base_url the API's root, "
                  "like http://HOST:8081/api/v1?)", err->message);
}

/* A zone's answer: its rrsets one at a time (tu_list_page_each); with a
 * TXT registry, whole, since the marks are read first. */
static void on_zone(tu_fetch *f, const tu_http_response *r, const char *url,
                    void *data)
{
    const pdns_cfg *c = tu_fetch_state(f);
    size_t zone = (size_t)(uintptr_t)data;
    zone_read z = {f, url, zone, 0};
    tu_error err = {0};
    json_t *items, *records;

    if (r->status == 404 || r->status == 410) {
        zone_missing(f, r, url, c->zones[zone]);
        return;
    }
    if (!c->txt_prefix) {
        if (tu_list_page_each_raw(r->body, r->body_len, "rrsets", "GET",
                                  url, add_rrset_text, add_rrset, &z,
                                  &err) != 0 && err.message[0])
            bad_zone(f, &err);
        return;
    }
    items = tu_list_page_items(r->body, r->body_len, "rrsets", "GET", url,
                               &err);
    if (!items) {
        bad_zone(f, &err);
        return;
    }
    if (!(records = zone_records(c, items)))
        tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
    if (!tu_fetch_failed(f))
        tu_fetch_add_records(f, records, url, zone);
    json_decref(records);
    json_decref(items);
}

int tu_pdns_fetch(const tu_target *t, tu_fetch *f)
{
    const pdns_cfg *c = t->cfg;

    tu_fetch_set_state(f, t->cfg, NULL); /* borrowed: on_zone reads it */
    for (size_t i = 0; i < c->nzones && !tu_fetch_failed(f); i++) {
        char *url = tu_pdns_zone_url(t, c->zones[i]);
        if (!url) {
            tu_fetch_fail(f, TU_ERR_NOMEM, "out of memory");
            break;
        }
        tu_fetch_get(f, url, TU_FETCH_MISSING_OK, on_zone,
                     (void *)(uintptr_t)i);
        free(url);
    }
    return tu_fetch_failed(f) ? -1 : 0;
}
