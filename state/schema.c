/* schema.c -- typed reads from loaded YAML mappings (see schema.h).
 *
 * All messages name the full dotted key ("target.resource.key") and point
 * at the key's line and column through the source map.
 */
#include "schema.h"
#include "error.h"
#include "util/json_util.h"
#include "util/suggest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void key_error(const json_t *obj, const char *key, const char *ctx,
                      const tu_srcmap *map, tu_error *err, const char *what,
                      const json_t *value)
{
    tu_error_at(err, tu_srcmap_member(map, obj, key), "%s%s%s: %s, got %s",
                ctx, *ctx ? "." : "", key, what, tu_json_type_name(value));
}

int tu_schema_keys(const json_t *obj, const char *const *allowed,
                   const tu_srcmap *map, const char *ctx, tu_error *err)
{
    const char *key;
    json_t *value;

    json_object_foreach((json_t *)obj, key, value) {
        const char *const *a = allowed;
        const char *hint;
        while (*a && strcmp(*a, key) != 0)
            a++;
        if (*a)
            continue;
        hint = tu_suggest(key, allowed);
        tu_error_at(err, tu_srcmap_member(map, obj, key),
                    "%s%sunknown key '%s'%s%s%s", ctx, *ctx ? ": " : "", key,
                    hint ? " (did you mean '" : "", hint ? hint : "",
                    hint ? "'?)" : "");
        return -1;
    }
    return 0;
}

int tu_schema_is_object(const json_t *value, const tu_srcmap *map,
                        tu_srcpos pos, const char *where, tu_error *err)
{
    (void)map;
    if (json_is_object(value))
        return 0;
    tu_error_at(err, pos, "%s: expected a mapping, got %s", where,
                tu_json_type_name(value));
    return -1;
}

static int lookup(const json_t *obj, const char *key, int required,
                  const tu_srcmap *map, const char *ctx, json_t **value,
                  tu_error *err)
{
    *value = json_object_get(obj, key);
    if (*value)
        return 1;
    if (!required)
        return 0;
    tu_error_at(err, tu_srcmap_get(map, obj), "%s: missing required key '%s'",
                *ctx ? ctx : "the file", key);
    return -1;
}

int tu_schema_string(const json_t *obj, const char *key, int required,
                     const tu_srcmap *map, const char *ctx,
                     const char **out, tu_error *err)
{
    json_t *v;
    int rc = lookup(obj, key, required, map, ctx, &v, err);
    if (rc <= 0)
        return rc;
    if (json_is_string(v) && json_string_length(v) == 0) {
        tu_error_at(err, tu_srcmap_member(map, obj, key), "%s%s%s: expected "
                    "a non-empty string, got an empty one", ctx,
                    *ctx ? "." : "", key);
        return -1;
    }
    if (!json_is_string(v) ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        key_error(obj, key, ctx, map, err, "expected a non-empty string", v);
        return -1;
    }
    *out = json_string_value(v);
    return 1;
}

int tu_schema_int(const json_t *obj, const char *key, long min, long max,
                  const tu_srcmap *map, const char *ctx, long *out,
                  tu_error *err)
{
    json_t *v;
    int rc = lookup(obj, key, 0, map, ctx, &v, err);
    if (rc <= 0)
        return rc;
    if (!json_is_integer(v)) {
        key_error(obj, key, ctx, map, err, "expected an integer", v);
        return -1;
    }
    if (json_integer_value(v) < min || json_integer_value(v) > max) {
        tu_error_at(err, tu_srcmap_member(map, obj, key),
                    "%s.%s: %" JSON_INTEGER_FORMAT
                    " is out of range (%ld to %ld)",
                    ctx, key, json_integer_value(v), min, max);
        return -1;
    }
    *out = (long)json_integer_value(v);
    return 1;
}

int tu_schema_number(const json_t *obj, const char *key, double min,
                     double max, const tu_srcmap *map, const char *ctx,
                     double *out, tu_error *err)
{
    json_t *v;
    int rc = lookup(obj, key, 0, map, ctx, &v, err);
    if (rc <= 0)
        return rc;
    if (!json_is_number(v)) {
        key_error(obj, key, ctx, map, err, "expected a number", v);
        return -1;
    }
    if (json_number_value(v) < min || json_number_value(v) > max) {
        tu_error_at(err, tu_srcmap_member(map, obj, key),
                    "%s.%s: %g is out of range (%g to %g)", ctx, key,
                    json_number_value(v), min, max);
        return -1;
    }
    *out = json_number_value(v);
    return 1;
}

