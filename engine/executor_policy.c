/* executor_policy.c -- retry decisions and backoff (see executor_policy.h). */
#include "executor_policy.h"

#include <time.h>

static int is_connection_failure(CURLcode code)
{
    switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_OPERATION_TIMEDOUT:
        return 1;
    default:
        return 0;
    }
}

static int never_left(CURLcode code, long request_size)
{
    return code == CURLE_COULDNT_RESOLVE_HOST ||
           code == CURLE_COULDNT_CONNECT || request_size == 0;
}

int tu_retry_wanted(CURLcode code, long status, int idempotent,
                    long request_size)
{
    if (code == CURLE_OK) {
        if (status == 429)
            return 1;
        return idempotent && (status == 502 || status == 503 || status == 504);
    }
    if (!is_connection_failure(code))
        return 0;
    return idempotent || never_left(code, request_size);
}

long tu_retry_ceiling_ms(unsigned attempts, long base_ms, long max_ms)
{
    unsigned shift = attempts > 0 ? attempts - 1 : 0;

    if (base_ms <= 0 || max_ms <= 0)
        return 0;
    if (shift >= 31 || base_ms > (max_ms >> shift))
        return max_ms;
    return base_ms << shift;
}

static long retry_after_floor_ms(curl_off_t retry_after_s, long max_ms)
{
    if (retry_after_s <= 0 || max_ms <= 0)
        return 0;
    if (retry_after_s > (curl_off_t)(max_ms / 1000))
        return max_ms;
    return (long)retry_after_s * 1000;
}

long tu_retry_delay_ms(unsigned attempts, long base_ms, long max_ms,
                       curl_off_t retry_after_s, uint64_t *rng)
{
    long ceiling = tu_retry_ceiling_ms(attempts, base_ms, max_ms);
    long jitter = (long)(tu_rng_next(rng) % ((uint64_t)ceiling + 1));
    long least = retry_after_floor_ms(retry_after_s, max_ms);

    return jitter > least ? jitter : least;
}

uint64_t tu_rng_next(uint64_t *state)
{
    uint64_t x = *state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * UINT64_C(0x2545F4914F6CDD1D);
}

/* splitmix64's finaliser: spreads a weak seed over all 64 bits. */
static uint64_t mix64(uint64_t z)
{
    z += UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

uint64_t tu_rng_seed(const void *salt)
{
    struct timespec ts = {0, 0};
    uint64_t seed;

    clock_gettime(CLOCK_REALTIME, &ts);
    seed = mix64((uint64_t)ts.tv_sec * UINT64_C(1000000000) +
                 (uint64_t)ts.tv_nsec) ^
           mix64((uint64_t)(uintptr_t)salt);
    return seed ? seed : UINT64_C(0x9E3779B97F4A7C15);
}
