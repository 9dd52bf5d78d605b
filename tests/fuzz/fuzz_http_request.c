/* fuzz_http_request.c -- the request heads of trueup watch's HTTP server
 * (cli/http_parse.c).
 *
 * The input goes to tu_http_parse_request as it is. The answer is one of
 * 0 (more bytes needed), 1 (a whole head) or a refusal status (400, 413,
 * 431, 505). A whole head lies inside the input, its method and path do
 * too, the path starts with '/', and parsing just the head's bytes gives
 * the same head (what a server that read exactly that much would see);
 * no prefix of a whole head is whole already. "More bytes needed" is
 * never said of more than TU_HTTP_MAX_HEAD bytes.
 */
#include "fuzz_target.h"
#include "cli/watch.h"

#include <string.h>

static void check_whole(const uint8_t *data, size_t size,
                        const tu_http_request *r)
{
    const char *text = (const char *)data;
    tu_http_request again;

    FUZZ_CHECK(r->head_len > 0 && r->head_len <= size);
    FUZZ_CHECK(r->head_len <= TU_HTTP_MAX_HEAD);
    FUZZ_CHECK(r->method >= text && r->method + r->method_len <= text + size);
    FUZZ_CHECK(r->path >= text && r->path + r->path_len <= text + size);
    FUZZ_CHECK(r->method_len > 0 && r->path_len > 0 && r->path[0] == '/');
    FUZZ_CHECK(memchr(r->path, ' ', r->path_len) == NULL);
    FUZZ_CHECK(r->minor >= 0 && r->minor <= 9);
    FUZZ_CHECK(tu_http_parse_request(text, r->head_len, &again) == 1);
    FUZZ_CHECK(again.head_len == r->head_len && again.path == r->path &&
               again.keep_alive == r->keep_alive);
    FUZZ_CHECK(tu_http_parse_request(text, r->head_len - 1, &again) != 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tu_http_request r;
    int rc = tu_http_parse_request((const char *)data, size, &r);

    if (rc == 1)
        check_whole(data, size, &r);
    else if (rc == 0)
        FUZZ_CHECK(size <= TU_HTTP_MAX_HEAD);
    else
        FUZZ_CHECK(rc == 400 || rc == 413 || rc == 431 || rc == 505);
    return 0;
}
