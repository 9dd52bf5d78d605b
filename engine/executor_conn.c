/* executor_conn.c -- how the executor's requests use connections: HTTP
 * version and multiplexing, the connection limit, the TLS state a run
 * shares, and the re-send guard (see executor_conn.h for what and why).
 *
 * What libcurl 7.88 does underneath, read in its source (lib/multi.c,
 * lib/transfer.c, lib/http2.c, lib/vtls/openssl.c, lib/vtls/vtls.c) and
 * recorded in /work/shared/notes/libcurl-executor.md:
 *   - every transfer of one multi handle shares its connection pool, so
 *     a run's requests share connections without a CURLSH;
 *   - each new TLS connection builds a new SSL_CTX (ossl_connect_step1),
 *     but its CA store can come from a cache kept per multi handle for
 *     CURLOPT_CA_CACHE_TIMEOUT (24 h by default) -- only when no CA path
 *     is set, and Debian's libcurl sets /etc/ssl/certs by default, so the
 *     CA path is cleared here (the CA bundle holds the same certificates);
 *   - TLS sessions are cached per easy handle unless a CURLSH shares
 *     CURL_LOCK_DATA_SSL_SESSION: without it, a handle that opens a new
 *     connection cannot resume another handle's session;
 *   - h2c with prior knowledge works only for the first request of a
 *     connection before 8.0.0 (curl issue 10634): such requests get a
 *     connection each.
 */
#include "executor_conn.h"
#include "state/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- settings ------------------------------------------------------- */

static int check_readable(const char *what, const char *path, tu_error *err)
{
    if (!path || access(path, R_OK) == 0)
        return 0;
    tu_error_set(err, TU_ERR_IO, "executor: cannot read %s %s: %s", what,
                 path, strerror(errno));
    return -1;
}

static int check_config(const tu_exec_config *config, tu_error *err)
{
    if (config->http2 < TU_HTTP2_AUTO || config->http2 > TU_HTTP2_OFF) {
        tu_error_set(err, TU_ERR_BAD_INPUT,
                     "executor: http2 must be auto, on or off");
        return -1;
    }
    if (config->max_connections < 0 || config->max_connections > 10000) {
        tu_error_set(err, TU_ERR_BAD_INPUT, "executor: max_connections "
                     "must be between 1 and 10000, or 0 for no limit (got "
                     "%ld)", config->max_connections);
        return -1;
    }
    if (config->client_key && !config->client_cert) {
        tu_error_set(err, TU_ERR_BAD_INPUT,
                     "executor: client_key needs client_cert");
        return -1;
    }
    if (check_readable("ca_file", config->ca_file, err) < 0 ||
        check_readable("client_cert", config->client_cert, err) < 0 ||
        check_readable("client_key", config->client_key, err) < 0)
        return -1;
    return 0;
}

/* A copy of an optional string: 0, or -1 when out of memory. */
static int copy_optional(char **to, const char *from)
{
    *to = NULL;
    if (from && !(*to = strdup(from)))
        return -1;
    return 0;
}

/* TLS sessions and DNS answers, shared by every easy handle of the run. */
static CURLSH *new_share(void)
{
    CURLSH *share = curl_share_init();

    if (share &&
        (curl_share_setopt(share, CURLSHOPT_SHARE,
                           CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK ||
         curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) !=
             CURLSHE_OK)) {
        curl_share_cleanup(share);
        return NULL;
    }
    return share;
}

int tu_exec_conn_init(tu_exec_conn *conn, const tu_exec_config *config,
                      tu_error *err)
{
    memset(conn, 0, sizeof *conn);
    if (check_config(config, err) < 0)
        return -1;
    conn->http2 = config->http2;
    conn->max_connections = config->max_connections;
    conn->h2c_one_request = curl_version_info(CURLVERSION_NOW)->version_num <
                            0x080000;
    conn->insecure = config->insecure != 0;
    conn->share = new_share();
    if (!conn->share || copy_optional(&conn->ca_file, config->ca_file) < 0 ||
        copy_optional(&conn->client_cert, config->client_cert) < 0 ||
        copy_optional(&conn->client_key, config->client_key) < 0) {
        tu_error_set(err, TU_ERR_NOMEM,
                     "executor: cannot set up (out of memory)");
        return -1;
    }
    return 0;
}

void tu_exec_conn_free(tu_exec_conn *conn)
{
    if (conn->share)
        curl_share_cleanup(conn->share);
    free(conn->ca_file);
    free(conn->client_cert);
    free(conn->client_key);
    memset(conn, 0, sizeof *conn);
}

/* ---- the multi handle ----------------------------------------------- */

int tu_exec_conn_setup_multi(const tu_exec_conn *conn, CURLM *multi,
                             long concurrency)
{
    long pipelining = conn->http2 == TU_HTTP2_OFF ? CURLPIPE_NOTHING
                                                  : CURLPIPE_MULTIPLEX;
    long pool = concurrency > conn->max_connections ? concurrency
                                                    : conn->max_connections;

    if (curl_multi_setopt(multi, CURLMOPT_PIPELINING, pipelining) ||
        curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, pool) ||
        curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                          conn->max_connections))
        return -1;
    /* libcurl's own cap on streams per connection is 100; the server's
     * SETTINGS still bound it. */
    if (concurrency > 100 &&
        curl_multi_setopt(multi, CURLMOPT_MAX_CONCURRENT_STREAMS,
                          concurrency))
        return -1;
    return 0;
}

/* ---- one request ---------------------------------------------------- */

