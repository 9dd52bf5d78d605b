/* powerdns.h -- the PowerDNS provider's configuration and the functions
 * its files share: powerdns.c (reading the target, normalising records,
 * the provider's table), powerdns_zone.c (which zone holds a name, a
 * zone's URL), powerdns_fetch.c (a GET per zone, live rrsets -> records;
 * powerdns_rrset.c reads the common rrset from its text),
 * powerdns_body.c (one rrset of a PATCH body) and powerdns_push.c
 * (actions -> PATCHes of rrsets, in batches).
 * Internal to the provider; nothing else includes it (but its tests).
 */
#ifndef TU_ENGINE_PROVIDERS_POWERDNS_H
#define TU_ENGINE_PROVIDERS_POWERDNS_H

#include <stddef.h>
#include <jansson.h>
#include "engine/fetch.h"
#include "engine/provider.h"
#include "engine/push.h"
#include "engine/target.h"
#include "util/buffer.h"

/* An ownership mark: an rrset comment of this account and content prefix
 * (read by the fetch, written by the push). */
#define PDNS_MARK_ACCOUNT "trueup"
#define PDNS_MARK_PREFIX "heritage=trueup,trueup/owner="

typedef struct pdns_cfg {
    char *server;
    char **zones;          /* lower case, with a trailing dot */
    size_t nzones;
    long batch_size;       /* rrsets per PATCH, at most */
    long batch_bytes;      /* bytes of a PATCH's body, at most */
    long write_concurrency; /* PATCHes at once (SQLite: only 1 works) */
    char *txt_prefix;      /* target.ownership: txt: the TXT registry's
                              prefix (txt_registry.h); NULL: marks are
                              rrset comments */
    char *txt_wildcard;    /* what stands for a `*` label in a mark's name */
} pdns_cfg;

/* The zone (index into c->zones) an absolute name belongs to: the longest
 * that holds it; -1 when none does (powerdns_zone.c). */
long tu_pdns_zone_index(const pdns_cfg *c, const char *name);

/* {base_url}/servers/{server}/zones/{zone}, percent-encoded; malloc'd, or
 * NULL when out of memory (powerdns_zone.c). */
char *tu_pdns_zone_url(const tu_target *t, const char *zone);

/* The provider's fetch (powerdns_fetch.c): one GET per zone. */
int tu_pdns_fetch(const tu_target *t, tu_fetch *f);

/* An rrset as PowerDNS lists it (borrowed) -> a live record's fields,
 * {name, type, ttl, records: [content], owner, comments, serial}, with the
 * enabled records only; a new reference, or NULL when none is enabled (or
 * out of memory). powerdns_fetch.c. */
json_t *tu_pdns_live_rrset(const json_t *rrset);

/* The same from the rrset's text (`len` bytes from `text` to the body's
 * end), read without jansson when it is of the common shape
 * (powerdns_rrset.c): a new reference, *used set to the bytes read up to
 * its closing brace. NULL with *used 0 when it is not of that shape (read
 * it with jansson and tu_pdns_live_rrset, which say what is wrong, if
 * anything), or when out of memory (*oom set). */
json_t *tu_pdns_live_rrset_text(const char *text, size_t len, size_t *used,
                                int *oom);

/* The provider's push (powerdns_push.c): each zone's actions in batched
 * PATCHes, in the zone's lane. */
int tu_pdns_push(const tu_target *t, tu_push *p, tu_action **actions,
                 size_t n);

/* One rrset of a PATCH body for action `a`, as compact JSON: a DELETE, or
 * a REPLACE of the whole rrset (with a TXT registry, followed by the
 * DELETE or REPLACE of its mark: "{...},{...}"), appended to `b`. 0, or
 * -1 with *why set when the action cannot be sent (`b` is then as it
 * was). The same text whether the records are packed or jansson objects
 * (powerdns_body.c). */
int tu_pdns_rrset_write(const pdns_cfg *c, const tu_action *a, tu_buffer *b,
                        const char **why);

/* An action to push, with its zone; sorted by zone, deletes first (a
 * PATCH applies its rrsets in order, so an A replaced by a CNAME goes out
 * as DELETE, then REPLACE), then in plan order. */
typedef struct pdns_pending {
    long zone;
    int del;
    size_t order;
    tu_action *action;
} pdns_pending;

/* qsort's comparison of two pdns_pending in that order. */
int tu_pdns_pending_order(const void *x, const void *y);

#endif
