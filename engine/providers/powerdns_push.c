/* powerdns_push.c -- the PowerDNS provider's push (powerdns.h):
 * PATCH {base_url}/servers/{server}/zones/{zone} with {"rrsets": [...]}:
 * creates and updates as changetype REPLACE of the whole rrset (with the
 * owner's mark and the other comments), deletes as DELETE. Each zone's
 * actions go out in batches of batch_size rrsets (and at most batch_bytes
 * of body), deletes first, in the zone's lane (push.h):
 * one PATCH per zone in flight, zones in parallel up to
 * write_concurrency. PowerDNS applies a PATCH all or nothing and names one
 * bad rrset, so a refused batch (422) is split in halves, again and again,
 * until only bad rrsets fail.
 */
#include "engine/providers/powerdns.h"
#include "engine/providers/dns_name.h"
#include "engine/providers/txt_registry.h"
#include "engine/push.h"
#include "util/buffer.h"
#include "util/json_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct batch {
    tu_buffer body;        /* {"rrsets":[...  */
    tu_action **covered;
    size_t n;
    long zone;             /* its lane: one PATCH per zone in flight */
    int front;             /* a half of a split batch: goes first */
} batch;

static void pdns_split(tu_push *p, const tu_target *t, const char *url,
                       tu_action **covered, size_t n, long zone);

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
        c->txt_prefix, c->txt_wildcard, json_string_value(json_object_get(f, "name")),
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

char *tu_pdns_rrset_json(const pdns_cfg *c, const tu_action *a,
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

static void batch_send(tu_push *p, const char *url, batch *b)
{
    if (b->n == 0)
        return;
    if (tu_buffer_puts(&b->body, "]}") != 0) {
        for (size_t i = 0; i < b->n; i++)
            tu_action_fail(b->covered[i], "out of memory");
        tu_buffer_free(&b->body);
    } else {
        size_t len = b->body.len;
        tu_push_lane lane = {b->zone, pdns_split, b->front};
        tu_push_send_in(p, &lane, "PATCH", url, tu_buffer_take(&b->body),
                        len, 1, b->covered, b->n);
    }
    b->n = 0;
}

/* Add one action to the zone's current batch, sending the batch first when
 * the action would overflow it. */
static void batch_add(const tu_target *t, tu_push *p, const char *url,
                      batch *b, tu_action *a)
{
    const pdns_cfg *c = t->cfg;
    const char *why;
    char *text = tu_pdns_rrset_json(c, a, &why);
    size_t len, mark;

    if (!text) {
        tu_action_fail(a, why);
        return;
    }
    len = strlen(text);
    if (b->n > 0 && ((long)b->n >= c->batch_size ||
                     b->body.len + len + 3 > (size_t)c->batch_bytes))
        batch_send(p, url, b);
    mark = b->body.len;
    if (tu_buffer_puts(&b->body, b->n ? "," : "{\"rrsets\":[") != 0 ||
        tu_buffer_add(&b->body, text, len) != 0) {
        if (b->body.data)
            b->body.data[b->body.len = mark] = '\0';
        tu_action_fail(a, "out of memory");
    } else {
        b->covered[b->n++] = a;
    }
    free(text);
}

int tu_pdns_pending_order(const void *x, const void *y)
{
    const pdns_pending *a = x, *b = y;
    if (a->zone != b->zone)
        return a->zone < b->zone ? -1 : 1;
    if (a->del != b->del)
        return b->del - a->del;
    return (a->order > b->order) - (a->order < b->order);
}

/* Push the n actions of one zone in batches. */
static void push_zone(const tu_target *t, tu_push *p, const pdns_pending *todo,
                      size_t n, tu_action **covered)
{
    const pdns_cfg *c = t->cfg;
    char *url = tu_pdns_zone_url(t, c->zones[todo[0].zone]);
    batch b = {TU_BUFFER_INIT, covered, 0, todo[0].zone, 0};

    for (size_t i = 0; i < n; i++) {
        if (!url)
            tu_action_fail(todo[i].action, "out of memory");
        else
            batch_add(t, p, url, &b, todo[i].action);
    }
    if (url)
        batch_send(p, url, &b);
    tu_buffer_free(&b.body);
    free(url);
}

/* PowerDNS refused a batch (422) and named one bad rrset: send each half
 * again, ahead of the zone's other batches, until the bad ones stand alone
 * and fail with PowerDNS's message while the others apply (about 2 log2(n)
 * PATCHes for one bad rrset among n). */
static void pdns_split(tu_push *p, const tu_target *t, const char *url,
                       tu_action **covered, size_t n, long zone)
{
    tu_action **room = malloc(n * sizeof *room);
    size_t half = n / 2;

    if (!room) {
        for (size_t i = 0; i < n; i++)
            tu_action_fail(covered[i], "out of memory");
        return;
    }
    for (size_t from = 0; from < n; from = half, half = n) {
        batch b = {TU_BUFFER_INIT, room, 0, zone, 1};
        for (size_t i = from; i < half; i++)
            batch_add(t, p, url, &b, covered[i]);
        batch_send(p, url, &b);
        tu_buffer_free(&b.body);
    }
    free(room);
}

int tu_pdns_push(const tu_target *t, tu_push *p, tu_action **actions,
                     size_t n)
{
    pdns_pending *todo = malloc(n * sizeof *todo);
    tu_action **covered = malloc(n * sizeof *covered);
    size_t m = 0;

    if (!todo || !covered) {
        for (size_t i = 0; i < n; i++)
            tu_action_fail(actions[i], "out of memory");
        free(todo);
        free(covered);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(
            json_object_get(record_fields_of(actions[i]), "name"));
        long zone = name ? tu_pdns_zone_index(t->cfg, name) : -1;
        if (zone < 0) {
            tu_action_fail(actions[i], "the name is not inside any zone of "
                           "target.zones");
            continue;
        }
        todo[m++] = (pdns_pending){zone,
                                   actions[i]->kind == TU_ACTION_DELETE,
                                   i, actions[i]};
    }
    qsort(todo, m, sizeof *todo, tu_pdns_pending_order);
    for (size_t i = 0, j; i < m; i = j) {
        for (j = i + 1; j < m && todo[j].zone == todo[i].zone; j++)
            ;
        push_zone(t, p, todo + i, j - i, covered);
    }
    free(todo);
    free(covered);
    return 0;
}
