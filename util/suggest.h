/* suggest.h -- "did you mean ...?": the known word closest to a typo.
 *
 * The one suggester of the project: unknown keys and values in desired-
 * state files (state/schema.c), the Ansible module's unknown arguments
 * (modules/module_args.c), so that a typo gets the same hint in a file and
 * in a task. Part of trueup-util, which front ends may link.
 */
#ifndef TU_UTIL_SUGGEST_H
#define TU_UTIL_SUGGEST_H

/* The candidate closest to `word`, if close enough to be a plausible
 * typo; NULL otherwise. `candidates` ends with NULL; the first of equally
 * close ones wins. Closeness is the optimal string alignment distance
 * (insert, delete, substitute, or swap two neighbours: one edit each),
 * ignoring ASCII case, and a typo is at most len/3 + 1 edits, and never
 * more than 3 ("tll" -> "ttl", "prnue" -> "prune", "retrys" -> "retries";
 * "retry" suggests nothing). Words of 64 bytes or more match nothing.
 * Threads: any thread. */
const char *tu_suggest(const char *word, const char *const *candidates);

#endif
