/* module_args.c -- the Ansible module's arguments: types, conversions, checks.
 *
 * Arguments arrive as one JSON object. From a playbook they keep their YAML
 * types; from an ad-hoc `ansible -a 'key=value ...'` every value is a
 * string. So each argument is converted the way Ansible's own modules
 * convert their `type:`:
 *
 *   bool   boolean(): yes/on/1/true/y/t and no/off/0/false/n/f, any case
 *   int    a JSON integer or a decimal string
 *   list   a list, or a string split at commas (src)
 *   dict   a mapping, or a JSON object held in a string
 *
 * Keys starting with `_ansible_` are Ansible's own: three are obeyed
 * (check mode, diff, no_log), the rest are ignored, as newer Ansible
 * versions add more. Any other unknown key fails the task with a message
 * that names it and the closest known argument.
 *
 * The desired state comes either from files (`src`) or inline: the
 * top-level keys of a desired-state file given as arguments. Those are
 * gathered into one JSON document that the library checks, key by key,
 * exactly as it checks a file.
 */
#include "module.h"
#include "util/json_util.h"
#include "util/suggest.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The top-level keys of a desired-state file, as inline arguments. A key
 * added to the file format is added here (and to trueup.yml). */
typedef enum { ARG_DICT, ARG_LIST } inline_type;

static const struct {
    const char *name;
    inline_type type;
} inline_keys[] = {
    {"target", ARG_DICT},
    {"settings", ARG_DICT},
    {"defaults", ARG_DICT},
    {"records", ARG_LIST},
    {"bulk", ARG_LIST},
    {"protect", ARG_LIST},
    {"prune_scope", ARG_LIST},
    {"resources", ARG_DICT},
};

#define N_INLINE (sizeof inline_keys / sizeof inline_keys[0])

/* Every argument, sorted, for messages and suggestions. */
static const char *const known_args[] = {
    "bulk", "change_protected", "concurrency", "defaults", "force", "plan",
    "protect", "prune", "prune_scope", "records", "resources", "settings",
    "shard", "src", "target", NULL,
};

static void set_msg(char *msg, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_msg(char *msg, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, size, fmt, ap);
    va_end(ap);
}

/* ---- conversions ---------------------------------------------------------- */

/* `s` without leading and trailing blanks, lower-cased, into buf. -1 when
 * it does not fit. */
static int normalize_word(const char *s, char *buf, size_t size)
{
    size_t n;
    while (isspace((unsigned char)*s))
        s++;
    n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= size)
        return -1;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)tolower((unsigned char)s[i]);
    buf[n] = '\0';
    return 0;
}

