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
#include "engine/push.h"
#include "util/buffer.h"

#include <stdlib.h>

typedef struct batch {
    tu_buffer body;        /* {"rrsets":[...  */
    tu_buffer one;         /* the rrset being added (powerdns_body.c) */
    tu_action **covered;
    size_t n;
    long zone;             /* its lane: one PATCH per zone in flight */
    int front;             /* a half of a split batch: goes first */
} batch;

static void pdns_split(tu_push *p, const tu_target *t, const char *url,
                       tu_action **covered, size_t n, long zone);

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
    size_t len, mark;

    tu_buffer_truncate(&b->one, 0);
    if (tu_pdns_rrset_write(c, a, &b->one, &why) != 0) {
        tu_action_fail(a, why);
        return;
    }
    len = b->one.len;
    if (b->n > 0 && ((long)b->n >= c->batch_size ||
                     b->body.len + len + 3 > (size_t)c->batch_bytes))
        batch_send(p, url, b);
    mark = b->body.len;
    if (tu_buffer_puts(&b->body, b->n ? "," : "{\"rrsets\":[") != 0 ||
        tu_buffer_add(&b->body, b->one.data, len) != 0) {
        tu_buffer_truncate(&b->body, mark);
        tu_action_fail(a, "out of memory");
    } else {
        b->covered[b->n++] = a;
    }
}

/* What a batch holds when its zone's actions are all added. */
static void batch_free(batch *b)
{
    tu_buffer_free(&b->body);
    tu_buffer_free(&b->one);
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
    batch b = {TU_BUFFER_INIT, TU_BUFFER_INIT, covered, 0, todo[0].zone, 0};

    for (size_t i = 0; i < n; i++) {
        if (!url)
            tu_action_fail(todo[i].action, "out of memory");
        else
            batch_add(t, p, url, &b, todo[i].action);
    }
    if (url)
        batch_send(p, url, &b);
    batch_free(&b);
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
        batch b = {TU_BUFFER_INIT, TU_BUFFER_INIT, room, 0, zone, 1};
        for (size_t i = from; i < half; i++)
            batch_add(t, p, url, &b, covered[i]);
        batch_send(p, url, &b);
        batch_free(&b);
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
        const char *name = tu_record_string(actions[i]->desired
                                                ? actions[i]->desired
                                                : actions[i]->live, "name");
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