int tu_schema_bool(const json_t *obj, const char *key, const tu_srcmap *map,
                   const char *ctx, int *out, tu_error *err)
{
    json_t *v;
    int rc = lookup(obj, key, 0, map, ctx, &v, err);
    if (rc <= 0)
        return rc;
    if (!json_is_boolean(v)) {
        key_error(obj, key, ctx, map, err, "expected true or false", v);
        return -1;
    }
    *out = json_is_true(v);
    return 1;
}

int tu_schema_object(const json_t *obj, const char *key, int required,
                     const tu_srcmap *map, const char *ctx,
                     const json_t **out, tu_error *err)
{
    json_t *v;
    int rc = lookup(obj, key, required, map, ctx, &v, err);
    if (rc <= 0)
        return rc;
    if (!json_is_object(v)) {
        key_error(obj, key, ctx, map, err, "expected a mapping", v);
        return -1;
    }
    *out = v;
    return 1;
}

int tu_schema_enum(const json_t *obj, const char *key,
                   const char *const *choices, const tu_srcmap *map,
                   const char *ctx, int *index, tu_error *err)
{
    const char *s = NULL;
    const char *hint;
    char list[256] = "";
    int rc = tu_schema_string(obj, key, 0, map, ctx, &s, err);

    if (rc <= 0)
        return rc;
    for (int i = 0; choices[i]; i++) {
        if (strcmp(choices[i], s) == 0) {
            *index = i;
            return 1;
        }
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, choices[i], sizeof list - strlen(list) - 1);
    }
    hint = tu_suggest(s, choices);
    tu_error_at(err, tu_srcmap_member(map, obj, key),
                "%s.%s: '%s' is not one of: %s%s%s%s", ctx, key, s, list,
                hint ? " (did you mean '" : "", hint ? hint : "",
                hint ? "'?)" : "");
    return -1;
}

static int string_list_item(const json_t *item, const json_t *obj,
                            const char *key, const tu_srcmap *map,
                            const char *ctx, tu_error *err)
{
    if (json_is_string(item) && json_string_length(item) > 0)
        return 0;
    key_error(obj, key, ctx, map, err, "expected a list of non-empty strings",
              item);
    return -1;
}

int tu_schema_string_list(const json_t *obj, const char *key, int required,
                          const tu_srcmap *map, const char *ctx,
                          const char ***out, size_t *count, tu_error *err)
{
    json_t *v;
    size_t n;
    const char **list;
    int rc = lookup(obj, key, required, map, ctx, &v, err);

    if (rc <= 0)
        return rc;
    if (json_is_string(v)) {
        if (string_list_item(v, obj, key, map, ctx, err) != 0)
            return -1;
        n = 1;
    } else if (json_is_array(v)) {
        n = json_array_size(v);
    } else {
        key_error(obj, key, ctx, map, err, "expected a list of strings", v);
        return -1;
    }
    list = calloc(n + 1, sizeof *list);
    if (!list) {
        tu_error_set(err, TU_ERR_NOMEM, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_is_array(v) ? json_array_get(v, i) : v;
        if (string_list_item(item, obj, key, map, ctx, err) != 0) {
            free(list);
            return -1;
        }
        list[i] = json_string_value(item);
    }
    *out = list;
    *count = n;
    return 1;
}

int tu_schema_each_string(const json_t *value, tu_srcpos pos,
                          const tu_srcmap *map, tu_schema_string_fn fn,
                          void *data)
{
    const char *key;
    json_t *item;
    size_t i;

    if (json_is_string(value))
        return fn(json_string_value(value), pos, data);
    json_object_foreach((json_t *)value, key, item) {
        if (tu_schema_each_string(item, tu_srcmap_member(map, value, key),
                                  map, fn, data) != 0)
            return -1;
    }
    json_array_foreach(value, i, item) {
        if (tu_schema_each_string(item, tu_srcmap_get(map, value), map, fn,
                                  data) != 0)
            return -1;
    }
    return 0;
}
