/*
 * Connection-rate load generator: keeps C connections in flight, each one a fresh TCP connection that
 * (optionally) does a SOCKS5 no-auth handshake + CONNECT, sends one small GET, reads the response until
 * the whole body (by Content-Length) is in, and closes. Written in C with epoll so the client is never the bottleneck.
 *
 * usage: loadgen -t ip:port [-x socks5-ip:port] [-c concurrency] [-d seconds] [-w warmup] [-T threads] [-P path]
 *
 * Prints one JSON line: completed requests inside the measured window, the rate, errors, and the
 * time to first byte (connect start → first response byte, SOCKS handshake included) p50/p90/p99 in ms.
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
#include <time.h>
#include <unistd.h>

#define CONN_TIMEOUT_NS (10ULL * 1000000000ULL)

enum state { CONNECTING, GREETING, CONNECT_REPLY, RESPONSE };

struct slot {
  int fd;
  enum state st;
  unsigned long long started, first_byte;
  size_t got; /* bytes of the current SOCKS reply, or of the HTTP response */
  char buf[512];
};

struct worker {
  int concurrency;
  unsigned long long warm_at, end_at;
  unsigned long long completed, errors, timeouts;
  unsigned *ttfb_us; /* time to first byte of each completed request inside the window */
  size_t n_ttfb, cap_ttfb;
  const char *err_sample;
};

static struct sockaddr_in target, proxy;
static int use_proxy;
static char request[256];
static size_t request_len;
static unsigned char socks_connect[10];

static unsigned long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int parse_addr(const char *s, struct sockaddr_in *a) {
  char host[64];
  const char *colon = strrchr(s, ':');
  if (!colon || colon - s >= (long)sizeof host) return -1;
  memcpy(host, s, colon - s);
  host[colon - s] = 0;
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_port = htons(atoi(colon + 1));
  return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static void start(int ep, struct worker *w, struct slot *s) {
  memset(s, 0, sizeof *s);
  s->started = now_ns();
  s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (s->fd < 0) {
    w->errors++;
    w->err_sample = "socket";
    s->fd = -1;
    return;
  }
  int one = 1;
  setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in *to = use_proxy ? &proxy : &target;
  s->st = CONNECTING;
  int r = connect(s->fd, (struct sockaddr *)to, sizeof *to);
  if (r < 0 && errno != EINPROGRESS) {
    w->errors++;
    w->err_sample = "connect";
    close(s->fd);
    s->fd = -1;
    return;
  }
  struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = s};
  epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
}

