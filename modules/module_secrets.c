/* module_secrets.c -- secret values: collected, scrubbed, censored.
 *
 * Ansible masks nothing in a binary module's output: the module itself must
 * keep tokens out of msg, results and diff. The library already scrubs the
 * texts it writes (error messages, server answers) of the secrets it read;
 * this file is the module's own net over everything it prints, since it
 * cannot ask the library which values those were.
 *
 * Where secrets come from:
 *   - an inline target: every `*_env` key names an environment variable
 *     whose value is secret (the task's `environment:` sets it); Basic auth
 *     also sends base64(username:password); a header whose name looks
 *     sensitive (Authorization, X-API-Key, ...) carries a secret value;
 *   - src files: their text is scanned for `*_env: NAME`;
 *   - the environment: variables named like API_TOKEN or DB_PASSWORD.
 *
 * Values shorter than 4 bytes are not secrets here (as in the library):
 * they would match too much ordinary text. Inside text a secret becomes
 * "***"; in invocation.module_args a value holding one becomes
 * VALUE_SPECIFIED_IN_NO_LOG_PARAMETER, as Ansible's own modules show it.
 */
#include "module.h"
#include "util/base64.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MIN_SECRET 4
#define MIN_GUESSED_SECRET 8

void tu_mod_secrets_init(tu_mod_secrets *s)
{
    memset(s, 0, sizeof *s);
}

void tu_mod_secrets_free(tu_mod_secrets *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->values[i]);
    free(s->values);
    memset(s, 0, sizeof *s);
}

/* Kept longest first, so that "Basic QWxh..." is replaced before a part of
 * it is. */
int tu_mod_secrets_add(tu_mod_secrets *s, const char *value)
{
    size_t n = value ? strlen(value) : 0, at;
    char **grown, *copy;

    if (n < MIN_SECRET)
        return 0;
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->values[i], value) == 0)
            return 0;
    grown = realloc(s->values, (s->count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    s->values = grown;
    if (!(copy = strdup(value)))
        return -1;
    for (at = 0; at < s->count && strlen(s->values[at]) >= n; at++)
        ;
    memmove(&s->values[at + 1], &s->values[at],
            (s->count - at) * sizeof *s->values);
    s->values[at] = copy;
    s->count++;
    return 0;
}

/* Case-insensitive strstr. */
static int contains_word(const char *hay, const char *word)
{
    size_t n = strlen(word);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == (unsigned char)word[i])
            i++;
        if (i == n)
            return 1;
    }
    return 0;
}

int tu_mod_sensitive_name(const char *name)
{
    static const char *const words[] = {
        "auth", "token", "secret", "passw", "passphrase", "cookie", "key",
        "credential", "session", "signature",
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (contains_word(name, words[i]))
            return 1;
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int add_env(tu_mod_secrets *s, const char *var)
{
    return tu_mod_secrets_add(s, getenv(var));
}

/* Basic auth: the header carries base64(username:password). */
static int add_basic(tu_mod_secrets *s, const json_t *auth)
{
    const char *user = json_string_value(json_object_get(auth, "username"));
    const char *var = json_string_value(json_object_get(auth, "password_env"));
    const char *pass = var ? getenv(var) : NULL;
    char *pair, *enc;
    size_t len;
    int rc;

    if (!user || !pass)
        return 0;
    len = strlen(user) + strlen(pass) + 2;
    if (!(pair = malloc(len)))
        return -1;
    snprintf(pair, len, "%s:%s", user, pass);
    enc = tu_base64(pair, strlen(pair));
    free(pair);
    if (!enc)
        return -1;
    rc = tu_mod_secrets_add(s, enc);
    free(enc);
    return rc;
}

/* Every `*_env: NAME` at any depth. */
static int walk_env_keys(tu_mod_secrets *s, const json_t *v, int depth)
{
    const char *key;
    json_t *item;
    size_t i;

    if (depth > 64)
        return 0;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, item) {
            if (ends_with(key, "_env") && json_is_string(item)) {
                if (add_env(s, json_string_value(item)) != 0)
                    return -1;
            } else if (walk_env_keys(s, item, depth + 1) != 0) {
                return -1;
            }
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, item)
            if (walk_env_keys(s, item, depth + 1) != 0)
                return -1;
    }
    return 0;
}

int tu_mod_secrets_from_target(tu_mod_secrets *s, const json_t *target)
{
    const json_t *auth, *headers;
    const char *name;
    json_t *value;

    if (!json_is_object(target))
        return 0;
    if (walk_env_keys(s, target, 0) != 0)
        return -1;
    auth = json_object_get(target, "auth");
    if (json_is_object(auth) && add_basic(s, auth) != 0)
        return -1;
    headers = json_object_get(target, "headers");
    if (json_is_object(headers)) {
        json_object_foreach((json_t *)headers, name, value) {
            if (json_is_string(value) && tu_mod_sensitive_name(name) &&
                tu_mod_secrets_add(s, json_string_value(value)) != 0)
                return -1;
        }
    }
    return 0;
}

static int ident_char(int c)
{
    return isalnum(c) || c == '_';
}

/* In one line of YAML, every `KEY_env: NAME` (quotes allowed around both,
 * block or flow style). */
static int scan_line(tu_mod_secrets *s, const char *line)
{
    const char *p = line;
    char var[256];

    while ((p = strstr(p, "_env")) != NULL) {
        const char *q = p + 4;
        size_t n = 0;
        int keyed = p > line && ident_char((unsigned char)p[-1]);
        p = q;
        if (!keyed || ident_char((unsigned char)*q))
            continue;
        if (*q == '"' || *q == '\'')
            q++;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q++ != ':')
            continue;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q == '"' || *q == '\'')
            q++;
        while (ident_char((unsigned char)q[n]) && n + 1 < sizeof var) {
            var[n] = q[n];
            n++;
        }
        var[n] = '\0';
        if (n && !isdigit((unsigned char)var[0]) && add_env(s, var) != 0)
            return -1;
    }
    return 0;
}

