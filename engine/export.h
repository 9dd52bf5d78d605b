/* export.h -- the step that ends an export job (export.c): the live
 * records as a desired-state document.
 */
#ifndef TU_ENGINE_EXPORT_H
#define TU_ENGINE_EXPORT_H

#include "trueup/trueup.h"
#include "desired.h"
#include "state/record.h"

/* Whether `desired` can be exported: a target that reads records one by
 * one (REST's resource.get) reads only the desired records, so with none
 * declared there would be nothing to export. 0, or -1 with err set. */
int tu_export_check(const tu_desired *desired, tu_error *err);

/* The live records as a desired-state YAML document: malloc'd, or NULL
 * with err set. */
char *tu_export_text(const tu_desired *desired, const tu_recordset *live,
                     tu_error *err);

/* The live records of one resource as a file declares them: a new JSON
 * array, or NULL with err set. */
json_t *tu_export_records(const tu_desired *desired,
                          const tu_recordset *live, tu_error *err);

/* A system's export: `resources:`, each resource's `records` (the n
 * arrays, borrowed). Malloc'd text, or NULL with err set. */
char *tu_export_system_text(const char *const *names, json_t **records,
                            size_t n, tu_error *err);

#endif
