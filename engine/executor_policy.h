/* executor_policy.h -- the executor's pure decisions: when to retry, whether
 * a failed request may have been acted on, how long to wait, how fast to
 * send (a rate limit), how many to keep in flight (AIMD), and the random
 * numbers behind the jitter.
 *
 * Kept apart from executor.c, which does the I/O, so that unit tests can
 * check the policy without a network. Nothing here allocates or keeps
 * global state: every state (the random generator's, the rate limiter's,
 * the concurrency controller's) belongs to the caller, and the time is
 * always passed in.
 */
#ifndef TU_ENGINE_EXECUTOR_POLICY_H
#define TU_ENGINE_EXECUTOR_POLICY_H

#include <stdint.h>
#include <curl/curl.h>

/* ---- retries ---------------------------------------------------------- */

/* Whether a finished attempt deserves another (attempts left aside).
 *
 * code is the transfer's result, status the HTTP status (0: none),
 * request_size libcurl's CURLINFO_REQUEST_SIZE (0: no request byte sent).
 *
 *  - HTTP 408, 500, 502, 503, 504: only when idempotent (the request may
 *    have been acted on before the server or a gateway gave up).
 *  - HTTP 429: for every method, POST included: 429 says the request was
 *    refused unprocessed because of its rate (RFC 6585, section 4).
 *  - Connection-level failures (could not resolve or connect, got
 *    nothing, send/receive error, partial file, HTTP/2 errors, timeout):
 *    when idempotent; otherwise only when the request certainly never
 *    left: resolve or connect failed, or request_size is 0.
 *  - Anything else (another 4xx or 5xx, a malformed URL, a certificate
 *    problem, a body over the cap) is final.
 */
int tu_retry_wanted(CURLcode code, long status, int idempotent,
                    long request_size);

/* Whether a request that is over (it will not be tried again) may have
 * been acted on by the server although it did not succeed, so that the
 * caller must look before sending it again. Always 0 for an idempotent
 * request (sending it again is harmless). For the others, 1 when:
 *
 *  - an HTTP 408 or any 5xx came back (the server or a gateway failed,
 *    perhaps after acting on it);
 *  - the transfer failed in any way (connection lost, timeout, aborted)
 *    after request bytes were sent (request_size > 0), except when the
 *    host could not be resolved or connected to.
 *
 * Any other HTTP answer (2xx, 3xx, 4xx but 408) is definite: 0. A 429 is
 * 0: the request was refused unprocessed. */
int tu_may_have_arrived(CURLcode code, long status, int idempotent,
                        long request_size);

/* The ceiling of the backoff after `attempts` tries (>= 1):
 * min(max_ms, base_ms * 2^(attempts-1)), without overflow. */
long tu_retry_ceiling_ms(unsigned attempts, long base_ms, long max_ms);

/* The delay before the next try: a uniform random value in
 * [0, tu_retry_ceiling_ms()] ("full jitter"), but never less than the
 * server's Retry-After (in seconds; negative or 0: none) clamped to
 * max_ms. */
long tu_retry_delay_ms(unsigned attempts, long base_ms, long max_ms,
                       curl_off_t retry_after_s, uint64_t *rng);

/* ---- the rate limit ----------------------------------------------------
 *
 * A token bucket in its GCRA ("virtual scheduling") form: tat is the time
 * at which the next request is due if requests are evenly spaced, one
 * every interval_ns. A request may start when now >= tat - tolerance_ns;
 * starting it moves tat to max(tat, now) + interval_ns.
 *
 * The burst is 1: requests are evenly spaced, never bunched, so a server
 * that counts requests in any window of w seconds sees at most
 * rate * w + 1 (+ rate * 1 ms, below). The tolerance is 1 ms, the
 * resolution of the executor's wait: a request may go up to 1 ms early, so
 * that rounding a wait up to whole milliseconds never makes one late and
 * the long-run rate is exact. Above 1000 requests per second this lets up
 * to rate/1000 + 1 requests start together. An idle period earns nothing:
 * after it, requests are again spaced from the first one.
 */
typedef struct tu_rate {
    int64_t interval_ns;    /* 0: no limit */
    int64_t tolerance_ns;
    int64_t tat_ns;         /* theoretical arrival time of the next one */
} tu_rate;

#define TU_RATE_MAX 1000000.0  /* requests per second */

/* per_second: requests per second, 0 (or less) for none; values above
 * TU_RATE_MAX count as TU_RATE_MAX. The first request may start at once. */
void tu_rate_init(tu_rate *rate, double per_second);

/* How long until a request may start (0: now). */
int64_t tu_rate_wait_ns(const tu_rate *rate, int64_t now_ns);

/* A request starts now: spend its token (call only when the wait is 0). */
void tu_rate_take(tu_rate *rate, int64_t now_ns);

/* ---- adaptive concurrency (AIMD) ---------------------------------------
 *
 * Like TCP's congestion control: a congestion signal (HTTP 429, or 503
 * with Retry-After) halves the number of requests allowed in flight (never
 * below 1); every `now` successes since the last change add one (never
 * above max). A burst of congestion signals from requests that were
 * all in flight together halves once: a signal counts only for an attempt
 * started after the last cut. Attempts are numbered by the caller in the
 * order they start (seq), and next_seq is the number the next one will
 * get.
 */
typedef struct tu_aimd {
    long max;            /* the configured concurrency */
    long now;            /* requests allowed in flight now, 1..max */
    long min;            /* the lowest `now` has been */
    long successes;      /* since `now` last changed */
    uint64_t cut_seq;    /* attempts numbered below this predate the cut */
} tu_aimd;

void tu_aimd_init(tu_aimd *aimd, long max);

/* A congestion signal for attempt `seq`. Returns 1 when it cut. */
int tu_aimd_congested(tu_aimd *aimd, uint64_t seq, uint64_t next_seq);

/* A success: after `now` of them, one more is allowed in flight. */
void tu_aimd_succeeded(tu_aimd *aimd);

/* Whether an answer is a congestion signal: 429, or 503 with a positive
 * Retry-After (a Retry-After of 0 cannot be told from none). */
int tu_aimd_is_congestion(long status, curl_off_t retry_after_s);

/* Whether an answer counts as a success for AIMD: the server coped (an
 * HTTP answer from 200 to 499, but 408 and 429). */
int tu_aimd_is_success(CURLcode code, long status);

/* ---- random numbers ---------------------------------------------------- */

/* xorshift64*: the next pseudo-random value; *state must not be 0. */
uint64_t tu_rng_next(uint64_t *state);

/* A non-zero seed from the clock and an address (e.g. the owner's). */
uint64_t tu_rng_seed(const void *salt);

#endif
