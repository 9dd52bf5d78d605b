/* progress.c -- a progress line on stderr, when it is a terminal.
 *
 *   trueup: fetch 12/40 requests
 *   trueup: apply 5120/10000 requests
 * Redrawn at most ten times a second, and erased before anything else is
 * printed, so it never mixes with the report or with errors.
 */
#include "cli.h"
#include "state/clock.h"

#include <unistd.h>

void tu_cli_progress_init(tu_cli_progress *p, int wanted)
{
    p->enabled = wanted && isatty(STDERR_FILENO);
    p->last_ms = 0;
    p->drawn = 0;
}

void tu_cli_progress_update(const tu_progress *progress, void *data)
{
    tu_cli_progress *p = data;
    long long now;

    if (!p->enabled)
        return;
    now = tu_clock_ms();
    if (now - p->last_ms < 100 && progress->done != progress->total)
        return;
    p->last_ms = now;
    fprintf(stderr, "\r\033[Ktrueup: %s %zu/%zu requests", progress->phase,
            progress->done, progress->total);
    fflush(stderr);
    p->drawn = 1;
}

void tu_cli_progress_clear(tu_cli_progress *p)
{
    if (p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->drawn = 0;
    }
}
