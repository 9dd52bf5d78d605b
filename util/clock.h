/* clock.h -- the monotonic clock.
 *
 * The one clock of the project: the executor's timers, retries, pacing and
 * deadlines, a run's elapsed time, and the front ends' rate limits on
 * progress output all read it. CLOCK_MONOTONIC: it never jumps with the
 * wall clock, and its zero is arbitrary, so only differences mean
 * anything. Part of trueup-util, which front ends may link.
 */
#ifndef TU_UTIL_CLOCK_H
#define TU_UTIL_CLOCK_H

#include <stdint.h>

/* Now, in nanoseconds. Threads: any thread. */
int64_t tu_clock_ns(void);

/* Now, in milliseconds. Threads: any thread. */
long long tu_clock_ms(void);

#endif
