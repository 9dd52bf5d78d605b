/* suggest.c -- the closest known word to a typo (see suggest.h).
 *
 * The distance is computed with the usual dynamic programme over three
 * rows (the row before last is needed for a swap of two neighbours), on
 * the stack: both words are shorter than SUGGEST_MAX.
 */
#include "suggest.h"

#include <ctype.h>
#include <string.h>

#define SUGGEST_MAX 64

static int same(char a, char b)
{
    return tolower((unsigned char)a) == tolower((unsigned char)b);
}

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

/* Optimal string alignment distance; (size_t)-1 for words too long. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t rows[3][SUGGEST_MAX + 1], *before = rows[0], *prev = rows[1],
           *cur = rows[2];

    if (la >= SUGGEST_MAX || lb >= SUGGEST_MAX)
        return (size_t)-1;
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t *t;
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = !same(a[i - 1], b[j - 1]);
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) &&
                same(a[i - 2], b[j - 1]) && before[j - 2] + 1 < cur[j])
                cur[j] = before[j - 2] + 1;
        }
        t = before;
        before = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

const char *tu_suggest(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    size_t best_distance = (size_t)-1;
    size_t limit = strlen(word) / 3 + 1;

    if (limit > 3)
        limit = 3;
    for (; *candidates; candidates++) {
        size_t d = distance(word, *candidates);
        if (d < best_distance) {
            best = *candidates;
            best_distance = d;
        }
    }
    return best_distance <= limit ? best : NULL;
}
