/* answer.h -- what any answer of an API says beyond its HTTP status.
 *
 * state/ does no network I/O: the engine hands answers' bodies (and the
 * Location header) here. An answer may be empty (a 204, or nothing but
 * white space); a 2xx answer may still be a failure by a success rule
 * (Porkbun answers 200 {"status": "ERROR", "message": "..."}); a create's
 * answer names the new record's id at a dotted path, in its own id field,
 * or in the Location header.
 */
#ifndef TU_STATE_ANSWER_H
#define TU_STATE_ANSWER_H

#include <stddef.h>
#include <jansson.h>

/* What every 2xx answer must hold to be a success (target.resource.success):
 * the value at `path` equals `equals`; the server's message is at
 * `message`. Borrowed from the target's configuration. */
typedef struct tu_success_rule {
    const char *path;       /* NULL: no rule, every 2xx is a success */
    const json_t *equals;
    const char *message;    /* NULL: none */
} tu_success_rule;

/* What a provider says about its API's answers (provider.h's `answers`). */
typedef struct tu_answer_rules {
    tu_success_rule success;
    const char *id_path;    /* create: the new id's dotted path; NULL: none */
    const char *id_field;   /* the records' id field; NULL: no new ids */
} tu_answer_rules;

/* Does a 2xx answer (`status`) pass `rule`? 1 when it does (no rule, or
 * an empty answer: it holds no status to check); 0 when not, with `why`
 * set to "the server answered 200 but status is \"ERROR\": MESSAGE" (the
 * server's message, cut to 300 bytes, when the rule names one). */
int tu_answer_check(const tu_success_rule *rule, long status,
                    const char *body, size_t len, char *why, size_t size);

/* The id of the record a create's answer made, as text: at `id_path` when
 * set; else the answer's own `id_field` when the answer is an object; else
 * the last segment of the `location` header (NULL: none). A malloc'd
 * string, or NULL when the answer says none. A value that is not a string
 * or a number, or is "", is no id. */
char *tu_answer_new_id(const char *body, size_t len, const char *id_path,
                       const char *id_field, const char *location);

#endif
