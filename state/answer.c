/* answer.c -- what an answer says beyond its status (see answer.h).
 *
 * The success rule compares by value, and a string and a number with the
 * same text are equal: SOLIDserver writes every number as a string
 * ("errno": "0"), and a desired-state file's `equals: 0` means it. The new
 * id's Location is read as a URL path: its query and fragment are cut off
 * and a trailing slash ignored, so ".../records/42/?x=1" names "42".
 */
#include "answer.h"
#include "listpage.h"
#include "util/json_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TU_ANSWER_MESSAGE_MAX 300  /* bytes of the server's message kept */

/* A string or a number: an id's or a status's text may be either. */
static int is_text_like(const json_t *v)
{
    return json_is_string(v) || json_is_number(v);
}

/* Equal by value, or a string and a number of the same text. */
static int same_value(const json_t *got, const json_t *want)
{
    char *a, *b;
    int same;

    if (tu_json_equal(got, want))
        return 1;
    if (!is_text_like(got) || !is_text_like(want) ||
        json_typeof(got) == json_typeof(want))
        return 0;
    a = tu_json_text(got);
    b = tu_json_text(want);
    same = a && b && strcmp(a, b) == 0;
    free(a);
    free(b);
    return same;
}

/* ": MESSAGE" from the answer (a string as it is, another value as JSON),
 * or "" when the rule names none or the answer holds none. Malloc'd. */
static char *message_of(const tu_success_rule *rule, const json_t *root)
{
    const json_t *v = rule->message ? tu_json_path(root, rule->message)
                                    : NULL;
    char *text = v && !json_is_null(v) ? tu_json_text(v) : NULL;
    char *ex = text ? tu_excerpt(text, strlen(text), TU_ANSWER_MESSAGE_MAX)
                    : NULL;
    char *out = malloc(ex ? strlen(ex) + 3 : 1);

    if (out)
        snprintf(out, ex ? strlen(ex) + 3 : 1, "%s%s", ex ? ": " : "",
                 ex ? ex : "");
    free(text);
    free(ex);
    return out;
}

int tu_answer_check(const tu_success_rule *rule, long status,
                    const char *body, size_t len, char *why, size_t size)
{
    json_t *root;
    const json_t *v;
    char *got, *msg;

    if (!rule || !rule->path || tu_body_is_empty(body, len))
        return 1;
    root = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    v = root ? tu_json_path(root, rule->path) : NULL;
    if (v && same_value(v, rule->equals)) {
        json_decref(root);
        return 1;
    }
    got = v ? tu_json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    msg = message_of(rule, root);
    if (!root)
        snprintf(why, size, "the server answered %ld but not in JSON, so "
                 "%s cannot be read", status, rule->path);
    else if (!v)
        snprintf(why, size, "the server answered %ld but has no %s%s",
                 status, rule->path, msg ? msg : "");
    else
        snprintf(why, size, "the server answered %ld but %s is %s%s",
                 status, rule->path, got ? got : "?", msg ? msg : "");
    free(got);
    free(msg);
    json_decref(root);
    return 0;
}

/* The last segment of a Location's path ("https://h/records/42/?a=b" ->
 * "42"), or NULL when it has none. Malloc'd. */
static char *location_id(const char *location)
{
    const char *path = location, *authority;
    size_t end, start;

    if (!location)
        return NULL;
    authority = strstr(location, "://");
    if (authority)  /* an absolute URL: its path starts after the host */
        path = authority + 3 + strcspn(authority + 3, "/?#");
    end = strcspn(path, "?#");
    while (end > 0 && path[end - 1] == '/')
        end--;
    start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    return start < end ? strndup(path + start, end - start) : NULL;
}

char *tu_answer_new_id(const char *body, size_t len, const char *id_path,
                       const char *id_field, const char *location)
{
    json_t *root = NULL;
    const json_t *v = NULL;
    char *id = NULL;

    if (!tu_body_is_empty(body, len))
        root = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (id_path && *id_path)
        v = tu_json_path(root, id_path);
    else if (json_is_object(root) && id_field)
        v = json_object_get(root, id_field);
    if (is_text_like(v))
        id = tu_json_text(v);
    json_decref(root);
    if (id && !*id) {  /* "" names no record */
        free(id);
        id = NULL;
    }
    return id ? id : location_id(location);
}
