/* system.c -- loading a system: one desired state per resource, and the
 * references between them checked (system.h).
 *
 * Each resource's document is made by state/desired_parts.c and loaded
 * as a one-resource file is (desired.c, which owns the parts); the references
 * come from the field rules (`ref`, `by`, `send`: state/fields.h). What
 * the API takes for a reference (`send`) defaults to the named resource's
 * id field (the provider's answers rule names it; for `rest`,
 * resource.id), or, when the provider has none, the key as written.
 */
#include "system.h"
#include "provider.h"
#include "target.h"
#include "state/error.h"
#include "util/suggest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t tu_system_part(const tu_system *sys, const char *name)
{
    size_t i;

    for (i = 0; i < sys->nparts; i++)
        if (strcmp(sys->names[i], name) == 0)
            break;
    return i;
}

static void key_of(const tu_target *t, tu_keyspec *key)
{
    const char **ignore;
    size_t nignore;

    t->ops->describe(t->cfg, key, &ignore, &nignore);
}

/* The named resource's id field, or NULL (the key as written). */
static const char *default_send(const tu_target *to)
{
    const tu_answer_rules *a = to->ops->answers ? to->ops->answers(to->cfg)
                                                : NULL;
    return a ? a->id_field : NULL;
}

static int unknown_resource(const tu_system *sys, size_t from,
                            const tu_field_rule *r, tu_error *err)
{
    const char *near = tu_suggest(r->ref, (const char *const *)sys->names);

    tu_error_at(err, r->pos, "resources.%s: target.fields.%s.ref: there is "
                "no resource '%s'%s%s%s", sys->names[from], r->name, r->ref,
                near ? " (did you mean '" : "", near ? near : "",
                near ? "'?)" : "");
    return -1;
}

/* `by` of a rule: its list, or the field alone; the field's place in it. */
static int read_by(tu_sys_ref *ref, const tu_field_rule *r, size_t nkey,
                   const char *to, tu_error *err)
{
    size_t n = r->by ? json_array_size(r->by) : 1;

    if (!(ref->by = calloc(n, sizeof *ref->by))) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    ref->nby = n;
    ref->at = n;
    for (size_t i = 0; i < n; i++) {
        ref->by[i] = r->by ? json_string_value(json_array_get(r->by, i))
                           : r->name;
        if (strcmp(ref->by[i], r->name) == 0)
            ref->at = i;
    }
    if (n != nkey || ref->at == n) {
        tu_error_at(err, r->pos, "target.fields.%s: %s's key has %zu "
                    "field%s, so `by` must list %zu field%s of this record, "
                    "%s among them, in %s's key order", r->name, to, nkey,
                    nkey == 1 ? "" : "s", nkey, nkey == 1 ? "" : "s",
                    r->name, to);
        return -1;
    }
    return 0;
}

static int add_ref(tu_system *sys, size_t from, const tu_field_rule *r,
                   tu_error *err)
{
    size_t to = tu_system_part(sys, r->ref);
    tu_sys_ref *refs, *ref;
    tu_keyspec key;

    if (to == sys->nparts)
        return unknown_resource(sys, from, r, err);
    if (!(refs = realloc(sys->refs, (sys->nrefs + 1) * sizeof *refs))) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    sys->refs = refs;
    ref = memset(&refs[sys->nrefs++], 0, sizeof *ref);
    ref->from = from;
    ref->to = to;
    ref->field = r->name;
    ref->send = r->send ? r->send : default_send(sys->targets[to]);
    key_of(sys->targets[to], &key);
    return read_by(ref, r, key.count, r->ref, err);
}

static int collect_refs(tu_system *sys, tu_error *err)
{
    for (size_t p = 0; p < sys->nparts; p++) {
        const tu_field_rules *rules = &sys->targets[p]->fields;
        for (size_t i = 0; i < rules->count; i++) {
            if (rules->items[i].ref &&
                add_ref(sys, p, &rules->items[i], err) != 0)
                return -1;
        }
    }
    return 0;
}

/* ---- order --------------------------------------------------------------- */

enum { UNSEEN, ON_PATH, DONE };

/* Depth-first: every part after the parts it names. A part met again on
 * the path is a circle, named from there. */