static void end(int ep, struct worker *w, struct slot *s, const char *err) {
  unsigned long long t = now_ns();
  epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
  if (!err) {
    /* The response is complete. If the far side has closed already, a plain close leaves nothing behind;
     * otherwise close abortively: a normal active close would leave a TIME_WAIT per request here, and
     * at tens of thousands per second those crowd the ephemeral ports until connect() itself slows. */
    char c;
    if (recv(s->fd, &c, 1, MSG_DONTWAIT) != 0) {
      struct linger lg = {1, 0};
      setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
  }
  close(s->fd);
  s->fd = -1;
  if (err) {
    if (t < w->end_at) {
      w->errors++;
      w->err_sample = err;
    }
  } else if (s->started >= w->warm_at && t <= w->end_at) {
    w->completed++;
    if (w->n_ttfb == w->cap_ttfb) {
      w->cap_ttfb = w->cap_ttfb ? w->cap_ttfb * 2 : 65536;
      w->ttfb_us = realloc(w->ttfb_us, w->cap_ttfb * sizeof *w->ttfb_us);
    }
    w->ttfb_us[w->n_ttfb++] = (unsigned)((s->first_byte - s->started) / 1000);
  }
  if (t < w->end_at) start(ep, w, s);
}

static int send_all(int fd, const void *b, size_t n) {
  /* Each message is a few bytes on a fresh socket: it always fits, so a short write is an error. */
  return send(fd, b, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

static void want(int ep, struct slot *s, unsigned events) {
  struct epoll_event ev = {.events = events, .data.ptr = s};
  epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
}

/* Length of a SOCKS5 reply once enough bytes are there to tell, else 0. */
static size_t socks_reply_len(const struct slot *s) {
  if (s->got < 5) return 0;
  unsigned char atyp = (unsigned char)s->buf[3];
  if (atyp == 1) return 10;
  if (atyp == 4) return 22;
  if (atyp == 3) return 7 + (unsigned char)s->buf[4];
  return 1; /* unknown type: caught as an error by the caller */
}

static void step(int ep, struct worker *w, struct slot *s, unsigned events) {
  if (s->st == CONNECTING) {
    int err = 0;
    socklen_t l = sizeof err;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l);
    if (err || (events & EPOLLERR)) return end(ep, w, s, "connect refused");
    if (use_proxy) {
      static const unsigned char greet[] = {5, 1, 0};
      if (send_all(s->fd, greet, sizeof greet)) return end(ep, w, s, "send greeting");
      s->st = GREETING;
    } else {
      if (send_all(s->fd, request, request_len)) return end(ep, w, s, "send request");
      s->st = RESPONSE;
    }
    return want(ep, s, EPOLLIN);
  }
  ssize_t r = recv(s->fd, s->buf + s->got, sizeof s->buf - 1 - s->got, 0);
  if (r < 0 && errno == EAGAIN) return;
  if (r < 0) return end(ep, w, s, s->st == RESPONSE ? "reset during response" : "reset during handshake");
  if (s->st == GREETING) {
    if (r == 0) return end(ep, w, s, "closed after greeting");
    s->got += r;
    if (s->got < 2) return;
    if (s->got != 2 || s->buf[0] != 5 || s->buf[1] != 0) return end(ep, w, s, "bad method reply");
    if (send_all(s->fd, socks_connect, sizeof socks_connect)) return end(ep, w, s, "send connect");
    s->st = CONNECT_REPLY;
    s->got = 0;
    return;
  }
  if (s->st == CONNECT_REPLY) {
    if (r == 0) return end(ep, w, s, "closed after connect");
    s->got += r;
    size_t need = socks_reply_len(s);
    if (need == 1 || (s->got >= 2 && s->buf[1] != 0)) return end(ep, w, s, "connect refused by proxy");
    if (!need || s->got < need) return;
    if (s->got > need) return end(ep, w, s, "data before request");
    if (send_all(s->fd, request, request_len)) return end(ep, w, s, "send request");
    s->st = RESPONSE;
    s->got = 0;
    return;
  }
  /* RESPONSE: done once the whole body (by Content-Length) is in, as an HTTP client would be; it does
   * not wait for the far side to close, because some proxies hold the client side open a while. */
  if (r == 0) return end(ep, w, s, s->got ? "closed before the whole response" : "closed without response");
  if (s->got == 0) s->first_byte = now_ns();
  s->got += r;
  s->buf[s->got < sizeof s->buf ? s->got : sizeof s->buf - 1] = 0;
  char *eoh = strstr(s->buf, "\r\n\r\n");
  if (!eoh) return s->got >= sizeof s->buf - 1 ? end(ep, w, s, "response header too long") : (void)0;
  if (memcmp(s->buf, "HTTP/1.1 200", 12) != 0) return end(ep, w, s, "not a 200 response");
  char *cl = strcasestr(s->buf, "\r\ncontent-length:");
  if (!cl || cl > eoh) return end(ep, w, s, "response without content-length");
  size_t body = strtoul(cl + 17, NULL, 10);
  if (s->got >= (size_t)(eoh + 4 - s->buf) + body) end(ep, w, s, NULL);
  else if (s->got >= sizeof s->buf - 1) end(ep, w, s, "response larger than this client reads (511 bytes)");
}

static void *run(void *arg) {
  struct worker *w = arg;
  int ep = epoll_create1(0);
  struct slot *slots = calloc(w->concurrency, sizeof *slots);
  for (int i = 0; i < w->concurrency; i++) start(ep, w, &slots[i]);
  struct epoll_event evs[256];
  unsigned long long last_sweep = now_ns();
  for (;;) {
    unsigned long long t = now_ns();
    /* After the window, in-flight requests no longer count: stop them. */
    if (t > w->end_at) {
      for (int i = 0; i < w->concurrency; i++)
        if (slots[i].fd >= 0) {
          epoll_ctl(ep, EPOLL_CTL_DEL, slots[i].fd, NULL);
          close(slots[i].fd);
          slots[i].fd = -1;
        }
      break;
    }
    int n = epoll_wait(ep, evs, 256, 50);
    for (int i = 0; i < n; i++) step(ep, w, evs[i].data.ptr, evs[i].events);
    t = now_ns(); /* slots started during this round must not look older than they are */
    if (t - last_sweep > 100000000ULL) {
      last_sweep = t;
      for (int i = 0; i < w->concurrency; i++)
        if (slots[i].fd >= 0 && t - slots[i].started > CONN_TIMEOUT_NS) {
          w->timeouts++;
          end(ep, w, &slots[i], "timeout");
        }
      /* Slots whose start failed (socket/connect error) are retried here rather than spinning. */
      for (int i = 0; i < w->concurrency; i++)
        if (slots[i].fd < 0 && t < w->end_at) start(ep, w, &slots[i]);
    }
  }
  close(ep);
  free(slots);
  return NULL;
}

static int cmp_u(const void *a, const void *b) {
  unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
  return x < y ? -1 : x > y;
}

static double pct(const unsigned *v, size_t n, double p) {
  if (!n) return -1;
  size_t i = (size_t)(p * (n - 1) + 0.5);
  return v[i] / 1000.0;
}

int main(int argc, char **argv) {
  int concurrency = 32, threads = 1, opt;
  double seconds = 5, warmup = 0.5;
  const char *path = "/hello", *target_s = NULL, *proxy_s = NULL;
  while ((opt = getopt(argc, argv, "t:x:c:d:w:T:P:")) != -1) {
    switch (opt) {
      case 't': target_s = optarg; break;
      case 'x': proxy_s = optarg; break;
      case 'c': concurrency = atoi(optarg); break;
      case 'd': seconds = atof(optarg); break;
      case 'w': warmup = atof(optarg); break;
      case 'T': threads = atoi(optarg); break;
      case 'P': path = optarg; break;
      default:
        fprintf(stderr, "usage: loadgen -t ip:port [-x socks5-ip:port] [-c n] [-d s] [-w s] [-T n] [-P path]\n");
        return 2;
    }
  }
  if (!target_s || parse_addr(target_s, &target) || (proxy_s && parse_addr(proxy_s, &proxy))) {
    fprintf(stderr, "loadgen: -t ip:port is required; addresses are IPv4 ip:port\n");
    return 2;
  }
  if (threads < 1 || threads > concurrency) threads = 1;
  use_proxy = proxy_s != NULL;
  signal(SIGPIPE, SIG_IGN);
  request_len = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, target_s);
  /* CONNECT to the target by IPv4 address: VER CMD RSV ATYP=1 ADDR PORT */
  socks_connect[0] = 5;
  socks_connect[1] = 1;
  socks_connect[2] = 0;
  socks_connect[3] = 1;
  memcpy(socks_connect + 4, &target.sin_addr, 4);
  memcpy(socks_connect + 8, &target.sin_port, 2);

  unsigned long long t0 = now_ns();
  struct worker *ws = calloc(threads, sizeof *ws);
  pthread_t *th = calloc(threads, sizeof *th);
  for (int i = 0; i < threads; i++) {
    ws[i].concurrency = concurrency / threads + (i < concurrency % threads);
    ws[i].warm_at = t0 + (unsigned long long)(warmup * 1e9);
    ws[i].end_at = ws[i].warm_at + (unsigned long long)(seconds * 1e9);
    pthread_create(&th[i], NULL, run, &ws[i]);
  }
  unsigned long long completed = 0, errors = 0, timeouts = 0;
  size_t n = 0;
  const char *err_sample = NULL;
  for (int i = 0; i < threads; i++) {
    pthread_join(th[i], NULL);
    completed += ws[i].completed;
    errors += ws[i].errors;
    timeouts += ws[i].timeouts;
    n += ws[i].n_ttfb;
    if (ws[i].err_sample) err_sample = ws[i].err_sample;
  }
  unsigned *all = malloc((n ? n : 1) * sizeof *all);
  size_t k = 0;
  for (int i = 0; i < threads; i++) {
    if (ws[i].n_ttfb) memcpy(all + k, ws[i].ttfb_us, ws[i].n_ttfb * sizeof *all);
    k += ws[i].n_ttfb;
  }
  qsort(all, n, sizeof *all, cmp_u);
  printf("{\"completed\":%llu,\"seconds\":%.3f,\"perSecond\":%.1f,\"errors\":%llu,\"timeouts\":%llu,"
         "\"ttfbMs\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f},\"errorSample\":%s%s%s}\n",
         completed, seconds, completed / seconds, errors, timeouts, pct(all, n, 0.5), pct(all, n, 0.9),
         pct(all, n, 0.99), pct(all, n, 1.0), err_sample ? "\"" : "", err_sample ? err_sample : "null",
         err_sample ? "\"" : "");
  return 0;
}
