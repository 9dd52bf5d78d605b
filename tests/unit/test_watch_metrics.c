/* test_watch_metrics.c -- cli/metrics.c: trueup watch's Prometheus text.
 *
 * The families and samples a set's stats make, in the text format's shape
 * (HELP and TYPE before every family's samples, one sample a line, values
 * numbers); label values escaped as the format says; a label value
 * holding a secret written "***", the secret nowhere in the text; and the
 * pass schedule (interval with jitter, back-off up to the interval).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/watch.h"

static char *render(const tu_watch_stats *const *sets, size_t n,
                    const char *const *secrets, size_t nsecrets)
{
    tu_watch_metrics m = {"1.2.3", 1700000000.5, 1, sets, n, secrets,
                          nsecrets};
    tu_buffer out = TU_BUFFER_INIT;

    assert_int_equal(tu_watch_metrics_render(&m, &out), 0);
    return tu_buffer_take(&out);
}

static void contains(const char *text, const char *line)
{
    if (!strstr(text, line))
        fail_msg("missing: %s", line);
}

static void test_counts_and_counters(void **state)
{
    tu_watch_stats s = {0};
    const tu_watch_stats *sets[] = {&s};
    char *text;
    (void)state;
    s.name = "prod";
    s.created = 3;
    s.drifted = 5;
    s.left_alone = 2;
    s.passes[TU_PASS_REFUSED] = 4;
    s.errors[TU_ERR_FETCH] = 7;
    s.loads_failed = 1;
    s.requests = 12345678901ULL;
    s.stale = 1;
    s.changes_total[2] = 6;
    s.last_duration_s = 1.25;
    text = render(sets, 1, NULL, 0);
    contains(text, "\ntrueup_last_pass_records{set=\"prod\",count=\"created\"} 3\n");
    contains(text, "\ntrueup_last_pass_records{set=\"prod\",count=\"drifted\"} 5\n");
    contains(text, "{set=\"prod\",count=\"left_alone\"} 2\n");
    contains(text, "\ntrueup_passes_total{set=\"prod\",outcome=\"refused\"} 4\n");
    contains(text, "\ntrueup_passes_total{set=\"prod\",outcome=\"ok\"} 0\n");
    contains(text, "\ntrueup_errors_total{set=\"prod\",kind=\"fetch\"} 7\n");
    contains(text, "\ntrueup_errors_total{set=\"prod\",kind=\"bad_input\"} 0\n");
    contains(text, "\ntrueup_desired_loads_total{set=\"prod\",outcome=\"error\"} 1\n");
    contains(text, "\ntrueup_requests_total{set=\"prod\"} 12345678901\n");
    contains(text, "\ntrueup_desired_stale{set=\"prod\"} 1.000\n");
    contains(text, "\ntrueup_last_pass_duration_seconds{set=\"prod\"} 1.250\n");
    contains(text, "# TYPE trueup_passes_total counter\n");
    contains(text, "\ntrueup_records_changed_total{set=\"prod\",action=\"deleted\"} 6\n");
    contains(text, "trueup_build_info{version=\"1.2.3\"} 1\n");
    contains(text, "\ntrueup_ready 1\n");
    assert_null(strstr(text, "kind=\"ok\""));   /* not an error kind */
    free(text);
}

/* Every line: a comment, or NAME{...} NUMBER; each family's samples come
 * after its HELP and TYPE; the text ends in a newline. */
static void test_shape(void **state)
{
    tu_watch_stats a = {0}, b = {0};
    const tu_watch_stats *sets[] = {&a, &b};
    char *text, *line, *save = NULL, family[128] = "";
    (void)state;
    a.name = "a";
    b.name = "b";
    text = render(sets, 2, NULL, 0);
    assert_int_equal(text[strlen(text) - 1], '\n');
    for (line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *sp = strrchr(line, ' '), *end;
        if (strncmp(line, "# HELP ", 7) == 0) {
            snprintf(family, sizeof family, "%.*s",
                     (int)strcspn(line + 7, " "), line + 7);
            continue;
        }
        if (line[0] == '#')
            continue;
        assert_non_null(sp);
        strtod(sp + 1, &end);
        assert_int_equal(*end, '\0');
        if (strncmp(line, family, strlen(family)) != 0 ||
            !strchr("{ ", line[strlen(family)]))
            fail_msg("sample before its family's HELP: %s", line);
    }
    free(text);
}

static void test_label_escapes(void **state)
{
    tu_buffer out = TU_BUFFER_INIT;
    (void)state;
    assert_int_equal(tu_watch_label_value(&out, "a\"b\\c\nd", NULL, 0), 0);
    assert_string_equal(out.data, "a\\\"b\\\\c\\nd");
    tu_buffer_free(&out);
}

static void test_secret_never_shown(void **state)
{
    const char *secrets[] = {"tok-5ecret-99", "other"};
    tu_watch_stats s = {0};
    const tu_watch_stats *sets[] = {&s};
    char *text;
    (void)state;
    s.name = "zone-tok-5ecret-99-x";
    text = render(sets, 1, secrets, 2);
    assert_null(strstr(text, "tok-5ecret-99"));
    contains(text, "trueup_passes_total{set=\"***\",outcome=\"ok\"} 0\n");
    free(text);
}

/* The schedule: the interval +-10% after a success; after failures, a
 * back-off from min(1 s, interval) doubling to the interval, jittered
 * between half and all of it. */
static void test_next_delay(void **state)
{
    (void)state;
    assert_int_equal(tu_watch_next_delay_ms(60000, 0, 0.0), 54000);
    assert_int_equal(tu_watch_next_delay_ms(60000, 0, 0.999999), 65999);
    assert_int_equal(tu_watch_next_delay_ms(60000, 1, 0.0), 500);
    assert_int_equal(tu_watch_next_delay_ms(60000, 1, 0.999999), 999);
    assert_int_equal(tu_watch_next_delay_ms(60000, 2, 0.0), 1000);
    assert_int_equal(tu_watch_next_delay_ms(60000, 4, 0.0), 4000);
    assert_int_equal(tu_watch_next_delay_ms(60000, 7, 0.0), 30000);
    assert_int_equal(tu_watch_next_delay_ms(60000, 8, 0.0), 30000);
    assert_int_equal(tu_watch_next_delay_ms(60000, 1000, 0.999999), 59999);
    assert_int_equal(tu_watch_next_delay_ms(300, 1, 0.0), 150);    /* short */
    assert_int_equal(tu_watch_next_delay_ms(300, 9, 0.5), 225);
    for (unsigned f = 1; f < 40; f++)      /* never past the interval */
        assert_true(tu_watch_next_delay_ms(45000, f, 0.999999) < 45000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_and_counters),
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_label_escapes),
        cmocka_unit_test(test_secret_never_shown),
        cmocka_unit_test(test_next_delay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
