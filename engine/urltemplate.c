/* urltemplate.c -- filling URL templates from records (see urltemplate.h).
 *
 * A placeholder the record cannot fill (missing, null, a container, an
 * empty string, or a '{' never closed) stops the expansion: a request to
 * the wrong URL is worse than a failed record.
 * Expansion runs in two passes over the template: the first measures the
 * encoded length, the second writes, so each expansion is one allocation.
 */
#include "urltemplate.h"
#include "state/json_util.h"

#include <stdlib.h>
#include <string.h>

const char *tu_url_template_check(const char *tmpl)
{
    for (const char *p = tmpl; *p; p++) {
        if (*p == '}')
            return "a '}' without its '{'";
        if (*p != '{')
            continue;
        if (p[1] == '}')
            return "an empty placeholder '{}'";
        p = strpbrk(p + 1, "{}");
        if (!p || *p != '}')
            return "a '{' without its '}'";
    }
    return NULL;
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

/* "." and ".." are dot-segments that servers (and libcurl) resolve away:
 * "/records/.." would become "/". Such values have every dot encoded. */
static int dot_segment(const char *s, size_t len)
{
    return (len == 1 && s[0] == '.') ||
           (len == 2 && s[0] == '.' && s[1] == '.');
}

static size_t encode_into(char *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    int dots = dot_segment(s, len);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) && !dots) {
            if (out)
                out[o] = (char)c;
            o++;
        } else {
            if (out) {
                out[o] = '%';
                out[o + 1] = hex[c >> 4];
                out[o + 2] = hex[c & 15];
            }
            o += 3;
        }
    }
    return o;
}

char *tu_percent_encode(const char *s, size_t len)
{
    char *out = malloc(encode_into(NULL, s, len) + 1);
    if (out)
        out[encode_into(out, s, len)] = '\0';
    return out;
}

/* The text of placeholder name[0..n) for this record, malloc'd, or NULL. */
static char *placeholder_text(const char *name, size_t n, const json_t *fields,
                              const char *id_field)
{
    const json_t *v;
    if (id_field && n == 2 && memcmp(name, "id", 2) == 0)
        v = json_object_get(fields, id_field);
    else
        v = json_object_getn(fields, name, n);
    if (!v || json_is_object(v) || json_is_array(v) || json_is_null(v) ||
        (json_is_string(v) && json_string_length(v) == 0))
        return NULL; /* an empty value would name the collection */
    return tu_json_text(v);
}

/* One pass: returns the length; writes into out when it is not NULL. */
static size_t expand_pass(char *out, const char *tmpl, const json_t *fields,
                          const char *id_field, const char **missing)
{
    size_t o = 0;
    const char *p = tmpl;

    while (*p) {
        const char *close;
        char *text;
        if (*p != '{') {
            if (out)
                out[o] = *p;
            o++, p++;
            continue;
        }
        close = strchr(p, '}');
        text = close ? placeholder_text(p + 1, (size_t)(close - p - 1), fields,
                                        id_field) : NULL;
        if (!text) {
            *missing = p;
            return 0;
        }
        o += encode_into(out ? out + o : NULL, text, strlen(text));
        free(text);
        p = close + 1;
    }
    return o;
}

char *tu_url_expand(const char *tmpl, const json_t *fields,
                    const char *id_field, const char **missing)
{
    size_t len;
    char *out;

    *missing = NULL;
    len = expand_pass(NULL, tmpl, fields, id_field, missing);
    if (*missing)
        return NULL;
    out = malloc(len + 1);
    if (!out)
        return NULL;
    expand_pass(out, tmpl, fields, id_field, missing);
    out[len] = '\0';
    return out;
}