static int visit(tu_system *sys, size_t p, unsigned char *mark,
                 size_t *path, size_t depth, size_t *n, tu_error *err)
{
    if (mark[p] == DONE)
        return 0;
    path[depth] = p;
    if (mark[p] == ON_PATH) {
        char text[1024] = "";
        size_t from = 0, len = 0;
        while (path[from] != p)
            from++;
        for (size_t i = from; i <= depth && len < sizeof text - 1; i++)
            len += (size_t)snprintf(text + len, sizeof text - len, "%s%s",
                                    i > from ? " -> " : "",
                                    sys->names[path[i]]);
        tu_error_set(err, TU_ERR_BAD_INPUT, "the resources name each other "
                     "in a circle: %s (a reference orders writes: each "
                     "resource's records go after those they name; remove "
                     "one ref of the circle)", text);
        return -1;
    }
    mark[p] = ON_PATH;
    for (size_t i = 0; i < sys->nrefs; i++) {
        if (sys->refs[i].from == p &&
            visit(sys, sys->refs[i].to, mark, path, depth + 1, n, err) != 0)
            return -1;
    }
    mark[p] = DONE;
    sys->order[(*n)++] = p;
    return 0;
}

static int order_parts(tu_system *sys, tu_error *err)
{
    unsigned char *mark = calloc(sys->nparts, 1);
    size_t *path = calloc(sys->nparts + 1, sizeof *path), n = 0;
    int rc = 0;

    sys->order = calloc(sys->nparts, sizeof *sys->order);
    if (!mark || !path || !sys->order) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        rc = -1;
    }
    for (size_t p = 0; rc == 0 && p < sys->nparts; p++)
        rc = visit(sys, p, mark, path, 0, &n, err);
    free(mark);
    free(path);
    return rc;
}

/* ---- loading ------------------------------------------------------------- */

tu_system *tu_system_new(const char *const *names, size_t n)
{
    tu_system *sys = calloc(1, sizeof *sys);

    if (!sys)
        return NULL;
    sys->parts = calloc(n + 1, sizeof *sys->parts);
    sys->targets = calloc(n + 1, sizeof *sys->targets);
    sys->names = calloc(n + 1, sizeof *sys->names);  /* NULL-ended */
    if (!sys->parts || !sys->targets || !sys->names) {
        tu_system_free(sys);
        return NULL;
    }
    for (sys->nparts = 0; sys->nparts < n; sys->nparts++) {
        if (!(sys->names[sys->nparts] = strdup(names[sys->nparts]))) {
            tu_system_free(sys);
            return NULL;
        }
    }
    return sys;
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* One run sends every resource's requests through one executor: they
 * share its TLS setup (the headers and auth may differ: each resource's
 * requests send its own). 0, or -1 naming the first resource that differs
 * from the first. */
static int check_connections(const tu_system *sys, tu_error *err)
{
    const tu_target *a = sys->targets[0], *b;

    for (size_t i = 1; i < sys->nparts; i++) {
        b = sys->targets[i];
        if (a->tls.insecure == b->tls.insecure &&
            same_str(a->tls.ca_file, b->tls.ca_file) &&
            same_str(a->tls.client_cert, b->tls.client_cert) &&
            same_str(a->tls.client_key, b->tls.client_key))
            continue;
        tu_error_set(err, TU_ERR_BAD_INPUT, "resources %s and %s connect "
                     "differently (target.tls): the resources of one system "
                     "share one TLS setup; give them the same (the "
                     "top-level target is inherited by every resource), or "
                     "run them as two desired states", sys->names[0],
                     sys->names[i]);
        return -1;
    }
    return 0;
}

int tu_system_link(tu_system *sys, tu_error *err)
{
    if (sys->nparts == 0) {
        tu_error_set(err, TU_ERR_BAD_INPUT, "resources: no resource");
        return -1;
    }
    if (collect_refs(sys, err) != 0 || order_parts(sys, err) != 0)
        return -1;
    return check_connections(sys, err);
}

void tu_system_free(tu_system *sys)
{
    if (!sys)
        return;
    for (size_t i = 0; sys->names && i < sys->nparts; i++)
        free(sys->names[i]);
    for (size_t i = 0; i < sys->nrefs; i++)
        free(sys->refs[i].by);
    free(sys->parts);
    free(sys->targets);
    free(sys->names);
    free(sys->refs);
    free(sys->order);
    free(sys);
}
