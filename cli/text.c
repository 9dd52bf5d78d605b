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
 * A replace (delete, then create: an immutable field changed) is marked
 * "-/+" and named in the summary only when there is one; write-only values
 * show as "***", as the report has them.
 * It reads only the report's JSON, as any consumer of the report would.
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

static void write_result(FILE *out, const json_t *r)
{
    const char *action = json_string_value(json_object_get(r, "action"));
    const char *status = json_string_value(json_object_get(r, "status"));
    const json_t *error = json_object_get(r, "error");

    if (!action || !status)
        return;
    fprintf(out, "%s %s", action_sign(action, status),
            json_string_value(json_object_get(r, "key")));
    if (json_is_string(json_object_get(r, "id")))  /* a created record's */
        fprintf(out, " (id %s)",
                json_string_value(json_object_get(r, "id")));
    if (error && strcmp(action, "none") == 0)
        fprintf(out, "  failed: %s", json_string_value(error));
    else if (error)
        fprintf(out, "  %s failed: %s", action, json_string_value(error));
    else if (json_object_get(r, "changes"))
        tu_cli_write_changes(out, json_object_get(r, "changes"),
                             &text_style);
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

    json_array_foreach(json_object_get(report, "left_alone"), i, r)
        fprintf(out, "= %s  left alone: %s\n",
                json_string_value(json_object_get(r, "key")),
                json_string_value(json_object_get(r, "reason")));
    if (scope || owned)
        fprintf(out, "Prune left out %lld record%s outside prune_scope, "
                "%lld without this owner's mark.\n", scope,
                scope == 1 ? "" : "s", owned);
}

void tu_cli_write_text(FILE *out, const json_t *report)
{
    size_t i;
    json_t *r;
    int plan = strcmp(json_string_value(json_object_get(report, "mode")),
                      "plan") == 0;
    long long replaced = count(report, "replaced");

    json_array_foreach(json_object_get(report, "results"), i, r)
        write_result(out, r);
    fprintf(out, plan ? "Plan: %lld to create, %lld to update, %lld to "
            "delete, " : "Apply: %lld created, %lld updated, %lld deleted, ",
            count(report, "created"), count(report, "updated"),
            count(report, "deleted"));
    if (replaced)   /* named only when there are any */
        fprintf(out, plan ? "%lld to replace, " : "%lld replaced, ",
                replaced);
    fprintf(out, "%lld unchanged, %lld failed", count(report, "skipped"),
            count(report, "failed"));
    if (plan) {
        fputs(".\n", out);
    } else {
        fprintf(out, " (%lld request%s", count(report, "requests"),
                count(report, "requests") == 1 ? "" : "s");
        write_transport(out, report);
        fprintf(out, ", %.1f s).\n",
                (double)count(report, "elapsed_ms") / 1000.0);
    }
    write_left_alone(out, report);
}
