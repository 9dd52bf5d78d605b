/* executor_policy.h -- the executor's pure decisions: when to retry, how
 * long to wait, and the random numbers behind the jitter.
 *
 * Kept apart from executor.c, which does the I/O, so that unit tests can
 * check the policy without a network. Nothing here allocates or keeps
 * global state: the random generator's state belongs to the caller.
 */
#ifndef TU_ENGINE_EXECUTOR_POLICY_H
#define TU_ENGINE_EXECUTOR_POLICY_H

#include <stdint.h>
#include <curl/curl.h>

/* Whether a finished attempt deserves another (attempts left aside).
 *
 * code is the transfer's result, status the HTTP status (0: none),
 * request_size libcurl's CURLINFO_REQUEST_SIZE (0: no request byte sent).
 *
 *  - HTTP 502, 503, 504: only when idempotent (the request may have been
 *    acted on before the gateway or server gave up).
 *  - HTTP 429: for every method, POST included: 429 says the request was
 *    refused unprocessed because of its rate (RFC 6585, section 4).
 *  - Connection-level failures (could not resolve or connect, got
 *    nothing, send/receive error, partial file, HTTP/2 errors, timeout):
 *    when idempotent; otherwise only when the request certainly never
 *    left: resolve or connect failed, or request_size is 0.
 *  - Anything else (a 4xx, a malformed URL, a body over the cap) is final.
 */
int tu_retry_wanted(CURLcode code, long status, int idempotent,
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

/* xorshift64*: the next pseudo-random value; *state must not be 0. */
uint64_t tu_rng_next(uint64_t *state);

/* A non-zero seed from the clock and an address (e.g. the owner's). */
uint64_t tu_rng_seed(const void *salt);

#endif
