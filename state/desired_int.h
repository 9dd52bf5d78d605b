/* desired_int.h -- what the desired-state document's two files share:
 * desired.c (one document: files merged and checked) and desired_parts.c
 * (a system: the `resources:` of the files, one document per resource).
 * Nothing else includes it.
 */
#ifndef TU_STATE_DESIRED_INT_H
#define TU_STATE_DESIRED_INT_H

#include "desired.h"

/* An empty document; its source map is `map` (borrowed: a part of a
 * system) or, NULL, a new one. 0, or -1 with err set. */
int tu_doc_begin(tu_doc *doc, tu_srcmap *map, tu_error *err);

/* Check one file's root (or a resource's mapping) and merge it in. */
int tu_doc_add_document(tu_doc *doc, const json_t *root, const char *name,
                        tu_error *err);

/* Settings read and the whole checked once everything is merged. */
int tu_doc_finish(tu_doc *doc, const char *name, size_t count,
                  tu_error *err);

/* A copy of a mapping (shallow), its positions recorded in map; NULL when
 * out of memory. */
json_t *tu_doc_copy_mapping(tu_srcmap *map, const json_t *obj);

/* desired_parts.c: a file with `resources:` holds only settings, target
 * and resources, each resource a mapping named [A-Za-z0-9_-]. 0 or -1. */
int tu_doc_check_system_file(const tu_srcmap *map, const json_t *root,
                             tu_error *err);

/* desired_parts.c: keep a file's `resources:` mappings (doc->parts). */
int tu_doc_add_parts(tu_doc *doc, const json_t *resources, tu_error *err);

/* desired_parts.c: a merged system has no records of its own (a file
 * without `resources:` that gives records, rules or defaults). */
int tu_doc_check_system(const tu_doc *doc, tu_error *err);

#endif
