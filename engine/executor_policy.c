/* executor_policy.c -- retry decisions, backoff, the rate limit and
 * adaptive concurrency (see executor_policy.h). */
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

/* The answers worth another try for an idempotent request. */
static int is_retry_status(long status)
{
    switch (status) {
    case 408:
    case 500:
    case 502:
    case 503:
    case 504:
        return 1;
    default:
        return 0;
    }
}

int tu_retry_wanted(CURLcode code, long status, int idempotent,
                    long request_size)
{
    if (code == CURLE_OK) {
        if (status == 429)
            return 1;
        return idempotent && is_retry_status(status);
    }
    if (!is_connection_failure(code))
        return 0;
    return idempotent || never_left(code, request_size);
}

int tu_may_have_arrived(CURLcode code, long status, int idempotent,
                        long request_size)
{
    if (idempotent)
        return 0;
    if (code == CURLE_OK)
        return status == 408 || (status >= 500 && status <= 599);
    return !never_left(code, request_size);
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

/* ---- the rate limit ---------------------------------------------------- */

#define RATE_TOLERANCE_NS INT64_C(1000000)

void tu_rate_init(tu_rate *rate, double per_second)
{
    rate->interval_ns = 0;
    rate->tolerance_ns = 0;
    rate->tat_ns = INT64_MIN;
    if (!(per_second > 0))  /* 0, negative or NaN: no limit */
        return;
    if (per_second > TU_RATE_MAX)
        per_second = TU_RATE_MAX;
    rate->interval_ns = (int64_t)(1e9 / per_second + 0.5);
    rate->tolerance_ns = RATE_TOLERANCE_NS;
}

int64_t tu_rate_wait_ns(const tu_rate *rate, int64_t now_ns)
{
    int64_t allowed_at;

    if (rate->interval_ns == 0 || rate->tat_ns == INT64_MIN)
        return 0;
    allowed_at = rate->tat_ns - rate->tolerance_ns;
    return now_ns >= allowed_at ? 0 : allowed_at - now_ns;
}

void tu_rate_take(tu_rate *rate, int64_t now_ns)
{
    if (rate->interval_ns == 0)
        return;
    if (rate->tat_ns == INT64_MIN || rate->tat_ns < now_ns)
        rate->tat_ns = now_ns;
    rate->tat_ns += rate->interval_ns;
}

/* ---- adaptive concurrency ------------------------------------------------ */

void tu_aimd_init(tu_aimd *aimd, long max)
{
    aimd->max = max > 0 ? max : 1;
    aimd->now = aimd->max;
    aimd->min = aimd->max;
    aimd->successes = 0;
    aimd->cut_seq = 0;
}

int tu_aimd_congested(tu_aimd *aimd, uint64_t seq, uint64_t next_seq)
{
    if (seq < aimd->cut_seq)
        return 0;  /* in flight at the last cut: already accounted for */
    aimd->now = aimd->now > 1 ? aimd->now / 2 : 1;
    if (aimd->now < aimd->min)
        aimd->min = aimd->now;
    aimd->successes = 0;
    aimd->cut_seq = next_seq;
    return 1;
}

void tu_aimd_succeeded(tu_aimd *aimd)
{
    if (aimd->now >= aimd->max)
        return;
    if (++aimd->successes >= aimd->now) {
        aimd->now++;
        aimd->successes = 0;
    }
}

int tu_aimd_is_congestion(long status, curl_off_t retry_after_s)
{
    return status == 429 || (status == 503 && retry_after_s > 0);
}

int tu_aimd_is_success(CURLcode code, long status)
{
    return code == CURLE_OK && status >= 200 && status <= 499 &&
           status != 408 && status != 429;
}

/* ---- random numbers ------------------------------------------------------ */

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
