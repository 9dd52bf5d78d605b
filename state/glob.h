/* glob.h -- DNS name patterns, label by label, as DNSControl's IGNORE()
 * writes them (gobwas/glob with '.' as the separator):
 *
 *   *.example.net.     one label, then example.net. (not a.b.example.net.)
 *   **.example.net.    any number of labels, none included, then
 *                      example.net. (so example.net. itself matches)
 *   mx?.example.net.   ? is one character of a label, [a-c] [!a-c] a class
 *   a\.b.example.      a backslash makes the next character literal: here a
 *                      label holding a dot, as DNS presentation writes it
 *   .                  the root (no label at all)
 *
 * A trailing dot is optional on both sides (names compare as absolute).
 * Letters compare without ASCII case. A label of non-ASCII letters (a
 * U-label, "ümlaut") is turned into its A-label ("xn--mlaut-jva") with
 * libidn2 (IDNA 2008, UTS #46 non-transitional), in the pattern when it is
 * compiled and in the name when it is matched, so either form matches the
 * other. `**` stands only for whole labels; a label holding a wildcard must
 * be ASCII. Used by the match rules (state/rules.c) through `{glob: P}`.
 */
#ifndef TU_STATE_GLOB_H
#define TU_STATE_GLOB_H

#include <stddef.h>

typedef struct tu_glob tu_glob;

/* Compile `pattern` (NUL-ended). A new glob, or NULL with *why (static
 * text) and *at (the 0-based byte offset the problem is at) set; *why is
 * "out of memory" when that is the reason. */
tu_glob *tu_glob_compile(const char *pattern, const char **why, size_t *at);

/* 1 when the name `name` (`len` bytes) matches, else 0 (also when out of
 * memory, which matches nothing). */
int tu_glob_match(const tu_glob *glob, const char *name, size_t len);

void tu_glob_free(tu_glob *glob);

#endif