int tu_mod_secrets_from_file(tu_mod_secrets *s, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;

    if (!f)
        return 0;   /* the library says why it cannot read it */
    while (rc == 0 && getline(&line, &cap, f) != -1)
        rc = scan_line(s, line);
    free(line);
    fclose(f);
    return rc;
}

int tu_mod_secrets_from_environ(tu_mod_secrets *s, char *const *envp)
{
    char name[256];

    for (size_t i = 0; envp && envp[i]; i++) {
        const char *eq = strchr(envp[i], '=');
        size_t n = eq ? (size_t)(eq - envp[i]) : 0;
        if (!eq || n >= sizeof name)
            continue;
        memcpy(name, envp[i], n);
        name[n] = '\0';
        if (tu_mod_sensitive_name(name) &&
            strlen(eq + 1) >= MIN_GUESSED_SECRET &&
            tu_mod_secrets_add(s, eq + 1) != 0)
            return -1;
    }
    return 0;
}

/* ---- scrubbing ------------------------------------------------------------ */

static int holds_secret(const tu_mod_secrets *s, const char *text)
{
    for (size_t i = 0; i < s->count; i++)
        if (strstr(text, s->values[i]))
            return 1;
    return 0;
}

/* `text` with `secret` replaced by the mark; malloc'd. */
static char *replace_all(const char *text, const char *secret)
{
    size_t sn = strlen(secret), mn = strlen(TU_MOD_SCRUB_MARK), hits = 0;
    const char *p = text, *hit;
    char *out, *o;

    while ((hit = strstr(p, secret)) != NULL) {
        hits++;
        p = hit + sn;
    }
    out = malloc(strlen(text) - hits * sn + hits * mn + 1);
    if (!out)
        return NULL;
    o = out;
    p = text;
    while ((hit = strstr(p, secret)) != NULL) {
        memcpy(o, p, (size_t)(hit - p));
        o += hit - p;
        memcpy(o, TU_MOD_SCRUB_MARK, mn);
        o += mn;
        p = hit + sn;
    }
    strcpy(o, p);
    return out;
}

char *tu_mod_scrub(const tu_mod_secrets *s, const char *text)
{
    char *out = strdup(text);
    for (size_t i = 0; out && i < s->count; i++) {
        if (strstr(out, s->values[i])) {
            char *next = replace_all(out, s->values[i]);
            free(out);
            out = next;
        }
    }
    return out;
}

static int scrub_string(const tu_mod_secrets *s, json_t *v)
{
    char *clean;
    int rc;

    if (!holds_secret(s, json_string_value(v)))
        return 0;
    if (!(clean = tu_mod_scrub(s, json_string_value(v))))
        return -1;
    rc = json_string_set(v, clean);
    free(clean);
    return rc;
}

/* Members whose keys hold a secret are moved under scrubbed keys (found
 * first, moved after: an object is not changed while it is iterated). */
static int scrub_keys(const tu_mod_secrets *s, json_t *obj)
{
    json_t *dirty = json_array();
    const char *key;
    json_t *item;
    size_t i;
    int rc = dirty ? 0 : -1;

    json_object_foreach(obj, key, item) {
        if (rc == 0 && holds_secret(s, key))
            rc = json_array_append_new(dirty, json_string(key));
    }
    json_array_foreach(dirty, i, item) {
        const char *old = json_string_value(item);
        char *clean;
        if (rc != 0 || !old || !(clean = tu_mod_scrub(s, old))) {
            rc = -1;
            break;
        }
        rc = json_object_set(obj, clean, json_object_get(obj, old));
        free(clean);
        if (rc == 0)
            rc = json_object_del(obj, old);
    }
    json_decref(dirty);
    return rc;
}

static int scrub_json(const tu_mod_secrets *s, json_t *v, int depth)
{
    const char *key;
    json_t *item;
    size_t i;

    if (depth > 128)
        return 0;
    if (json_is_string(v))
        return scrub_string(s, v);
    if (json_is_array(v)) {
        json_array_foreach(v, i, item)
            if (scrub_json(s, item, depth + 1) != 0)
                return -1;
    } else if (json_is_object(v)) {
        json_object_foreach(v, key, item)
            if (scrub_json(s, item, depth + 1) != 0)
                return -1;
        return scrub_keys(s, v);
    }
    return 0;
}

int tu_mod_scrub_json(const tu_mod_secrets *s, json_t *value)
{
    return s->count ? scrub_json(s, value, 0) : 0;
}

static int censor(const tu_mod_secrets *s, json_t *v, int depth)
{
    const char *key;
    json_t *item;
    size_t i;

    if (depth > 128)
        return 0;
    if (json_is_string(v)) {
        if (holds_secret(s, json_string_value(v)))
            return json_string_set(v, TU_MOD_NO_LOG_VALUE);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, item)
            if (censor(s, item, depth + 1) != 0)
                return -1;
    } else if (json_is_object(v)) {
        json_object_foreach(v, key, item)
            if (censor(s, item, depth + 1) != 0)
                return -1;
        return scrub_keys(s, v);
    }
    return 0;
}

json_t *tu_mod_censor_args(const tu_mod_secrets *s, const json_t *args)
{
    json_t *copy = json_deep_copy(args);
    if (copy && censor(s, copy, 0) != 0) {
        json_decref(copy);
        return NULL;
    }
    return copy;
}