static int is_https(const char *url)
{
    return strncasecmp(url, "https://", 8) == 0;
}

/* CURLOPT_HTTP_VERSION for a URL: HTTP/2 by ALPN over TLS unless off;
 * over cleartext HTTP/1.1, or HTTP/2 with prior knowledge when on. */
static long http_version(const tu_exec_conn *conn, const char *url)
{
    if (conn->http2 == TU_HTTP2_OFF)
        return CURL_HTTP_VERSION_1_1;
    if (is_https(url))
        return CURL_HTTP_VERSION_2TLS;
    return conn->http2 == TU_HTTP2_ON ? CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE
                                      : CURL_HTTP_VERSION_1_1;
}

static CURLcode set_tls(const tu_exec_conn *conn, CURL *easy)
{
    /* No CA path: libcurl then caches the CA store for the whole run. */
    CURLcode rc = curl_easy_setopt(easy, CURLOPT_CAPATH, NULL);

    if (rc == CURLE_OK && conn->ca_file)
        rc = curl_easy_setopt(easy, CURLOPT_CAINFO, conn->ca_file);
    if (rc == CURLE_OK && conn->client_cert)
        rc = curl_easy_setopt(easy, CURLOPT_SSLCERT, conn->client_cert);
    if (rc == CURLE_OK && conn->client_key)
        rc = curl_easy_setopt(easy, CURLOPT_SSLKEY, conn->client_key);
    if (rc == CURLE_OK && conn->insecure)
        rc = curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    if (rc == CURLE_OK && conn->insecure)
        rc = curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    return rc;
}

CURLcode tu_exec_conn_set(const tu_exec_conn *conn, CURL *easy,
                          const char *url)
{
    long version = http_version(conn, url);
    int one_request = version == CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE &&
                      conn->h2c_one_request;
    CURLcode rc = curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, version);

    /* Wait for a connection that can multiplex rather than open more. */
    if (rc == CURLE_OK && version != CURL_HTTP_VERSION_1_1 && !one_request)
        rc = curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
    if (rc == CURLE_OK && one_request)
        rc = curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
    if (rc == CURLE_OK && one_request)
        rc = curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(easy, CURLOPT_SHARE, conn->share);
    if (rc == CURLE_OK)
        rc = set_tls(conn, easy);
    return rc;
}

/* ---- the re-send guard ---------------------------------------------- */

static size_t guard_read(char *buf, size_t size, size_t nmemb, void *userp)
{
    tu_send_guard *g = userp;
    size_t room = size * nmemb, left = g->len - g->pos;
    size_t n = left < room ? left : room;

    memcpy(buf, g->body + g->pos, n);
    g->pos += n;
    return n;
}

/* libcurl is about to send the request again: allow it only for a stream
 * HTTP/2 refused (see executor_conn.h). */
static int guard_seek(void *userp, curl_off_t offset, int origin)
{
    tu_send_guard *g = userp;

    if (offset != 0 || origin != SEEK_SET || !g->last_h2 || g->errbuf[0]) {
        g->refused = 1;
        return CURL_SEEKFUNC_FAIL;
    }
    g->pos = 0;
    g->allowed++;
    return CURL_SEEKFUNC_OK;
}

/* Whether the request head (the first line: "METHOD target HTTP/x")
 * names HTTP/2. */
static int head_is_h2(const char *data, size_t len)
{
    const char *eol = memchr(data, '\n', len);
    size_t n = eol ? (size_t)(eol - data) : len;

    if (n && data[n - 1] == '\r')
        n--;
    return n >= 7 && memcmp(data + n - 7, " HTTP/2", 7) == 0;
}

/* Each request head libcurl sends starts with the method: count them, and
 * note the HTTP version of the last. Everything else is ignored. */
static int guard_debug(CURL *easy, curl_infotype type, char *data,
                       size_t len, void *userp)
{
    tu_send_guard *g = userp;

    (void)easy;
    if (type != CURLINFO_HEADER_OUT || len <= g->method_len ||
        memcmp(data, g->method, g->method_len) != 0 ||
        data[g->method_len] != ' ')
        return 0;
    g->sends++;
    g->last_h2 = head_is_h2(data, len);
    return 0;
}

static CURLcode set_guard_callbacks(tu_send_guard *g, CURL *easy)
{
    CURLcode rc = curl_easy_setopt(easy, CURLOPT_READFUNCTION, guard_read);

    if (rc == CURLE_OK)
        rc = curl_easy_setopt(easy, CURLOPT_READDATA, g);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, guard_seek);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(easy, CURLOPT_SEEKDATA, g);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(easy, CURLOPT_DEBUGFUNCTION, guard_debug);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(easy, CURLOPT_DEBUGDATA, g);
    if (rc == CURLE_OK)  /* the debug callback is only called when verbose */
        rc = curl_easy_setopt(easy, CURLOPT_VERBOSE, 1L);
    return rc;
}

CURLcode tu_send_guard_set(tu_send_guard *g, CURL *easy, const char *method,
                           const char *body, size_t len, const char *errbuf)
{
    CURLcode rc;

    memset(g, 0, sizeof *g);
    g->body = body;
    g->len = len;
    g->method = method;
    g->method_len = strlen(method);
    g->errbuf = errbuf;
    rc = curl_easy_setopt(easy, CURLOPT_POST, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                              (curl_off_t)len);
    if (rc == CURLE_OK && strcmp(method, "POST") != 0)
        rc = curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
    if (rc == CURLE_OK)
        rc = set_guard_callbacks(g, easy);
    return rc;
}
