/* floor.c -- the floor: a minimal libcurl multi loop doing the same writes.
 *
 *     cc -O2 -o floor bench/floor.c -lcurl      (bench/run builds it)
 *     floor URL_PREFIX N C                      PATCH URL_PREFIX1 .. N
 *
 * Not part of trueup: a reference for the benchmark. It sends N PATCHes of
 * {"ttl":600} (Content-Type: application/json, an empty Expect:) to
 * URL_PREFIX followed by 1..N, keeping exactly C transfers added to one
 * multi handle and reusing each finished easy handle for the next request
 * (the cheapest shape libcurl 7.88 allows: see
 * /work/shared/notes/libcurl-executor.md). It does nothing else: no input
 * to read, no fetch, no diff, no report, no retries. What it takes is what
 * libcurl, the kernel's loopback and the server cost on this machine, so
 * trueup's push phase can be compared with it in the same run.
 *
 * Prints one JSON object: {"requests": N, "failed": F, "elapsed_s": T}.
 * Exit status 0 when every request got a 2xx, 3 otherwise, 2 on bad usage.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static size_t discard(char *p, size_t size, size_t n, void *u)
{
    (void)p;
    (void)u;
    return size * n;
}

static void set_url(CURL *e, const char *prefix, long i)
{
    char url[2048];
    snprintf(url, sizeof url, "%s%ld", prefix, i);
    curl_easy_setopt(e, CURLOPT_URL, url);  /* libcurl copies it */
}

int main(int argc, char **argv)
{
    struct curl_slist *headers = NULL;
    struct timespec t0, t1;
    long n, c, next = 1, done = 0, failed = 0;
    CURLM *multi;

    if (argc != 4 || (n = atol(argv[2])) < 1 || (c = atol(argv[3])) < 1) {
        fprintf(stderr, "usage: floor URL_PREFIX N C\n");
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    multi = curl_multi_init();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < c && next <= n; i++) {
        CURL *e = curl_easy_init();
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PATCH");
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, "{\"ttl\":600}");
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        set_url(e, argv[1], next++);
        curl_multi_add_handle(multi, e);
    }
    while (done < n) {
        int running, left;
        CURLMsg *msg;
        if (curl_multi_perform(multi, &running) != CURLM_OK)
            break;
        while ((msg = curl_multi_info_read(multi, &left))) {
            CURL *e = msg->easy_handle;
            long status = 0;
            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
            if (msg->data.result != CURLE_OK || status < 200 || status > 299)
                failed++;
            done++;
            curl_multi_remove_handle(multi, e);
            if (next <= n) {
                set_url(e, argv[1], next++);
                curl_multi_add_handle(multi, e);
            } else {
                curl_easy_cleanup(e);
            }
        }
        if (done < n && curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK)
            break;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("{\"requests\": %ld, \"failed\": %ld, \"elapsed_s\": %.4f}\n", done,
           failed + (n - done), (double)(t1.tv_sec - t0.tv_sec) +
           (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    curl_multi_cleanup(multi);
    curl_slist_free_all(headers);
    curl_global_cleanup();
    return failed || done < n ? 3 : 0;
}
