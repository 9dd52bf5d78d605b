/* plan_file.h -- plan files inside the engine: built from a plan
 * (plan_file.c) and run (run_plan.c). The public face is in trueup.h
 * (tu_plan_file_*); the format's parsing and checksums in state/planfile.h.
 */
#ifndef TU_ENGINE_PLAN_FILE_H
#define TU_ENGINE_PLAN_FILE_H

#include "trueup/trueup.h"
#include "plan.h"
#include "state/planfile.h"

/* The plan file of `plan`, made from `d` with options `o` against
 * `live_count` live records, sealed (o->plan_key). NULL with err set. */
json_t *tu_planfile_build(const tu_desired *d, const tu_options *o,
                          const tu_plan *plan, size_t live_count,
                          tu_error *err);

struct tu_plan_file {
    char *path;
    tu_planfile pf;
    tu_desired *desired;  /* target, settings; records: those of the
                             changes (run_plan.c), for the fetch and push */
    tu_recordset other;   /* records of the failed entries (their keys) */
    size_t *at;           /* change i's record: desired or other item */
    /* A system's: one plan file per resource, each borrowing its pf (a
     * part of this one's) and its desired state (a part of this one's). */
    struct tu_plan_file *parts;
    size_t nparts;
    int is_part;          /* borrows pf, desired and path */
};

/* A system's plan file: the resources' plan files (`parts`, each taken:
 * n of them, freed here) under the run's settings, sealed
 * (o->plan_key). NULL with err set. */
json_t *tu_planfile_build_system(const tu_desired *d, const tu_options *o,
                                 json_t **parts, size_t n, tu_error *err);

/* Build the records of the changes into desired->records and other
 * (run_plan.c). 0, or -1 with err set. */
int tu_plan_file_records(tu_plan_file *plan, tu_error *err);

/* 1 with err set when PATH.applied exists (the plan was applied), else
 * 0. */
int tu_plan_file_used(const tu_plan_file *plan, tu_error *err);

/* The plan of the file, checked against `live` (read just now): every
 * planned record must hold the value it was planned against. 0 and `plan`
 * built on those records, or -1 with err naming the records that changed
 * (TU_ERR_PLAN). */
int tu_plan_file_plan(const tu_plan_file *plan, const tu_recordset *live,
                      tu_plan *out, tu_error *err);

/* Record the plan as applied (PATH.applied, O_EXCL, synced) before the
 * first write. 0, or -1 with err set (then nothing may be pushed). */
int tu_plan_file_mark(const tu_plan_file *plan, tu_error *err);

#endif
