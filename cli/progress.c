/* progress.c -- a progress line on stderr: phase, count, rate, time left.
 *
 *   trueup: loading records.yaml
 *   trueup: fetching 12/40 requests
 *   trueup: planning
 *   trueup: pushing 5,120/10,000 (51%)  4.9k req/s  ETA 0:01
 *
 * Drawn when stderr is a terminal (or always with --progress), never with
 * --quiet or --no-progress. On a terminal the line is redrawn in place at
 * most four times a second and erased before anything else is printed, so
 * it never mixes with the report or with errors; elsewhere (--progress to
 * a log) a whole line is written at most once a second.
 *
 * The phase comes from the library's reports (tu_progress): "fetch" is
 * fetching, "plan" planning (the live records are in and being diffed),
 * "apply" pushing. Loading is drawn by the command itself before it loads
 * the files. The rate is requests finished per
 * second, sampled at each redraw and smoothed (an exponential moving
 * average, weight 0.3 for the newest sample), from the second redraw of a
 * phase on; the time left is what remains at that rate.
 *
 * The cost to a run: when disabled the library gets no callback at all;
 * when enabled, a callback per finished request that reads the clock and
 * returns unless a redraw is due.
 */
#include "cli.h"
#include "util/clock.h"

#include <string.h>
#include <unistd.h>

#define REDRAW_TTY_MS 250
#define REDRAW_LOG_MS 1000
#define RATE_WEIGHT 0.3

void tu_cli_progress_init(tu_cli_progress *p, int mode)
{
    memset(p, 0, sizeof *p);
    p->tty = isatty(STDERR_FILENO);
    p->enabled = mode == 2 || (mode == 1 && p->tty);
}

/* n with thousands separators, into buf. */
static const char *grouped(size_t n, char *buf, size_t size)
{
    char digits[32];
    size_t len = (size_t)snprintf(digits, sizeof digits, "%zu", n), o = 0;

    for (size_t i = 0; i < len && o + 2 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

/* "  4.9k req/s  ETA 1:02" (or h:mm:ss) when a rate is known, else "". */
static void rate_text(const tu_cli_progress *p, size_t left, char *buf,
                      size_t size)
{
    double secs;
    long s;

    buf[0] = '\0';
    if (p->rate <= 0)
        return;
    secs = (double)left / p->rate;
    s = secs > 359999 ? 359999 : (long)(secs + 0.5);
    if (p->rate >= 1000)
        snprintf(buf, size, "  %.1fk req/s", p->rate / 1000);
    else
        snprintf(buf, size, "  %.0f req/s", p->rate);
    if (s >= 3600)
        snprintf(buf + strlen(buf), size - strlen(buf), "  ETA %ld:%02ld:%02ld",
                 s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf + strlen(buf), size - strlen(buf), "  ETA %ld:%02ld",
                 s / 60, s % 60);
}

/* Write the line: in place on a terminal, as a line of its own elsewhere. */
static void draw(tu_cli_progress *p, const char *text)
{
    if (p->tty)
        fprintf(stderr, "\r\033[Ktrueup: %s", text);
    else
        fprintf(stderr, "trueup: %s\n", text);
    fflush(stderr);
    p->drawn = p->tty;
}

void tu_cli_progress_phase(tu_cli_progress *p, const char *text)
{
    if (!p->enabled)
        return;
    p->phase = NULL;
    p->last_ms = tu_clock_ms();
    draw(p, text);
}

/* What the line calls the library's phases. */
static const char *phase_name(const char *phase)
{
    if (strcmp(phase, "fetch") == 0)
        return "fetching";
    if (strcmp(phase, "plan") == 0)
        return "planning";
    if (strcmp(phase, "apply") == 0)
        return "pushing";
    return phase;
}

/* A new phase starts its rate afresh; a redraw samples the rate. */
static void sample(tu_cli_progress *p, const char *phase, size_t done,
                   long long now)
{
    if (phase != p->phase) {
        p->phase = phase;
        p->rate = 0;
    } else if (now > p->sample_ms && done >= p->sample_done) {
        double r = (double)(done - p->sample_done) * 1000.0 /
                   (double)(now - p->sample_ms);
        p->rate = p->rate > 0 ? RATE_WEIGHT * r + (1 - RATE_WEIGHT) * p->rate
                              : r;
    }
    p->sample_ms = now;
    p->sample_done = done;
}

void tu_cli_progress_update(const tu_progress *progress, void *data)
{
    tu_cli_progress *p = data;
    const char *phase = phase_name(progress->phase);
    long long now = tu_clock_ms();
    char text[160], done[32], total[32], rate[64];

    if (phase == p->phase &&
        now - p->last_ms < (p->tty ? REDRAW_TTY_MS : REDRAW_LOG_MS))
        return;
    p->last_ms = now;
    sample(p, phase, progress->done, now);
    if (progress->total == 0) {
        draw(p, phase);
        return;
    }
    rate_text(p, progress->total - progress->done, rate, sizeof rate);
    snprintf(text, sizeof text, "%s %s/%s requests", phase,
             grouped(progress->done, done, sizeof done),
             grouped(progress->total, total, sizeof total));
    if (progress->total > 0)
        snprintf(text + strlen(text), sizeof text - strlen(text), " (%d%%)",
                 (int)(progress->done * 100 / progress->total));
    snprintf(text + strlen(text), sizeof text - strlen(text), "%s", rate);
    draw(p, text);
}

void tu_cli_progress_clear(tu_cli_progress *p)
{
    if (p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->drawn = 0;
    }
}
