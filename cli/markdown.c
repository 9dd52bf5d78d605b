/* markdown.c -- a report rendered as Markdown (--format markdown), for a
 * pull-request comment.
 *
 *   ### trueup plan: 10 to create, 412 to update, 5 to delete, 0 failed
 *   Target: `rest` `http://127.0.0.1:3000`; 1245 records, 818 unchanged.
 *   > **Warning:** ...
 *   - **update** `ttl` `3600` → `600` on 412 A records
 *     <details><summary>412 records</summary> ... names ... </details>
 *   - **create** `new.example.org.|A`: `content` `192.0.2.9`, `ttl` `3600`
 *   - **replace** (delete, then create) `q1|/`: `arguments` `{..}` → `{..}`
 *   - **failed** `dup.example.org.|A`: ambiguous: ...
 *
 * The summary comes first. Records with the same action and the same
 * changes (the same fields from the same values to the same values) make one
 * line, their names folded in a <details> block; other records get a line
 * each. Lines are sorted (creates, updates, replaces, deletes, failures;
 * larger groups first; then by key), so the same plan gives the same text
 * every time. A replace (an immutable field changed) is its own group, said
 * to delete then create. The summary also counts the records protection or
 * ownership left alone and those outside prune_scope.
 * The whole text stays under MD_LIMIT bytes (GitHub takes comments up to
 * 65,536 characters): lines that do not fit are left out and a last line
 * says how many. Values from the server are put in code spans and cut at
 * MD_VALUE_MAX bytes, so they cannot inject Markdown or HTML.
 *
 * Like text.c, it reads the report through the public API: the results
 * typed (tu_report_result; a group's shared key field is read from the
 * key's own fields, so a value holding '|' stays whole), the other
 * members from the summary.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#define MD_LIMIT 60000        /* bytes of output at most */
#define MD_VALUE_MAX 120      /* bytes of one value shown */
#define MD_NAMES_MAX 200      /* names listed in one group's details */

typedef struct md_item {
    const tu_record_result *result;  /* borrowed from the report */
    json_t *changes;          /* owned: the result's, parsed; NULL: none */
    int order;                /* action order */
    char *signature;          /* owned: action and changes, canonical */
} md_item;

/* The report being written: its summary (every member but the results)
 * and counts. */
typedef struct md_report {
    const tu_report *report;
    const json_t *summary;
    tu_counts counts;
} md_report;

typedef struct md_group {
    md_item *first;           /* items[first .. first + count) */
    size_t count;
} md_group;

/* ---- small writers ------------------------------------------------------ */

/* `text` (len bytes) as a Markdown code span, control characters shown as
 * escapes, cut at MD_VALUE_MAX bytes on a character boundary. */
