/* system_refs.h -- the references of a system's run (system_refs.c).
 *
 *   tu_refs_translate  live records: a reference in the API's form (an
 *                      id) read back to the named record's key, the form
 *                      files, plans and reports use; the records as read
 *                      are kept, to be sent back;
 *   tu_refs_check      every desired reference names a record declared or
 *                      live (else the plan fails, naming both);
 *   tu_refs_order      once the plans are made: a record naming one the
 *                      run replaces is replaced too; which write waits for
 *                      which (creates and updates of a named record
 *                      first; deletes of the records naming one first);
 *   tu_refs_resolve    an action about to be sent: its desired record with
 *                      references in the API's form (the named record's id,
 *                      from its live record, its declaration, or the answer
 *                      to its create in this run).
 */
#ifndef TU_ENGINE_SYSTEM_REFS_H
#define TU_ENGINE_SYSTEM_REFS_H

#include <stddef.h>
#include <stdint.h>
#include "trueup/trueup.h"
#include "plan.h"
#include "system.h"
#include "state/record.h"
#include "util/strmap.h"

/* One action of a system's run: its unit (resource) and its index in that
 * unit's plan. */
typedef struct tu_ref_node {
    uint32_t unit;
    uint32_t action;
} tu_ref_node;

/* What the references need of one resource's run. */
typedef struct tu_ref_unit {
    const struct tu_desired *d;  /* the resource's desired state */
    tu_recordset *live;          /* the child's live records (translated
                                    in place: swapped with raw_live) */
    tu_plan *plan;               /* the child's plan, once made */
    tu_recordset raw_live;       /* the live records as read, when any of
                                    them was translated */
    int translated;
    tu_recordset resolved;       /* desired records as sent */
    tu_strmap by_key;            /* key -> its action's index */
    uint32_t *waits;             /* per action: writes it waits for */
    size_t first;                /* its actions' first global index */
} tu_ref_unit;

typedef struct tu_refs {
    const tu_system *sys;
    tu_ref_unit *units;          /* sys->nparts of them, filled by the run */
    size_t *dep_first;           /* per global action + 1: dependents */
    tu_ref_node *deps;           /* grouped by the action waited for */
    size_t nactions;
} tu_refs;

/* Translate every unit's live records, in the system's order. 0, or -1
 * with err set (out of memory). */
int tu_refs_translate(tu_refs *refs, tu_error *err);

/* Check the desired references. 0, or -1 with err set (bad input). */
int tu_refs_check(const tu_refs *refs, tu_error *err);

/* The plans are made: index them and order their writes. In plan mode,
 * a write whose reference is known only after a create gets a note.
 * 0, or -1 with err set (a declared record names one this run deletes;
 * out of memory). */
int tu_refs_order(tu_refs *refs, tu_mode mode, tu_error *err);

/* The writes that wait for the action `n` (count in *count). */
const tu_ref_node *tu_refs_dependents(const tu_refs *refs, tu_ref_node n,
                                      size_t *count);

/* Point the action's desired record at one with the references in the
 * API's form, and its live record at the one as read. 0, or -1 with
 * `why` filled (the value cannot be known: the action fails, not sent). */
int tu_refs_resolve(tu_refs *refs, tu_ref_node n, char *why, size_t size);

void tu_refs_free(tu_refs *refs);

#endif
