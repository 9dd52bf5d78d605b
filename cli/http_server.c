/* http_server.c -- a small non-blocking HTTP/1.1 server for trueup watch.
 *
 * It serves /metrics, /healthz and /readyz (the owner's handler decides
 * the answers) from the watch's one poll loop: the listening socket and
 * every connection are non-blocking, and the owner polls them with the
 * jobs' sockets (tu_http_server_fill / tu_http_server_ready). Only GET and
 * HEAD are answered; a request is read whole (its head, at most
 * TU_HTTP_MAX_HEAD bytes; no body), answered with Content-Length, and the
 * connection kept (HTTP/1.1 keep-alive, as Prometheus scrapes) unless
 * the client asked to close it. Connections are capped (MAX_CLIENTS: the
 * oldest idle one is dropped for a new one) and closed after IDLE_MS
 * without a byte, so a slow or silent client cannot pin memory.
 *
 * Requests are read by tu_http_parse_request (http_parse.c).
 */
#define _GNU_SOURCE 1 /* accept4, SOCK_NONBLOCK, SOCK_CLOEXEC: Linux */
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/clock.h"

#define MAX_CLIENTS 32
#define IDLE_MS 30000

/* ---- connections ------------------------------------------------------ */

typedef struct client {
    int fd;
    tu_buffer in, out;
    size_t sent;           /* of out */
    int close_after;       /* close once out is sent */
    long long last_ms;     /* the last byte either way */
} client;

struct tu_http_server {
    int listen_fd, port;
    tu_http_handler handler;
    void *data;
    client clients[MAX_CLIENTS];
    size_t nclients;
    tu_buffer body;        /* reused for every answer */
};

static void client_close(tu_http_server *s, size_t i)
{
    close(s->clients[i].fd);
    tu_buffer_free(&s->clients[i].in);
    tu_buffer_free(&s->clients[i].out);
    s->clients[i] = s->clients[--s->nclients];
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Error";
    }
}

/* Queue an answer on `c`. 0 or -1 (memory). */
static int respond(client *c, int status, const char *type,
                   const tu_buffer *body, int head_only)
{
    char head[256];
    size_t len = body->len;

    snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
             "Content-Length: %zu\r\n%s%s\r\n", status, reason(status),
             type, len, status == 405 ? "Allow: GET, HEAD\r\n" : "",
             c->close_after ? "Connection: close\r\n" : "");
    if (tu_buffer_puts(&c->out, head) != 0)
        return -1;
    return head_only || !len ? 0 : tu_buffer_add(&c->out, body->data, len);
}

/* An error answer (the connection closes after it). */
static int respond_error(tu_http_server *s, client *c, int status)
{
    tu_buffer_clear(&s->body, 4096);
    if (tu_buffer_puts(&s->body, reason(status)) != 0 ||
        tu_buffer_puts(&s->body, "\n") != 0)
        return -1;
    c->close_after = 1;
    return respond(c, status, "text/plain; charset=utf-8", &s->body, 0);
}

/* Answer one parsed request. 0 or -1. */
static int answer(tu_http_server *s, client *c, const tu_http_request *req)
{
    int head = req->method_len == 4 && memcmp(req->method, "HEAD", 4) == 0;
    int get = req->method_len == 3 && memcmp(req->method, "GET", 3) == 0;
    const char *type = "text/plain; charset=utf-8";
    int status;

    if (!get && !head)
        return respond_error(s, c, 405);
    c->close_after = !req->keep_alive;
    tu_buffer_clear(&s->body, 1 << 20);
    status = s->handler(req->path, req->path_len, &s->body, &type, s->data);
    return respond(c, status, type, &s->body, head);
}

/* Answer every whole request in c->in (pipelined ones in order). */
static int handle_input(tu_http_server *s, client *c)
{
    tu_http_request req;
    size_t done = 0;
    int rc;

    while (!c->close_after &&
           (rc = tu_http_parse_request(c->in.data + done, c->in.len - done,
                                       &req)) != 0) {
        if (rc != 1)
            return respond_error(s, c, rc);
        if (answer(s, c, &req) != 0)
            return -1;
        done += req.head_len;
    }
    if (done) {
        memmove(c->in.data, c->in.data + done, c->in.len - done);
        tu_buffer_truncate(&c->in, c->in.len - done);
    }
    return 0;
}

/* Read what the client sent; answer what is whole. 0, or -1: close. */
static int client_read(tu_http_server *s, client *c)
{
    char chunk[4096];
    ssize_t n;

    for (;;) {
        n = recv(c->fd, chunk, sizeof chunk, 0);
        if (n == 0) {            /* the client is done sending: answer */
            c->close_after = 1;  /* what it asked, then close */
            return c->out.len > c->sent ? 0 : -1;
        }
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
                   ? 0 : -1;
        if (c->close_after)
            continue;        /* answering an error: the rest is dropped */
        if (tu_buffer_add(&c->in, chunk, (size_t)n) != 0 ||
            handle_input(s, c) != 0)
            return -1;
        if (c->in.len > TU_HTTP_MAX_HEAD + sizeof chunk)
            return -1;
    }
}

/* Send what is queued. 0, or -1: close (an error, or all sent and the
 * connection is not kept). */
static int client_write(client *c)
{
    while (c->sent < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + c->sent, c->out.len - c->sent,
                         MSG_NOSIGNAL);
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
                   ? 0 : -1;
        c->sent += (size_t)n;
    }
    tu_buffer_clear(&c->out, 1 << 16);
    c->sent = 0;
    return c->close_after ? -1 : 0;
}

