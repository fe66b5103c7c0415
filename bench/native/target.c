/*
 * Benchmark HTTP target: a destination fast enough that it is never what a benchmark measures.
 *
 *   GET /hello     "hello" (5 bytes), then close — for the connection-rate test
 *   GET /bytes/N   N bytes streamed from one preallocated buffer, then close — for throughput
 *   anything else  404
 *
 * Every response carries "Connection: close" and the server closes first, so TIME_WAIT lands on
 * this side and the load generator never runs out of ephemeral ports.
 * Connections that never send a request (idle tunnels) are simply held open.
 *
 * usage: target [-p port] [-T threads]   prints "listening <port>" once ready; stops on SIGTERM.
 * Threads share the port with SO_REUSEPORT, each with its own epoll loop.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BODY_BUF (1 << 20)
#define REQ_MAX 2048

static char body[BODY_BUF];

enum state { READ_REQ, WRITE_RESP };

struct conn {
  int fd;
  enum state st;
  size_t req_len;
  char req[REQ_MAX];
  char hdr[160];
  size_t hdr_len, hdr_off;
  unsigned long long body_left;
  const char *tail; /* small fixed body (hello / 404) sent after the header */
  size_t tail_len;
};

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4096) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void finish(int ep, struct conn *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c);
}

static void prepare_response(struct conn *c) {
  static const char hello[] = "hello";
  static const char missing[] = "not found";
  unsigned long long n;
  if (strncmp(c->req, "GET /hello ", 11) == 0) {
    c->hdr_len = snprintf(c->hdr, sizeof c->hdr,
                          "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n");
    c->tail = hello;
    c->tail_len = 5;
  } else if (sscanf(c->req, "GET /bytes/%llu ", &n) == 1) {
    c->hdr_len = snprintf(c->hdr, sizeof c->hdr,
                          "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                          "Content-Length: %llu\r\nConnection: close\r\n\r\n",
                          n);
    c->body_left = n;
  } else {
    c->hdr_len = snprintf(c->hdr, sizeof c->hdr,
                          "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\n");
    c->tail = missing;
    c->tail_len = 9;
  }
}

/* Returns 1 when everything is written, 0 when the socket is full, -1 on error. */
static int write_some(struct conn *c) {
  if (c->hdr_off < c->hdr_len) {
    /* The header and a small body go out in one segment, as a real server would send them. */
    char one[256];
    size_t n = c->hdr_len - c->hdr_off;
    memcpy(one, c->hdr + c->hdr_off, n);
    if (c->tail_len) memcpy(one + n, c->tail, c->tail_len);
    ssize_t w = send(c->fd, one, n + c->tail_len, MSG_NOSIGNAL);
    if (w < 0) return errno == EAGAIN ? 0 : -1;
    if ((size_t)w < n) {
      c->hdr_off += w;
      return 0;
    }
    c->hdr_off = c->hdr_len;
    size_t tail_sent = w - n;
    c->tail += tail_sent;
    c->tail_len -= tail_sent;
  }
  while (c->tail_len) {
    ssize_t w = send(c->fd, c->tail, c->tail_len, MSG_NOSIGNAL);
    if (w < 0) return errno == EAGAIN ? 0 : -1;
    c->tail += w;
    c->tail_len -= w;
  }
  while (c->body_left) {
    size_t n = c->body_left < BODY_BUF ? c->body_left : BODY_BUF;
    ssize_t w = send(c->fd, body, n, MSG_NOSIGNAL);
    if (w < 0) return errno == EAGAIN ? 0 : -1;
    c->body_left -= w;
  }
  return 1;
}

static void on_readable(int ep, struct conn *c) {
  ssize_t r = recv(c->fd, c->req + c->req_len, REQ_MAX - 1 - c->req_len, 0);
  if (r == 0 || (r < 0 && errno != EAGAIN)) return finish(ep, c);
  if (r < 0) return;
  c->req_len += r;
  c->req[c->req_len] = 0;
  if (!strstr(c->req, "\r\n\r\n")) {
    if (c->req_len >= REQ_MAX - 1) finish(ep, c);
    return;
  }
  prepare_response(c);
  c->st = WRITE_RESP;
  int done = write_some(c);
  if (done != 0) return finish(ep, c);
  struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void *serve(void *arg) {
  int lfd = (int)(long)arg;
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; i++) {
      struct conn *c = evs[i].data.ptr;
      if (!c) {
        for (;;) {
          int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
          if (fd < 0) break;
          int one = 1;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct conn *nc = calloc(1, sizeof *nc);
          nc->fd = fd;
          struct epoll_event cev = {.events = EPOLLIN, .data.ptr = nc};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        }
      } else if (c->st == READ_REQ) {
        on_readable(ep, c);
      } else if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
        finish(ep, c);
      } else if (write_some(c) != 0) {
        finish(ep, c);
      }
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  int port = 0, threads = 1, opt;
  while ((opt = getopt(argc, argv, "p:T:")) != -1) {
    if (opt == 'p') port = atoi(optarg);
    else if (opt == 'T') threads = atoi(optarg);
    else {
      fprintf(stderr, "usage: target [-p port] [-T threads]\n");
      return 2;
    }
  }
  if (threads < 1 || threads > 64) threads = 1;
  signal(SIGPIPE, SIG_IGN);
  for (size_t i = 0; i < sizeof body; i++) body[i] = (char)(i * 131 + (i >> 8));
  int first = listen_on(port);
  if (first < 0) {
    perror("listen");
    return 1;
  }
  struct sockaddr_in a;
  socklen_t al = sizeof a;
  getsockname(first, (struct sockaddr *)&a, &al);
  port = ntohs(a.sin_port);
  for (int t = 1; t < threads; t++) {
    int lfd = listen_on(port);
    if (lfd < 0) {
      perror("listen (extra thread)");
      return 1;
    }
    pthread_t th;
    pthread_create(&th, NULL, serve, (void *)(long)lfd);
  }
  printf("listening %d\n", port);
  fflush(stdout);
  serve((void *)(long)first);
  return 0;
}
