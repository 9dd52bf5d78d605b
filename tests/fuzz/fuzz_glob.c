/* fuzz_glob.c -- the DNS name pattern parser and matcher (state/glob.c).
 *
 * The input is split at its first NUL (or first newline when it has no
 * NUL) into a pattern and a name. The pattern either compiles or is
 * refused with a reason and an offset inside it; a compiled pattern
 * matches the name or not (0 or 1, never more), matches itself when it
 * holds no wildcard nor escape, and `**` matches any name at all.
 */
#include "fuzz_target.h"
#include "state/glob.h"

#include <string.h>

static int plain(const char *s)
{
    return strpbrk(s, "*?[\\") == NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *cut = memchr(data, '\0', size), *why;
    size_t plen, at;
    char *pattern;
    tu_glob *g;

    if (!cut)
        cut = memchr(data, '\n', size);
    plen = cut ? (size_t)(cut - (const char *)data) : size;
    if (!(pattern = malloc(plen + 1)))
        return 0;
    memcpy(pattern, data, plen);
    pattern[plen] = '\0';
    g = tu_glob_compile(pattern, &why, &at);
    if (!g) {
        FUZZ_CHECK(why && *why);
        FUZZ_CHECK(at <= plen);
    } else {
        const char *name = cut ? cut + 1 : "";
        size_t nlen = cut ? size - plen - 1 : 0;
        int ok = tu_glob_match(g, name, nlen);
        FUZZ_CHECK(ok == 0 || ok == 1);
        if (plain(pattern) && strlen(pattern) == plen)
            FUZZ_CHECK(tu_glob_match(g, pattern, plen));
        tu_glob_free(g);
    }
    g = tu_glob_compile("**", &why, &at);
    FUZZ_CHECK(g != NULL);
    FUZZ_CHECK(tu_glob_match(g, (const char *)data, size) == 1);
    tu_glob_free(g);
    free(pattern);
    return 0;
}