/* The connection idle the longest, to make room for a new one. */
static size_t oldest(const tu_http_server *s)
{
    size_t best = 0;
    for (size_t i = 1; i < s->nclients; i++)
        if (s->clients[i].last_ms < s->clients[best].last_ms)
            best = i;
    return best;
}

static void accept_clients(tu_http_server *s, long long now)
{
    int fd;

    while ((fd = accept4(s->listen_fd, NULL, NULL,
                         SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        client *c;
        if (s->nclients == MAX_CLIENTS)
            client_close(s, oldest(s));
        c = &s->clients[s->nclients++];
        memset(c, 0, sizeof *c);
        c->fd = fd;
        c->last_ms = now;
    }
}

size_t tu_http_server_nfds(const tu_http_server *s)
{
    return 1 + s->nclients;
}

size_t tu_http_server_fill(tu_http_server *s, struct pollfd *pfds)
{
    pfds[0].fd = s->listen_fd;
    pfds[0].events = POLLIN;
    for (size_t i = 0; i < s->nclients; i++) {
        pfds[1 + i].fd = s->clients[i].fd;
        pfds[1 + i].events = s->clients[i].out.len > s->clients[i].sent
                             ? POLLOUT : POLLIN;
    }
    return 1 + s->nclients;
}

/* Handle one connection's events; 0, or -1 when it is to close. */
static int client_ready(tu_http_server *s, client *c, short revents,
                        long long now)
{
    if (revents & (POLLERR | POLLNVAL))
        return -1;
    if (revents & (POLLIN | POLLHUP)) {
        c->last_ms = now;
        if (client_read(s, c) != 0)
            return -1;
    }
    if (c->out.len > c->sent) {
        c->last_ms = now;
        return client_write(c);
    }
    return 0;
}

void tu_http_server_ready(tu_http_server *s, const struct pollfd *pfds,
                          size_t n, long long now_ms)
{
    /* From the last: closing one moves the last into its place. */
    for (size_t i = n; i-- > 1;) {
        size_t k;
        for (k = 0; k < s->nclients && s->clients[k].fd != pfds[i].fd; k++)
            ;
        if (k < s->nclients && pfds[i].revents &&
            client_ready(s, &s->clients[k], pfds[i].revents, now_ms) != 0)
            client_close(s, k);
    }
    for (size_t i = s->nclients; i-- > 0;)
        if (now_ms - s->clients[i].last_ms >= IDLE_MS)
            client_close(s, i);
    if (n > 0 && (pfds[0].revents & POLLIN))
        accept_clients(s, now_ms);
}

long long tu_http_server_due(const tu_http_server *s)
{
    long long due = -1;
    for (size_t i = 0; i < s->nclients; i++)
        if (due < 0 || s->clients[i].last_ms + IDLE_MS < due)
            due = s->clients[i].last_ms + IDLE_MS;
    return due;
}

/* Split "HOST:PORT" or "[V6]:PORT" into host and port. 0 or -1. */
static int split_address(const char *address, char *host, size_t hsize,
                         const char **port)
{
    const char *colon = strrchr(address, ':');
    size_t n;

    if (!colon || !colon[1])
        return -1;
    n = (size_t)(colon - address);
    if (address[0] == '[') {
        if (n < 2 || address[n - 1] != ']')
            return -1;
        address++;
        n -= 2;
    }
    if (n == 0 || n >= hsize)
        return -1;
    memcpy(host, address, n);
    host[n] = '\0';
    *port = colon + 1;
    return 0;
}

/* A non-blocking socket listening on `address`; -1 (said on stderr). */
static int listen_on(const char *address, int *port_out)
{
    struct addrinfo hints = {0}, *ai = NULL;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[256];
    const char *port;
    int fd = -1, one = 1, rc;

    if (split_address(address, host, sizeof host, &port) != 0) {
        tu_cli_error("--listen: '%s' is not HOST:PORT (as 127.0.0.1:9479, "
                     "[::1]:9479 or 0.0.0.0:9479)", address);
        return -1;
    }
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
        tu_cli_error("--listen: '%s': %s (give a numeric address and port)",
                     address, gai_strerror(rc));
        return -1;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
                             sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        tu_cli_error("--listen: cannot listen on %s: %s", address,
                     strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    } else {
        *port_out = ntohs(ss.ss_family == AF_INET6
                          ? ((struct sockaddr_in6 *)&ss)->sin6_port
                          : ((struct sockaddr_in *)&ss)->sin_port);
    }
    freeaddrinfo(ai);
    return fd;
}

tu_http_server *tu_http_server_new(const char *address,
                                   tu_http_handler handler, void *data)
{
    tu_http_server *s = calloc(1, sizeof *s);

    if (!s) {
        tu_cli_error("out of memory");
        return NULL;
    }
    s->listen_fd = listen_on(address, &s->port);
    if (s->listen_fd < 0) {
        free(s);
        return NULL;
    }
    s->handler = handler;
    s->data = data;
    return s;
}

int tu_http_server_port(const tu_http_server *s)
{
    return s->port;
}

void tu_http_server_free(tu_http_server *s)
{
    if (!s)
        return;
    while (s->nclients)
        client_close(s, s->nclients - 1);
    close(s->listen_fd);
    tu_buffer_free(&s->body);
    free(s);
}
