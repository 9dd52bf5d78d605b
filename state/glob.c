/* glob.c -- DNS name patterns, label by label (see glob.h).
 *
 * A pattern is compiled once into its labels: `**` (any number of labels)
 * or a shell pattern of one label, lower-cased, its U-labels made A-labels.
 * A name is split the same way, its escapes undone (`\.` is a dot inside a
 * label), and the two label lists are matched by dynamic programming over
 * (pattern label, name label), so `**.**.a` against a long name costs the
 * product of their label counts, never more. One label is matched by
 * fnmatch(3), which reads the pattern's own escapes.
 */
#include "glob.h"

#include <ctype.h>
#include <fnmatch.h>
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

struct tu_glob {
    size_t n;
    char **labels;        /* owned; NULL for a `**` label */
};

/* The labels of `s` (`len` bytes), split at unescaped dots, one trailing
 * dot dropped ("." and "" have none): their count, with *bounds (malloc'd)
 * holding each one's start and end offsets, or (size_t)-1 when out of
 * memory. */
static size_t split_labels(const char *s, size_t len, size_t **bounds)
{
    size_t n = 0, from = 0, cap = 8;
    size_t *b = malloc(2 * cap * sizeof *b);

    if (!(*bounds = b))
        return (size_t)-1;
    if (len == 0 || (len == 1 && s[0] == '.'))
        return 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] == '\\') {
            i += i + 1 < len;
            continue;
        }
        if (i < len && s[i] != '.')
            continue;
        if (i == len && from == len)
            break;                       /* after the trailing dot */
        if (n == cap) {
            if (!(b = realloc(*bounds, 4 * cap * sizeof *b)))
                return (size_t)-1;
            *bounds = b;
            cap *= 2;
        }
        b[2 * n] = from;
        b[2 * n + 1] = i;
        n++;
        from = i + 1;
    }
    return n;
}

static int ascii_only(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] >= 0x80)
            return 0;
    }
    return 1;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* `s` (`len` bytes) as a NUL-ended, lower-cased label, a U-label made its
 * A-label; with `strict`, a label libidn2 refuses is NULL with *why set,
 * else it is kept as written. NULL with *why "out of memory" too. */
static char *label_text(const char *s, size_t len, int strict,
                        const char **why)
{
    char *text = malloc(len + 1), *idn = NULL;
    int rc;

    *why = "out of memory";
    if (!text)
        return NULL;
    memcpy(text, s, len);
    text[len] = '\0';
    if (!ascii_only(s, len)) {
        rc = idn2_to_ascii_8z(text, &idn, IDN2_NFC_INPUT |
                                          IDN2_NONTRANSITIONAL);
        if (rc == IDN2_OK) {
            free(text);
            text = strdup(idn);
            idn2_free(idn);
            if (!text)
                return NULL;
        } else if (strict) {
            *why = idn2_strerror(rc);
            free(text);
            return NULL;
        }
    }
    lower(text);
    return text;
}

/* Why the pattern label s[0..len) cannot be compiled (at offset *at into
 * it), or NULL. */
static const char *label_problem(const char *s, size_t len, size_t *at)
{
    int wild = 0;

    for (size_t i = 0; i < len; i++) {
        *at = i;
        if (s[i] == '\\' && i + 1 == len)
            return "a backslash at the end escapes nothing (write \\\\ for "
                   "a backslash)";
        if (s[i] == '\\') {
            i++;
        } else if (s[i] == '*' && i + 1 < len && s[i + 1] == '*') {
            return "** stands for whole labels only (write **.example.net. "
                   "for any number of labels, * for part of one label)";
        } else if (s[i] == '[') {
            size_t j = i + 1;
            j += j < len && (s[j] == '!' || s[j] == '^');
            j += j < len && s[j] == ']';
            while (j < len && s[j] != ']')
                j++;
            if (j == len)
                return "a [ opens a character class that no ] closes (write "
                       "\\[ for a bracket)";
            wild = 1;
            i = j;
        } else {
            wild |= s[i] == '*' || s[i] == '?';
        }
    }
    *at = 0;
    if (wild && !ascii_only(s, len))
        return "a label holding a wildcard must be ASCII: write its A-label "
               "(xn--...), or the whole label without a wildcard";
    return NULL;
}

