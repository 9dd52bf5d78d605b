/* system.h -- a system: several resources in one desired state, the
 * references between them, and the order those imply (docs/systems.md).
 *
 * Loading (desired.c, then system.c): a tu_desired whose document has
 * `resources:` holds one tu_desired per resource (`parts`, each a complete
 * one-resource desired state) and the references their field rules declare
 * (`ref: RESOURCE`), checked: the resource exists, `by` names as many
 * fields as its key has, and the resources do not name each other in a
 * circle.
 *
 * Running (system_run.c): between the fetch and the plan, the live
 * records' references are read back to the referenced records' keys (the
 * form the files, the plan and the report use); a desired reference to a
 * record neither declared nor live fails the plan; once the plans are
 * made, each write waits for the writes it depends on, and is sent with
 * its references in the form the API takes (a referenced record's id,
 * possibly the one its create answered).
 */
#ifndef TU_ENGINE_SYSTEM_H
#define TU_ENGINE_SYSTEM_H

#include <stddef.h>
#include "trueup/trueup.h"
#include "state/fields.h"

struct tu_desired;
struct tu_target;

/* One reference: a field of one resource's records naming a record of
 * another resource. */
typedef struct tu_sys_ref {
    size_t from;               /* the part whose records name */
    size_t to;                 /* the part named */
    const char *field;         /* the field (borrowed from the rule) */
    const char **by;           /* owned array, borrowed strings: the fields
                                  giving the named key, in its key order */
    size_t nby;
    size_t at;                 /* the field's place in by */
    const char *send;          /* the named record's field the API takes;
                                  NULL: the key value as written */
} tu_sys_ref;

typedef struct tu_system {
    struct tu_desired **parts; /* each resource's, owned by desired.c (which
                                  loads and frees them) */
    const struct tu_target **targets; /* owned array: each part's target */
    char **names;              /* owned: each part's resource name,
                                  NULL-ended */
    size_t nparts;
    tu_sys_ref *refs;          /* owned */
    size_t nrefs;
    size_t *order;             /* owned: parts, each after those it names */
} tu_system;

/* A system of n resources named names (copied), its arrays zeroed; NULL
 * when out of memory. desired.c fills parts and targets. */
tu_system *tu_system_new(const char *const *names, size_t n);

/* The parts are loaded: read and check their references and order them
 * (a circle is an error), and check that they connect alike. 0, or -1
 * with err set. */
int tu_system_link(tu_system *sys, tu_error *err);

/* Free what the system holds but the parts (desired.c frees those). */
void tu_system_free(tu_system *sys);

/* The index of the part named `name`, or sys->nparts. */
size_t tu_system_part(const tu_system *sys, const char *name);

#endif
