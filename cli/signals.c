/* signals.c -- SIGINT and SIGTERM during a run.
 *
 * The first signal only sets a flag (tu_options.cancel): libtrueup then
 * starts no new request, gives those in flight a few seconds, and still
 * reports what happened to every record, so a re-run converges. The
 * handler then restores the default action, so a second signal ends the
 * process at once for someone who will not wait.
 */
#include "cli.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t cancel_flag;

static void on_signal(int sig)
{
    cancel_flag = 1;
    signal(sig, SIG_DFL);
}

volatile sig_atomic_t *tu_cli_signals_install(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return &cancel_flag;
}