void tu_glob_free(tu_glob *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++)
        free(g->labels[i]);
    free(g->labels);
    free(g);
}

/* One pattern label into g->labels[i]: 0, or -1 with *why and *at set. */
static int compile_label(tu_glob *g, size_t i, const char *s, size_t len,
                         const char **why, size_t *at)
{
    if (len == 0) {
        *at = 0;
        *why = "an empty label (two dots in a row, or a leading dot)";
        return -1;
    }
    if (len == 2 && s[0] == '*' && s[1] == '*') {
        g->labels[i] = NULL;
        return 0;
    }
    if ((*why = label_problem(s, len, at)) != NULL)
        return -1;
    *at = 0;
    return (g->labels[i] = label_text(s, len, 1, why)) ? 0 : -1;
}

tu_glob *tu_glob_compile(const char *pattern, const char **why, size_t *at)
{
    size_t len = strlen(pattern), *b = NULL, n;
    tu_glob *g;

    *at = 0;
    *why = "an empty pattern matches nothing (write ** for any name)";
    if (len == 0)
        return NULL;
    *why = "out of memory";
    if ((n = split_labels(pattern, len, &b)) == (size_t)-1) {
        free(b);
        return NULL;
    }
    g = calloc(1, sizeof *g);
    if (!g || (n && !(g->labels = calloc(n, sizeof *g->labels)))) {
        free(b);
        free(g);
        return NULL;
    }
    for (size_t i = 0; i < n; i++, g->n++) {
        if (compile_label(g, i, pattern + b[2 * i], b[2 * i + 1] - b[2 * i],
                          why, at) != 0) {
            *at += b[2 * i];
            free(b);
            tu_glob_free(g);
            return NULL;
        }
    }
    free(b);
    return g;
}

/* A name's label s[0..len) as it is compared: its escapes undone (`\.` a
 * dot, `\DDD` kept as written), then as label_text makes it. */
static char *name_label(const char *s, size_t len)
{
    char *raw = malloc(len + 1), *out;
    const char *why;
    size_t n = 0;

    if (!raw)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\' && i + 1 < len && !isdigit((unsigned char)s[i + 1]))
            i++;
        raw[n++] = s[i];
    }
    out = label_text(raw, n, 0, &why);
    free(raw);
    return out;
}

/* The dynamic programme: can the pattern's labels match the name's? `row`
 * has room for nn + 1 flags. */
static int match_labels(const tu_glob *g, char **names, size_t nn,
                        unsigned char *row)
{
    memset(row, 0, nn + 1);
    row[0] = 1;
    for (size_t i = 0; i < g->n; i++) {
        if (!g->labels[i]) {            /* **: any run of labels */
            for (size_t j = 1; j <= nn; j++)
                row[j] |= row[j - 1];
            continue;
        }
        for (size_t j = nn; j > 0; j--)
            row[j] = row[j - 1] &&
                     fnmatch(g->labels[i], names[j - 1], 0) == 0;
        row[0] = 0;
    }
    return row[nn];
}

int tu_glob_match(const tu_glob *g, const char *name, size_t len)
{
    size_t *b = NULL, n = split_labels(name, len, &b), made = 0;
    char **names = NULL;
    unsigned char *row = NULL;
    int ok = 0;

    if (n != (size_t)-1 && (names = calloc(n + 1, sizeof *names)) &&
        (row = malloc(n + 1))) {
        for (; made < n; made++) {
            if (!(names[made] = name_label(name + b[2 * made],
                                           b[2 * made + 1] - b[2 * made])))
                break;
        }
        ok = made == n && match_labels(g, names, n, row);
    }
    for (size_t i = 0; i < made; i++)
        free(names[i]);
    free(names);
    free(row);
    free(b);
    return ok;
}