static void code_span(FILE *out, const char *text, size_t len)
{
    size_t run = 0, longest = 0, n = len > MD_VALUE_MAX ? MD_VALUE_MAX : len;

    while (n < len && n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
        n--;
    for (size_t i = 0; i < n; i++) {
        run = text[i] == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    for (size_t i = 0; i <= longest; i++)
        fputc('`', out);
    if (n && (text[0] == '`' || text[n - 1] == '`' || text[0] == ' '))
        fputc(' ', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\x%02x", c);
        else
            fputc(c, out);
    }
    if (n && (text[0] == '`' || text[n - 1] == '`' || text[0] == ' '))
        fputc(' ', out);
    for (size_t i = 0; i <= longest; i++)
        fputc('`', out);
    if (n < len)
        fputs("\u2026", out);
}

static void code_value(FILE *out, const json_t *v)
{
    char *text;
    if (json_is_string(v)) {
        code_span(out, json_string_value(v), json_string_length(v));
        return;
    }
    text = tu_json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    code_span(out, text ? text : "?", text ? strlen(text) : 1);
    tu_free(text);
}

static void code_text(FILE *out, const char *s)
{
    code_span(out, s ? s : "?", s ? strlen(s) : 1);
}

/* A result's key, after its resource's name in a system's report. */
static void key_text(FILE *out, const tu_record_result *r)
{
    if (r->resource)
        fprintf(out, "%s: ", r->resource);
    code_text(out, r->key);
}

/* Text of trueup's own (a warning, an error) with the characters that
 * Markdown or HTML would read escaped. Cut at 600 bytes. */
static void plain(FILE *out, const char *s)
{
    for (size_t i = 0; s && s[i] && i < 600; i++) {
        if (strchr("\\`*_[]<>#|~!", s[i]))
            fputc('\\', out);
        if (s[i] == '&')
            fputs("&amp;", out);
        else if ((unsigned char)s[i] < 0x20)
            fputc(' ', out);
        else
            fputc(s[i], out);
    }
}

static long long count(const json_t *report, const char *name)
{
    return (long long)json_integer_value(json_object_get(report, name));
}

static const char *str(const json_t *obj, const char *name)
{
    const char *s = json_string_value(json_object_get(obj, name));
    return s ? s : "";
}

/* ---- items: sorted, grouped ------------------------------------------- */

#define MD_REPLACE 2  /* the order of replaces */
#define MD_FAILED 4   /* the order of failures: last */

static int action_order(const tu_record_result *r)
{
    static const char *const order[] = {"create", "update", "replace",
                                        "delete"};
    if (strcmp(r->status, "failed") == 0)
        return MD_FAILED;
    for (int i = 0; i < MD_FAILED; i++)
        if (strcmp(r->action, order[i]) == 0)
            return i;
    return MD_FAILED;
}

static char *signature(const md_item *item)
{
    char *changes = NULL, *sig;
    json_t *key;
    size_t len;

    if (item->order == MD_FAILED) {  /* never grouped: the key, unique */
        key = json_string(item->result->key);
        changes = key ? tu_json_dumps(key, JSON_ENCODE_ANY) : NULL;
        json_decref(key);
    } else if (item->changes) {
        changes = tu_json_dumps(item->changes, JSON_COMPACT | JSON_SORT_KEYS);
    }
    len = (changes ? strlen(changes) : 0) + 4;
    sig = malloc(len);
    if (sig)
        snprintf(sig, len, "%d:%s", item->order, changes ? changes : "");
    tu_free(changes);
    return sig;
}

static int by_signature(const void *a, const void *b)
{
    const md_item *x = a, *y = b;
    int c = strcmp(x->signature, y->signature);
    return c ? c : strcmp(x->result->key, y->result->key);
}

/* Larger groups first within an action, then by signature (stable). */
static int by_group(const void *a, const void *b)
{
    const md_group *x = a, *y = b;
    if (x->first->order != y->first->order)
        return x->first->order - y->first->order;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    if (x->count == 1)
        return strcmp(x->first->result->key, y->first->result->key);
    return strcmp(x->first->signature, y->first->signature);
}

/* One item per result of the report. 0, or -1 when out of memory. */
static int make_item(md_item *item, const tu_record_result *r)
{
    item->result = r;
    item->order = action_order(r);
    if (r->changes && !(item->changes = json_loads(r->changes, 0, NULL)))
        return -1;
    return (item->signature = signature(item)) ? 0 : -1;
}

/* The items of the report's results, sorted so that equal signatures are
 * adjacent, and the groups they make, sorted for output. -1 when out of
 * memory. */
static int build_groups(const tu_report *report, md_item **items_out,
                        md_group **groups_out, size_t *ngroups)
{
    size_t n = tu_report_result_count(report), g = 0;
    md_item *items = calloc(n ? n : 1, sizeof *items);
    md_group *groups = calloc(n ? n : 1, sizeof *groups);

    *items_out = items;
    *groups_out = groups;
    if (!items || !groups)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (make_item(&items[i], tu_report_result(report, i)) != 0)
            return -1;
    qsort(items, n, sizeof *items, by_signature);
    for (size_t i = 0; i < n; i++) {
        if (g && strcmp(groups[g - 1].first->signature,
                        items[i].signature) == 0)
            groups[g - 1].count++;
        else
            groups[g++] = (md_group){&items[i], 1};
    }
    qsort(groups, g, sizeof *groups, by_group);
    *ngroups = g;
    return 0;
}

static void free_items(md_item *items, size_t n)
{
    for (size_t i = 0; items && i < n; i++) {
        free(items[i].signature);
        json_decref(items[i].changes);
    }
    free(items);
}

/* ---- one line per group or record -------------------------------------- */

static void code_name(FILE *out, const char *field)
{
    code_text(out, field);
    fputc(' ', out);
}

static const tu_cli_change_style code_style = {"", code_name, code_value};

/* The value of key field `k` that every record of the group shares, or
 * NULL (not shared, not known field by field, or empty). */
static const char *shared_key_value(const md_group *g, size_t k)
{
    const tu_record_result *first = g->first->result;
    const char *v = k < first->key_count ? first->key_values[k] : NULL;

    for (size_t i = 1; v && i < g->count; i++) {
        const tu_record_result *r = g->first[i].result;
        if (r->key_count != first->key_count ||
            strcmp(r->key_values[k], v) != 0)
            return NULL;
    }
    return v && *v ? v : NULL;
}

/* "412 A records": a key field other than the first (type, ...) that
 * every record of the group shares, named in the count. */
static void write_count(FILE *out, const md_group *g)
{
    const tu_record_result *first = g->first->result;

    for (size_t k = 1; k < first->key_count; k++) {
        const char *v = shared_key_value(g, k);
        if (!v)
            continue;
        if (strcmp(first->key_names[k], "type") == 0) {
            fprintf(out, "%zu ", g->count);
            plain(out, v);
            fputs(" records", out);
        } else {
            fprintf(out, "%zu records with ", g->count);
            code_text(out, first->key_names[k]);
            fputc(' ', out);
            code_text(out, v);
        }
        return;
    }
    fprintf(out, "%zu records", g->count);
}

static const char *const action_words[] = {"create", "update", "replace",
                                           "delete", "failed"};

static void write_names(FILE *out, const md_group *g)
{
    fprintf(out, "\n  <details><summary>%zu records</summary>\n\n  ",
            g->count);
    for (size_t i = 0; i < g->count && i < MD_NAMES_MAX; i++) {
        fputs(i ? ", " : "", out);
        key_text(out, g->first[i].result);
    }
    if (g->count > MD_NAMES_MAX)
        fprintf(out, " \u2026 and %zu more", g->count - MD_NAMES_MAX);
    fputs("\n  </details>", out);
}

static void write_group(FILE *out, const md_group *g)
{
    const tu_record_result *r = g->first->result;
    const json_t *changes = g->first->changes;

    fprintf(out, "- **%s** %s", action_words[g->first->order],
            g->first->order == MD_REPLACE ? "(delete, then create) " : "");
    if (g->count > 1) {
        if (changes && json_object_size(changes)) {
            tu_cli_write_changes(out, changes, &code_style);
            fputs(" on ", out);
        }
        write_count(out, g);
        write_names(out, g);
    } else {
        key_text(out, r);
        if (r->error) {
            fputs(": ", out);
            plain(out, r->error);
        } else if (changes && json_object_size(changes)) {
            fputs(": ", out);
            tu_cli_write_changes(out, changes, &code_style);
        }
    }
    fputc('\n', out);
}

/* ---- the whole text ----------------------------------------------------- */

/* The counts; replaces named only when there are any. */
static void write_heading(FILE *out, const tu_counts *c, int plan)
{
    fprintf(out, plan ? "### trueup plan: %zu to create, %zu to update, "
            "%zu to delete, " : "### trueup apply: %zu created, %zu "
            "updated, %zu deleted, ", c->created, c->updated, c->deleted);
    if (c->replaced)
        fprintf(out, plan ? "%zu to replace, " : "%zu replaced, ",
                c->replaced);
    fprintf(out, "%zu failed\n\n", c->failed);
}

/* "; 2 left alone (protected or owned); 40 outside prune_scope", each
 * only when there are some. */
static void write_left_alone(FILE *out, const json_t *summary)
{
    size_t left = json_array_size(json_object_get(summary, "left_alone"));
    long long scope = count(summary, "out_of_scope");

    if (left)
        fprintf(out, "; %zu left alone (protected or owned)", left);
    if (scope)
        fprintf(out, "; %lld outside ", scope);
    if (scope)
        code_text(out, "prune_scope");
}

static void write_summary(FILE *out, const md_report *m)
{
    const json_t *target = json_object_get(m->summary, "target");
    const json_t *shard = json_object_get(m->summary, "shard");
    const tu_counts *c = &m->counts;
    size_t i;
    json_t *w;

    write_heading(out, c, strcmp(str(m->summary, "mode"), "plan") == 0);
    if (target) {
        fputs("Target: ", out);
        code_text(out, str(target, "provider"));
        fputc(' ', out);
        code_text(out, str(target, "base_url"));
        fputs("; ", out);
    }
    if (shard)
        fprintf(out, "shard %lld of %lld; ", count(shard, "index"),
                count(shard, "count"));
    fprintf(out, "%zu records, %zu unchanged", c->total, c->skipped);
    write_left_alone(out, m->summary);
    fputs(".\n", out);
    json_array_foreach(json_object_get(m->summary, "warnings"), i, w) {
        fputs("\n> **Warning:** ", out);
        plain(out, json_string_value(w));
        fputc('\n', out);
    }
    if (c->created + c->updated + c->deleted + c->replaced + c->failed == 0)
        fputs("\nNo changes.\n", out);
}

/* What one writer puts out, as a string (malloc'd; NULL: out of memory). */
typedef void (*md_writer)(FILE *out, const void *what);

static char *render(md_writer fn, const void *what, size_t *len)
{
    char *text = NULL;
    FILE *mem = open_memstream(&text, len);

    if (!mem)
        return NULL;
    fn(mem, what);
    if (fclose(mem) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static void summary_writer(FILE *out, const void *report)
{
    write_summary(out, report);
}

static void group_writer(FILE *out, const void *group)
{
    write_group(out, group);
}

/* The groups, as many as fit in `room` bytes; then how many did not. */
static int write_groups(FILE *out, const md_group *groups, size_t n,
                        size_t room)
{
    size_t shown = 0, left_records = 0, len;

    if (n)
        fputc('\n', out);
    for (size_t i = 0; i < n; i++) {
        char *line = shown == i ? render(group_writer, &groups[i], &len)
                                : NULL;
        if (shown == i && !line)
            return -1;
        if (line && len <= room) {
            fputs(line, out);
            room -= len;
            shown++;
        } else {
            left_records += groups[i].count;
        }
        free(line);
    }
    if (shown < n)
        fprintf(out, "\n%zu more record%s not shown here: the comment would "
                "be too long; see the JSON report (--format json).\n",
                left_records, left_records == 1 ? "" : "s");
    return 0;
}

int tu_cli_write_markdown(FILE *out, const tu_report *report)
{
    md_report m = {report, tu_report_summary(report), {0}};
    size_t n = tu_report_result_count(report), ngroups = 0, len;
    md_item *items = NULL;
    md_group *groups = NULL;
    char *summary;
    int rc = -1;

    tu_report_counts(report, &m.counts);
    summary = render(summary_writer, &m, &len);
    if (summary && build_groups(report, &items, &groups, &ngroups) == 0) {
        fputs(summary, out);
        /* room for the last line saying what was left out */
        rc = write_groups(out, groups, ngroups,
                          len + 200 < MD_LIMIT ? MD_LIMIT - len - 200 : 0);
    }
    free(summary);
    free_items(items, n);
    free(groups);
    return rc;
}
