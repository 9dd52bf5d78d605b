/* rules_items.c -- selectors of single items and {glob} values (see
 * rules_items.h). A glob is compiled where it is used: rules are few, and
 * a compile is a few small allocations.
 */
#include "rules_items.h"
#include "error.h"
#include "glob.h"
#include "util/json_util.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

int tu_selector_is_glob(const json_t *v)
{
    return json_is_object(v) && json_object_size(v) == 1 &&
           json_is_string(json_object_get(v, "glob"));
}

/* The last blank-separated word of `s` (`s` itself when it has none). */
static const char *last_word(const char *s, size_t *len)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    *len = n;
    for (size_t i = n; i > 0; i--) {
        if (s[i - 1] == ' ' || s[i - 1] == '\t') {
            *len = n - i;
            return s + i;
        }
    }
    return s;
}

static int glob_string(const tu_glob *g, const char *s)
{
    size_t len;
    const char *word = last_word(s, &len);
    return tu_glob_match(g, s, strlen(s)) ||
           (word != s && tu_glob_match(g, word, len));
}

int tu_selector_glob_matches(const json_t *glob, const json_t *have)
{
    const char *why;
    size_t at, i;
    const json_t *item;
    tu_glob *g = tu_glob_compile(json_string_value(json_object_get(glob,
                                                                   "glob")),
                                 &why, &at);
    int ok = 0;

    if (!g)
        return 0;     /* refused at load (tu_selector_check), or no memory */
    if (json_is_string(have))
        ok = glob_string(g, json_string_value(have));
    json_array_foreach(have, i, item) {
        if (!ok && json_is_string(item))
            ok = glob_string(g, json_string_value(item));
    }
    tu_glob_free(g);
    return ok;
}

int tu_selector_selects(const json_t *sel, const json_t *item)
{
    const char *pattern = json_string_value(sel);
    size_t i;
    const json_t *one;

    if (json_is_array(sel)) {
        json_array_foreach(sel, i, one) {
            if (tu_selector_selects(one, item))
                return 1;
        }
        return 0;
    }
    if (tu_selector_is_glob(sel))
        return json_is_string(item) && tu_selector_glob_matches(sel, item);
    if (pattern && strpbrk(pattern, "*?[") && json_is_string(item))
        return fnmatch(pattern, json_string_value(item), 0) == 0;
    return tu_json_equal(sel, item);
}

int tu_selector_check(const json_t *value, const tu_srcmap *map,
                      tu_srcpos pos, const char *where, tu_error *err)
{
    const char *why, *pattern;
    size_t at, i;
    const json_t *one;
    tu_glob *g;

    json_array_foreach(value, i, one) {
        if (tu_selector_check(one, map, pos, where, err) != 0)
            return -1;
    }
    if (!tu_selector_is_glob(value))
        return 0;
    pattern = json_string_value(json_object_get(value, "glob"));
    if ((g = tu_glob_compile(pattern, &why, &at)) != NULL) {
        tu_glob_free(g);
        return 0;
    }
    if (tu_srcmap_get(map, value).file)
        pos = tu_srcmap_member(map, value, "glob");
    tu_error_at(err, pos, "%s: glob '%s': %s (at byte %zu of the pattern)",
                where, pattern, why, at + 1);
    return -1;
}

/* One selector of `items`: a value, {glob}, or a non-empty list of
 * those. */
static int check_selector(const json_t *sel, const tu_srcmap *map,
                          tu_srcpos pos, const char *where, tu_error *err)
{
    size_t i;
    const json_t *one;

    if (json_is_array(sel) && json_array_size(sel) == 0) {
        tu_error_at(err, pos, "%s: an empty list selects no item; name the "
                    "items, or a {glob: PATTERN}", where);
        return -1;
    }
    json_array_foreach(sel, i, one) {
        if (json_is_array(one) || (json_is_object(one) &&
                                   !tu_selector_is_glob(one))) {
            tu_error_at(err, pos, "%s: item %zu is a %s; an item selector "
                        "is a value or {glob: PATTERN}", where, i,
                        tu_json_type_name(one));
            return -1;
        }
    }
    if (json_is_object(sel) && !tu_selector_is_glob(sel)) {
        tu_error_at(err, pos, "%s: a mapping here must be {glob: PATTERN} "
                    "(one key, a string); to select items by value, write "
                    "the value", where);
        return -1;
    }
    return tu_selector_check(sel, map, pos, where, err);
}

int tu_rule_items_check(const json_t *items, const tu_srcmap *map,
                        tu_srcpos pos, const char *where, tu_error *err)
{
    if (!json_is_object(items) || json_object_size(items) == 0) {
        tu_error_at(err, pos, "%s.items: expected a mapping of a list field "
                    "to the items it selects (items: {records: "
                    "192.0.2.1}), got %s", where,
                    json_object_size(items) == 0 && json_is_object(items)
                        ? "an empty mapping" : tu_json_type_name(items));
        return -1;
    }
    return tu_rule_values_check(items, "items", 1, map, pos, where, err);
}

int tu_rule_values_check(const json_t *obj, const char *part, int items,
                         const tu_srcmap *map, tu_srcpos pos,
                         const char *where, tu_error *err)
{
    const char *field;
    const json_t *sel;
    char at[256];

    json_object_foreach((json_t *)obj, field, sel) {
        tu_srcpos p = tu_srcmap_member(map, obj, field);
        snprintf(at, sizeof at, "%s.%s.%.100s", where, part, field);
        p = p.file ? p : pos;
        if ((items ? check_selector(sel, map, p, at, err)
                   : tu_selector_check(sel, map, p, at, err)) != 0)
            return -1;
    }
    return 0;
}