int tu_mod_bool(const json_t *v, int *out)
{
    static const char *const yes[] = {"yes", "on", "1", "true", "y", "t"};
    static const char *const no[] = {"no", "off", "0", "false", "n", "f"};
    char word[8];

    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    if (json_is_number(v)) {
        double d = json_number_value(v);
        if (d == 1 || d == 0) {
            *out = d == 1;
            return 0;
        }
        return -1;
    }
    if (!json_is_string(v) ||
        normalize_word(json_string_value(v), word, sizeof word) != 0)
        return -1;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(word, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcmp(word, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

int tu_mod_int(const json_t *v, long *out)
{
    const char *s, *p;
    char *end;
    long n;

    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < LONG_MIN || i > LONG_MAX)
            return -1;
        *out = (long)i;
        return 0;
    }
    if (!json_is_string(v))
        return -1;
    s = json_string_value(v);
    while (isspace((unsigned char)*s))
        s++;
    p = s + (*s == '+' || *s == '-');
    if (!isdigit((unsigned char)*p))
        return -1;
    errno = 0;
    n = strtol(s, &end, 10);
    if (errno)
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return -1;
    *out = n;
    return 0;
}

/* ---- one argument each ------------------------------------------------------ */

static int arg_bool(const char *name, const json_t *v, int *out, char *msg,
                    size_t size)
{
    char *text;
    if (tu_mod_bool(v, out) == 0)
        return 0;
    text = tu_json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    set_msg(msg, size, "argument '%s' is of type %s (%.60s) and cannot be "
            "converted to a boolean: use true or false (also yes/no, on/off, "
            "1/0)", name, tu_json_type_name(v), text ? text : "?");
    tu_free(text);
    return -1;
}

static int arg_concurrency(const json_t *v, long *out, char *msg,
                           size_t size)
{
    char *text;
    if (tu_mod_int(v, out) == 0 && *out >= 1 && *out <= 10000)
        return 0;
    text = tu_json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    set_msg(msg, size, "argument 'concurrency' is %s (%.60s): it must be a "
            "whole number from 1 to 10000", tu_json_type_name(v), text ? text : "?");
    tu_free(text);
    return -1;
}

/* shard: "I/N" as the CLI's --shard takes it (tu_shard_parse); an int
 * would be ambiguous, so only a string. */
static int arg_shard(tu_mod_args *a, const json_t *v, char *msg, size_t size)
{
    tu_error err = {0};
    if (!json_is_string(v)) {
        set_msg(msg, size, "argument 'shard' is %s: it must be a string "
                "I/N, for example \"0/4\"", tu_json_type_name(v));
        return -1;
    }
    if (tu_shard_parse(json_string_value(v), &a->shard_index,
                       &a->shard_count, &err) == 0)
        return 0;
    set_msg(msg, size, "argument 'shard': %s", err.message);
    return -1;
}

/* A path with a leading ~ or ~/ expanded from $HOME, as Ansible's `path`
 * type does. */
static char *expand_path(const char *p, size_t len)
{
    const char *home = getenv("HOME");
    char *out;

    if (home && *home && len >= 1 && p[0] == '~' && (len == 1 || p[1] == '/')) {
        size_t hl = strlen(home);
        out = malloc(hl + len);
        if (out) {
            memcpy(out, home, hl);
            memcpy(out + hl, p + 1, len - 1);
            out[hl + len - 1] = '\0';
        }
        return out;
    }
    out = malloc(len + 1);
    if (out) {
        memcpy(out, p, len);
        out[len] = '\0';
    }
    return out;
}

/* plan: one path (Ansible's `path` type: ~ expanded). */
static int arg_plan(tu_mod_args *a, const json_t *v, char *msg, size_t size)
{
    const char *p = json_is_string(v) ? json_string_value(v) : NULL;
    if (!p || !*p) {
        set_msg(msg, size, "argument 'plan' is %s: it must be the path of a "
                "plan file written by 'trueup plan --out'",
                p ? "an empty string" : tu_json_type_name(v));
        return -1;
    }
    if (!(a->plan = expand_path(p, strlen(p)))) {
        set_msg(msg, size, "out of memory");
        return -1;
    }
    return 0;
}

static int add_src(tu_mod_args *a, const char *p, size_t len, char *msg,
                   size_t size)
{
    char **grown;
    while (len && isspace((unsigned char)*p)) {
        p++;
        len--;
    }
    while (len && isspace((unsigned char)p[len - 1]))
        len--;
    if (len == 0) {
        set_msg(msg, size, "argument 'src' holds an empty path: give one or "
                "more desired-state files");
        return -1;
    }
    grown = realloc(a->src, (a->nsrc + 1) * sizeof *grown);
    if (!grown || !(grown[a->nsrc] = expand_path(p, len))) {
        if (grown)
            a->src = grown;
        set_msg(msg, size, "out of memory");
        return -1;
    }
    a->src = grown;
    a->nsrc++;
    return 0;
}

/* src: a path, paths joined by commas (Ansible's list type from a string),
 * or a list of paths. */
static int arg_src(tu_mod_args *a, const json_t *v, char *msg, size_t size)
{
    size_t i;
    const json_t *item;

    if (json_is_string(v)) {
        const char *s = json_string_value(v), *comma;
        while ((comma = strchr(s, ',')) != NULL) {
            if (add_src(a, s, (size_t)(comma - s), msg, size) != 0)
                return -1;
            s = comma + 1;
        }
        return add_src(a, s, strlen(s), msg, size);
    }
    if (!json_is_array(v)) {
        set_msg(msg, size, "argument 'src' is %s: it must be a path or a "
                "list of paths to desired-state files", tu_json_type_name(v));
        return -1;
    }
    if (json_array_size(v) == 0) {
        set_msg(msg, size, "argument 'src' is an empty list: give one or "
                "more desired-state files");
        return -1;
    }
    json_array_foreach(v, i, item) {
        if (!json_is_string(item)) {
            set_msg(msg, size, "argument 'src': item %zu is %s, not a path",
                    i + 1, tu_json_type_name(item));
            return -1;
        }
        if (add_src(a, json_string_value(item),
                    strlen(json_string_value(item)), msg, size) != 0)
            return -1;
    }
    return 0;
}

/* An inline dict or list, or the same as JSON text in a string (what an
 * ad-hoc `-a key=value` gives). A new reference in *out. */
static int arg_inline(const char *name, inline_type type, const json_t *v,
                      json_t **out, char *msg, size_t size)
{
    const char *want = type == ARG_DICT ? "a mapping" : "a list";
    json_t *parsed;
    json_error_t jerr;

    if ((type == ARG_DICT && json_is_object(v)) ||
        (type == ARG_LIST && json_is_array(v))) {
        *out = json_incref((json_t *)v);
        return 0;
    }
    if (!json_is_string(v)) {
        set_msg(msg, size, "argument '%s' is %s: it must be %s", name,
                tu_json_type_name(v), want);
        return -1;
    }
    parsed = json_loads(json_string_value(v), JSON_DECODE_ANY, &jerr);
    if (!parsed) {
        set_msg(msg, size, "argument '%s' is a string that is not JSON "
                "(%s, at character %d): it must be %s, or %s written as "
                "JSON", name, jerr.text, jerr.position, want, want);
        return -1;
    }
    if ((type == ARG_DICT && !json_is_object(parsed)) ||
        (type == ARG_LIST && !json_is_array(parsed))) {
        set_msg(msg, size, "argument '%s' is a string holding %s in JSON: "
                "it must be %s", name, tu_json_type_name(parsed), want);
        json_decref(parsed);
        return -1;
    }
    *out = parsed;
    return 0;
}

/* ---- the whole object ------------------------------------------------------ */

static int internal_arg(tu_mod_args *a, const char *key, const json_t *v)
{
    int *flag = NULL, b;
    if (strcmp(key, "_ansible_check_mode") == 0)
        flag = &a->check_mode;
    else if (strcmp(key, "_ansible_diff") == 0)
        flag = &a->diff;
    else if (strcmp(key, "_ansible_no_log") == 0)
        flag = &a->no_log;
    /* Ansible sends real booleans; anything unreadable counts as false,
     * except no_log, which errs on the side of hiding. */
    if (flag)
        *flag = tu_mod_bool(v, &b) == 0 ? b : flag == &a->no_log;
    return 0;
}

static int inline_index(const char *key)
{
    for (size_t i = 0; i < N_INLINE; i++)
        if (strcmp(key, inline_keys[i].name) == 0)
            return (int)i;
    return -1;
}

static int one_arg(tu_mod_args *a, const char *key, const json_t *v,
                   char *msg, size_t size)
{
    int idx;
    json_t *value = NULL;

    if (json_is_null(v))
        return 0;   /* as Ansible does: null means "not given" */
    if (strcmp(key, "src") == 0)
        return arg_src(a, v, msg, size);
    if (strcmp(key, "prune") == 0)
        return arg_bool(key, v, &a->prune, msg, size);
    if (strcmp(key, "force") == 0)
        return arg_bool(key, v, &a->force, msg, size);
    if (strcmp(key, "change_protected") == 0)
        return arg_bool(key, v, &a->change_protected, msg, size);
    if (strcmp(key, "concurrency") == 0)
        return arg_concurrency(v, &a->concurrency, msg, size);
    if (strcmp(key, "shard") == 0)
        return arg_shard(a, v, msg, size);
    if (strcmp(key, "plan") == 0)
        return arg_plan(a, v, msg, size);
    idx = inline_index(key);
    if (idx < 0)
        return 0;   /* reported by unknown_args */
    if (arg_inline(key, inline_keys[idx].type, v, &value, msg, size) != 0)
        return -1;
    if (!a->document && !(a->document = json_object())) {
        json_decref(value);
        set_msg(msg, size, "out of memory");
        return -1;
    }
    if (json_object_set_new(a->document, key, value) != 0) {
        set_msg(msg, size, "out of memory");
        return -1;
    }
    return 0;
}

static int is_known(const char *key)
{
    for (size_t i = 0; known_args[i]; i++)
        if (strcmp(key, known_args[i]) == 0)
            return 1;
    return 0;
}

static void append(char *msg, size_t size, const char *text)
{
    size_t n = strlen(msg);
    if (n + 1 < size)
        snprintf(msg + n, size - n, "%s", text);
}

/* Ansible's own wording, with a suggestion for each unknown key. */
static int unknown_args(const json_t *raw, char *msg, size_t size)
{
    const char *key, *near;
    json_t *v;
    size_t n = 0;
    char part[256];

    json_object_foreach((json_t *)raw, key, v) {
        if (strncmp(key, "_ansible_", 9) == 0 || is_known(key))
            continue;
        if (n++ == 0)
            set_msg(msg, size, "Unsupported parameters for (%s) module: ",
                    TU_MOD_NAME);
        else
            append(msg, size, ", ");
        near = tu_suggest(key, known_args);
        if (near)
            snprintf(part, sizeof part, "%.100s (did you mean '%s'?)", key,
                     near);
        else
            snprintf(part, sizeof part, "%.100s", key);
        append(msg, size, part);
    }
    if (n == 0)
        return 0;
    append(msg, size, ". Supported parameters include: ");
    for (size_t i = 0; known_args[i]; i++) {
        append(msg, size, i ? ", " : "");
        append(msg, size, known_args[i]);
    }
    append(msg, size, ".");
    return -1;
}

/* The arguments without Ansible's internal keys, for invocation. */
static json_t *user_args(const json_t *raw)
{
    json_t *out = json_object();
    const char *key;
    json_t *v;

    if (!out)
        return NULL;
    json_object_foreach((json_t *)raw, key, v) {
        if (strncmp(key, "_ansible_", 9) != 0 &&
            json_object_set(out, key, v) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* A plan file is applied exactly as planned: it takes no desired state and
 * none of the options that belong to making the plan. */
static int check_plan(const tu_mod_args *a, char *msg, size_t size)
{
    const char *wrong = a->src ? "src" : a->document ? "the inline desired "
                        "state" : a->prune >= 0 ? "prune" : a->shard_count
                        ? "shard" : a->change_protected ? "change_protected"
                        : NULL;
    if (!wrong)
        return 0;
    set_msg(msg, size, "parameters are mutually exclusive: plan|%s. A plan "
            "file is applied exactly as it was planned: %s belongs to "
            "'trueup plan --out' when the plan is made", wrong, wrong);
    return -1;
}

int tu_mod_args_parse(const json_t *raw, tu_mod_args *a, char *msg,
                      size_t size)
{
    const char *key;
    json_t *v;

    memset(a, 0, sizeof *a);
    a->prune = -1;
    msg[0] = '\0';
    if (!json_is_object(raw)) {
        set_msg(msg, size, "the module's arguments are %s, not a mapping",
                tu_json_type_name(raw));
        return -1;
    }
    json_object_foreach((json_t *)raw, key, v) {
        if (strncmp(key, "_ansible_", 9) == 0)
            internal_arg(a, key, v);
    }
    if (!(a->module_args = user_args(raw))) {
        set_msg(msg, size, "out of memory");
        return -1;
    }
    if (unknown_args(raw, msg, size) != 0)
        return -1;
    json_object_foreach((json_t *)raw, key, v) {
        if (strncmp(key, "_ansible_", 9) != 0 &&
            one_arg(a, key, v, msg, size) != 0)
            return -1;
    }
    if (a->plan)
        return check_plan(a, msg, size);
    if (a->src && a->document) {
        char given[128] = "";
        for (size_t i = 0; i < N_INLINE; i++) {
            if (!json_object_get(a->document, inline_keys[i].name))
                continue;
            append(given, sizeof given, given[0] ? ", " : "");
            append(given, sizeof given, inline_keys[i].name);
        }
        set_msg(msg, size, "parameters are mutually exclusive: src|%s. Give "
                "the desired state either in files (src) or inline "
                "(target, records, ...), not both", given);
        return -1;
    }
    if (!a->src && !a->document) {
        set_msg(msg, size, "no desired state: give src (one or more "
                "desired-state files), the desired state inline (target "
                "and records), or a plan file (plan)");
        return -1;
    }
    return 0;
}

void tu_mod_args_free(tu_mod_args *a)
{
    for (size_t i = 0; i < a->nsrc; i++)
        free(a->src[i]);
    free(a->src);
    free(a->plan);
    json_decref(a->document);
    json_decref(a->module_args);
    memset(a, 0, sizeof *a);
}
