/* text.c -- a report rendered for people (--format text).
 *
 * One line per record that had an action, then a summary:
 *   + new.example.org.|A  content: 192.0.2.1, ttl: 3600
 *   ~ www.example.org.|A  ttl: 300 → 600
 *   - old.example.org.|A
 *   -/+ q1|v  arguments: {"x-max-length": 10} → {"x-max-length": 20}
 *   ! dup.example.org.|A  ambiguous: ...
 *   = example.org.|SOA  left alone: protected by the provider
 *   Plan: 1 to create, 1 to update, 1 to delete, 1 to replace, 877
 *   unchanged, 1 failed.
 *   Prune left out 12 records outside prune_scope, 3 without our mark.
 * In a report of several resources each key follows its resource:
 *   + tenants: acme  name: acme
 * A replace (delete, then create: an immutable field changed) is marked
 * "-/+" and named in the summary only when there is one; write-only values
 * show as "***", as the report has them.
 * It reads the report through the public API, as any program would: the
 * results typed (tu_report_result), the other members from the summary.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void write_value(FILE *out, const json_t *v)
{
    char *text;
    if (json_is_string(v)) {
        fputs(json_string_value(v), out);
        return;
    }
    text = tu_json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    fputs(text ? text : "?", out);
    tu_free(text);
}

void tu_cli_write_changes(FILE *out, const json_t *changes,
                          const tu_cli_change_style *style)
{
    const char *field;
    json_t *change;
    int first = 1;

    json_object_foreach((json_t *)changes, field, change) {
        const json_t *before = json_object_get(change, "before");
        fputs(first ? style->first : ", ", out);
        style->name(out, field);
        if (before) {
            style->value(out, before);
            fputs(" \u2192 ", out);
        }
        style->value(out, json_object_get(change, "after"));
        first = 0;
    }
}

static void write_name(FILE *out, const char *field)
{
    fprintf(out, "%s: ", field);
}

static const tu_cli_change_style text_style = {"  ", write_name,
                                               write_value};

static const char *action_sign(const char *action, const char *status)
{
    if (strcmp(status, "failed") == 0)
        return "!";
    if (strcmp(action, "create") == 0)
        return "+";
    if (strcmp(action, "delete") == 0)
        return "-";
    if (strcmp(action, "replace") == 0)
        return "-/+";
    return "~";
}

static void write_result(FILE *out, const tu_record_result *r)
{
    json_t *changes;

    fprintf(out, "%s %s%s%s", action_sign(r->action, r->status),
            r->resource ? r->resource : "", r->resource ? ": " : "", r->key);
    if (r->id)  /* a created record's */
        fprintf(out, " (id %s)", r->id);
    if (r->error && strcmp(r->action, "none") == 0) {
        fprintf(out, "  failed: %s", r->error);
    } else if (r->error) {
        fprintf(out, "  %s failed: %s", r->action, r->error);
    } else if (r->changes &&
               (changes = json_loads(r->changes, 0, NULL)) != NULL) {
        tu_cli_write_changes(out, changes, &text_style);
        json_decref(changes);
    }
    fputc('\n', out);
}

static long long count(const json_t *report, const char *name)
{
    return (long long)json_integer_value(json_object_get(report, name));
}

/* ", HTTP/2 over 2 connections" (", HTTP/1.1 and HTTP/2 over ..." when
 * both answered), or nothing when no answer came. */
static void write_transport(FILE *out, const json_t *report)
{
    const json_t *protocols = json_object_get(report, "protocols");
    long long connections = count(report, "connections");
    const char *name;
    json_t *answers;
    int first = 1;

    json_object_foreach((json_t *)protocols, name, answers) {
        fprintf(out, "%s%s", first ? ", " : " and ", name);
        first = 0;
    }
    if (!first)
        fprintf(out, " over %lld connection%s", connections,
                connections == 1 ? "" : "s");
}

/* The records left alone, and what prune left out. */
static void write_left_alone(FILE *out, const json_t *report)
{
    size_t i;
    json_t *r;
    long long scope = count(report, "out_of_scope");
    long long owned = count(report, "not_owned");

    json_array_foreach(json_object_get(report, "left_alone"), i, r) {
        const json_t *item = json_object_get(r, "item");
        char *text = item ? json_dumps(item, JSON_ENCODE_ANY) : NULL;
        fprintf(out, "= %s%s%s%s%s  left alone: %s\n",
                json_string_value(json_object_get(r, "key")),
                item ? " " : "", item ? json_string_value(json_object_get(
                                            r, "field")) : "",
                item ? " item " : "", text ? text : "",
                json_string_value(json_object_get(r, "reason")));
        free(text);
    }
    if (scope || owned)
        fprintf(out, "Prune left out %lld record%s outside prune_scope, "
                "%lld without this owner's mark.\n", scope,
                scope == 1 ? "" : "s", owned);
}

void tu_cli_write_text(FILE *out, const tu_report *report)
{
    const json_t *summary = tu_report_summary(report);
    int plan = strcmp(json_string_value(json_object_get(summary, "mode")),
                      "plan") == 0;
    tu_counts c;

    tu_report_counts(report, &c);
    for (size_t i = 0; i < tu_report_result_count(report); i++)
        write_result(out, tu_report_result(report, i));
    fprintf(out, plan ? "Plan: %zu to create, %zu to update, %zu to "
            "delete, " : "Apply: %zu created, %zu updated, %zu deleted, ",
            c.created, c.updated, c.deleted);
    if (c.replaced)   /* named only when there are any */
        fprintf(out, plan ? "%zu to replace, " : "%zu replaced, ",
                c.replaced);
    fprintf(out, "%zu unchanged, %zu failed", c.skipped, c.failed);
    if (plan) {
        fputs(".\n", out);
    } else {
        fprintf(out, " (%zu request%s", c.requests,
                c.requests == 1 ? "" : "s");
        write_transport(out, summary);
        fprintf(out, ", %.1f s).\n",
                (double)count(summary, "elapsed_ms") / 1000.0);
    }
    write_left_alone(out, summary);
}
