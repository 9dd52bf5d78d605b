/* schema.h -- typed reads from loaded YAML mappings, with located errors.
 *
 * The desired-state file is checked strictly: unknown keys are errors (with
 * the closest known key suggested), and every value has the type its key
 * expects. These helpers read one key each and, on failure, write an error
 * located at that key ("file:line:col: settings.timeout: expected a number,
 * got a string"). `ctx` is the dotted path of the mapping ("settings").
 *
 * Each returns 1 when the key is present and valid, 0 when it is absent
 * (and not required), -1 on error.
 */
#ifndef TU_STATE_SCHEMA_H
#define TU_STATE_SCHEMA_H

#include <jansson.h>
#include "trueup/trueup.h"
#include "srcmap.h"

/* Fail on the first key of `obj` that is not in `allowed` (NULL-ended). */
int tu_schema_keys(const json_t *obj, const char *const *allowed,
                   const tu_srcmap *map, const char *ctx, tu_error *err);

/* Fail unless `value` is a mapping; `where` names it in the message. */
int tu_schema_is_object(const json_t *value, const tu_srcmap *map,
                        tu_srcpos pos, const char *where, tu_error *err);

int tu_schema_string(const json_t *obj, const char *key, int required,
                     const tu_srcmap *map, const char *ctx,
                     const char **out, tu_error *err);

int tu_schema_int(const json_t *obj, const char *key, long min, long max,
                  const tu_srcmap *map, const char *ctx, long *out,
                  tu_error *err);

int tu_schema_number(const json_t *obj, const char *key, double min,
                     double max, const tu_srcmap *map, const char *ctx,
                     double *out, tu_error *err);

int tu_schema_bool(const json_t *obj, const char *key, const tu_srcmap *map,
                   const char *ctx, int *out, tu_error *err);

/* A mapping (borrowed). */
int tu_schema_object(const json_t *obj, const char *key, int required,
                     const tu_srcmap *map, const char *ctx,
                     const json_t **out, tu_error *err);

/* One of `choices` (NULL-ended); *index receives its position. */
int tu_schema_enum(const json_t *obj, const char *key,
                   const char *const *choices, const tu_srcmap *map,
                   const char *ctx, int *index, tu_error *err);

/* A list of non-empty strings, or a single string taken as a list of one.
 * *out is a NULL-ended array of borrowed strings (free the array only). */
int tu_schema_string_list(const json_t *obj, const char *key, int required,
                          const tu_srcmap *map, const char *ctx,
                          const char ***out, size_t *count, tu_error *err);

/* Call fn(string, its position, data) for every string of `value` (the
 * value itself, or the strings at any depth of a mapping or list), in
 * order, each placed at its member's position (a list item: the list's);
 * `pos` is the place of `value` itself. 0, or the first -1 fn returns. */
typedef int (*tu_schema_string_fn)(const char *s, tu_srcpos pos, void *data);
int tu_schema_each_string(const json_t *value, tu_srcpos pos,
                          const tu_srcmap *map, tu_schema_string_fn fn,
                          void *data);

#endif
