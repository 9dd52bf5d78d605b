/* http_parse.c -- reading an HTTP/1.1 request head, for trueup watch's
 * server (http_server.c).
 *
 * Pure: tu_http_parse_request (watch.h) looks at bytes and says whether a
 * whole request head is there, what it asks for, or why it is refused. It
 * accepts what RFC 9112 says a server should (CRLF or bare LF line ends,
 * empty lines before the request line) and refuses the rest with a status:
 * a malformed request line or header (400, also obsolete line folding and
 * whitespace before a header's colon, the smuggling vectors), a request
 * with a body (413: only GET and HEAD are answered), a head over
 * TU_HTTP_MAX_HEAD bytes (431), another HTTP version (505). Unit-tested
 * (tests/unit/test_http_parse.c) and fuzzed (tests/fuzz/fuzz_http_request.c).
 */
#include "watch.h"

#include <string.h>
#include <strings.h>

/* The end of the line starting at `p` (its '\n'), or NULL. */
static const char *line_end(const char *p, const char *end)
{
    return memchr(p, '\n', (size_t)(end - p));
}

/* A line's length without its CR. */
static size_t line_len(const char *p, const char *nl)
{
    return (size_t)(nl - p) - (nl > p && nl[-1] == '\r');
}

static int is_token(char c)
{
    return c > ' ' && c < 127 && !strchr("()<>@,;:\\\"/[]?={}", c);
}

/* "METHOD SP TARGET SP HTTP/1.x". 0, or the status to refuse with. */
static int parse_request_line(const char *p, size_t n, tu_http_request *req)
{
    const char *sp1 = memchr(p, ' ', n), *sp2, *q, *ver;

    if (!sp1 || sp1 == p)
        return 400;
    for (q = p; q < sp1; q++)
        if (!is_token(*q))
            return 400;
    sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - p));
    if (!sp2 || sp2 == sp1 + 1 || sp1[1] != '/')
        return 400;
    for (q = sp1 + 1; q < sp2; q++)
        if (*q <= ' ' || *q == 127)
            return 400;
    ver = sp2 + 1;
    if (p + n - ver != 8 || memcmp(ver, "HTTP/", 5) != 0 ||
        ver[5] < '0' || ver[5] > '9' || ver[6] != '.' ||
        ver[7] < '0' || ver[7] > '9')
        return 400;
    if (ver[5] != '1')
        return 505;
    req->method = p;
    req->method_len = (size_t)(sp1 - p);
    req->path = sp1 + 1;
    q = memchr(req->path, '?', (size_t)(sp2 - req->path));
    req->path_len = (size_t)((q ? q : sp2) - req->path);
    req->minor = ver[7] - '0';
    req->keep_alive = req->minor >= 1;
    return 0;
}

/* Does the header value hold `word` as one of its comma-separated
 * tokens (case-insensitive)? */
static int has_token(const char *v, size_t n, const char *word)
{
    size_t w = strlen(word), i = 0;

    while (i < n) {
        size_t start, end;
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        start = i;
        while (i < n && v[i] != ',')
            i++;
        end = i;
        while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
            end--;
        if (end - start == w && strncasecmp(v + start, word, w) == 0)
            return 1;
    }
    return 0;
}

/* One header line. 0, or the status to refuse with. */
static int parse_header(const char *p, size_t n, tu_http_request *req)
{
    const char *colon = memchr(p, ':', n), *v;
    size_t name_len, vlen;

    if (!colon || colon == p)
        return 400;
    for (v = p; v < colon; v++)
        if (!is_token(*v))
            return 400;      /* also: whitespace before the colon */
    name_len = (size_t)(colon - p);
    v = colon + 1;
    vlen = n - name_len - 1;
    if (name_len == 10 && strncasecmp(p, "connection", 10) == 0) {
        if (has_token(v, vlen, "close"))
            req->keep_alive = 0;
        else if (has_token(v, vlen, "keep-alive"))
            req->keep_alive = 1;
    } else if ((name_len == 17 &&
                strncasecmp(p, "transfer-encoding", 17) == 0) ||
               (name_len == 14 && strncasecmp(p, "content-length", 14) == 0 &&
                !has_token(v, vlen, "0"))) {
        return 413;          /* a body: nothing here takes one */
    }
    return 0;
}

int tu_http_parse_request(const char *text, size_t len, tu_http_request *req)
{
    const char *p = text, *end = text + len, *nl;
    int status;

    memset(req, 0, sizeof *req);
    while (p < end && (*p == '\r' || *p == '\n'))
        p++;                 /* empty lines before a request are allowed */
    nl = line_end(p, end);
    if (!nl)
        return len > TU_HTTP_MAX_HEAD ? 431 : 0;
    if ((status = parse_request_line(p, line_len(p, nl), req)) != 0)
        return status;
    for (p = nl + 1; (nl = line_end(p, end)) != NULL; p = nl + 1) {
        size_t n = line_len(p, nl);
        if (n == 0) {
            req->head_len = (size_t)(nl + 1 - text);
            return req->head_len > TU_HTTP_MAX_HEAD ? 431 : 1;
        }
        if (*p == ' ' || *p == '\t')
            return 400;      /* obsolete line folding */
        if ((status = parse_header(p, n, req)) != 0)
            return status;
    }
    return len > TU_HTTP_MAX_HEAD ? 431 : 0;
}
