/*
 * sockdiag: which socket inode (and uid) holds one exact TCP 4-tuple, asked of the kernel over
 * NETLINK_SOCK_DIAG (man 7 sock_diag). A SOCK_DIAG_BY_FAMILY request without NLM_F_DUMP makes the kernel do
 * one hash lookup (inet_diag_find_one_icsk) instead of walking every bucket as /proc/net/tcp does.
 *
 *   lookup(family: 4 | 6, srcAddr: Buffer, srcPort, dstAddr: Buffer, dstPort) -> { inode, uid } | null
 *
 * src is the socket's local end, dst its remote end; addresses are 4 or 16 bytes in network order.
 *
 * Plain Node-API (node_api.h), no node-addon-api: Node-API is ABI-stable, so the same .node loads in
 * Node 20 and in Electron without a rebuild.
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* The kernel answers while handling our send, so a reply is already queued; this only bounds the odd case. */
#define RECV_TIMEOUT_MS 100
/* One inet_diag_msg plus the attributes the kernel always adds: a few hundred bytes. */
#define RECV_BUFFER 8192

/* One netlink socket per Node environment (main thread or worker), opened on first use, closed with it. */
typedef struct {
  int fd;
  uint32_t seq;
} SockDiagState;

#define CHECK_NAPI(call)                                                  \
  do {                                                                    \
    if ((call) != napi_ok) {                                              \
      napi_throw_error(env, "ERR_SOCK_DIAG_NAPI", "Node-API call failed: " #call); \
      return NULL;                                                        \
    }                                                                     \
  } while (0)

static void throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "sock_diag %s: %s", what, strerror(err));
  napi_throw_error(env, "ERR_SOCK_DIAG_IO", msg);
}

static int open_socket(napi_env env, SockDiagState *st) {
  if (st->fd >= 0) return 0;
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) {
    throw_errno(env, "socket(AF_NETLINK)", errno);
    return -1;
  }
  struct timeval tv = {.tv_sec = 0, .tv_usec = RECV_TIMEOUT_MS * 1000};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
    int err = errno;
    close(fd);
    throw_errno(env, "setsockopt(SO_RCVTIMEO)", err);
    return -1;
  }
  st->fd = fd;
  return 0;
}

/* A reply that makes no sense leaves the socket in an unknown state: close it, the next call opens anew. */
static void reset_socket(SockDiagState *st) {
  if (st->fd >= 0) close(st->fd);
  st->fd = -1;
}

static void finalize_state(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  SockDiagState *st = data;
  reset_socket(st);
  free(st);
}

/* Reads a Buffer argument of exactly `len` bytes into `out`; throws otherwise. */
static int read_address(napi_env env, napi_value v, size_t len, void *out, const char *name) {
  bool is_buffer = false;
  void *data;
  size_t size;
  if (napi_is_buffer(env, v, &is_buffer) != napi_ok || !is_buffer || napi_get_buffer_info(env, v, &data, &size) != napi_ok || size != len) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be a Buffer of %zu bytes", name, len);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return -1;
  }
  memcpy(out, data, len);
  return 0;
}

static int read_port(napi_env env, napi_value v, uint16_t *out, const char *name) {
  double d;
  /* Range first: converting NaN or an out-of-range double to an integer is undefined in C. */
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0 && d <= 65535) || d != (double)(uint16_t)d) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be an integer port from 0 to 65535", name);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return -1;
  }
  *out = htons((uint16_t)d);
  return 0;
}

static int send_request(SockDiagState *st, const struct inet_diag_req_v2 *req, uint32_t seq) {
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
  } msg;
  memset(&msg, 0, sizeof msg);
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST; /* no NLM_F_DUMP: one exact lookup */
  msg.nlh.nlmsg_seq = seq;
  msg.req = *req;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  for (;;) {
    ssize_t n = sendto(st->fd, &msg, sizeof msg, 0, (struct sockaddr *)&kernel, sizeof kernel);
    if (n == (ssize_t)sizeof msg) return 0;
    if (n < 0 && errno == EINTR) continue;
    return n < 0 ? errno : EIO;
  }
}

static napi_value lookup(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  SockDiagState *st;
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK_NAPI(napi_get_instance_data(env, (void **)&st));
  if (argc < 5) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "lookup(family, srcAddr, srcPort, dstAddr, dstPort)");
    return NULL;
  }
  int32_t family;
  if (napi_get_value_int32(env, argv[0], &family) != napi_ok || (family != 4 && family != 6)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "family must be 4 or 6");
    return NULL;
  }
  size_t alen = family == 4 ? 4 : 16;

  struct inet_diag_req_v2 req;
  memset(&req, 0, sizeof req);
  req.sdiag_family = family == 4 ? AF_INET : AF_INET6;
  req.sdiag_protocol = IPPROTO_TCP;
  req.idiag_states = ~0U;
  req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  if (read_address(env, argv[1], alen, req.id.idiag_src, "srcAddr") < 0) return NULL;
  if (read_port(env, argv[2], &req.id.idiag_sport, "srcPort") < 0) return NULL;
  if (read_address(env, argv[3], alen, req.id.idiag_dst, "dstAddr") < 0) return NULL;
  if (read_port(env, argv[4], &req.id.idiag_dport, "dstPort") < 0) return NULL;

  if (open_socket(env, st) < 0) return NULL;
  uint32_t seq = ++st->seq;
  int err = send_request(st, &req, seq);
  if (err) {
    reset_socket(st);
    throw_errno(env, "send", err);
    return NULL;
  }

  /* uint32_t: aligned for the nlmsghdr and inet_diag_msg read in place. */
  uint32_t buf[RECV_BUFFER / 4];
  for (;;) {
    struct sockaddr_nl from;
    socklen_t fromlen = sizeof from;
    ssize_t n = recvfrom(st->fd, buf, sizeof buf, MSG_TRUNC, (struct sockaddr *)&from, &fromlen);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      reset_socket(st);
      throw_errno(env, e == EAGAIN || e == EWOULDBLOCK ? "receive (no reply in time)" : "receive", e);
      return NULL;
    }
    if (from.nl_pid != 0) continue; /* not from the kernel */
    if ((size_t)n > sizeof buf) {
      reset_socket(st);
      napi_throw_error(env, "ERR_SOCK_DIAG_REPLY", "sock_diag reply larger than the receive buffer");
      return NULL;
    }
    int len = (int)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      /* A reply to an earlier request that timed out: skip it. */
      if (h->nlmsg_seq != seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) {
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
          reset_socket(st);
          napi_throw_error(env, "ERR_SOCK_DIAG_REPLY", "sock_diag error reply too short");
          return NULL;
        }
        int code = -((struct nlmsgerr *)NLMSG_DATA(h))->error;
        napi_value none;
        /* ENOENT: no socket has this tuple. */
        if (code == ENOENT || code == 0) {
          CHECK_NAPI(napi_get_null(env, &none));
          return none;
        }
        throw_errno(env, "request", code);
        return NULL;
      }
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
        reset_socket(st);
        char msg[96];
        snprintf(msg, sizeof msg, "sock_diag unexpected reply: type %u, %u bytes", h->nlmsg_type, h->nlmsg_len);
        napi_throw_error(env, "ERR_SOCK_DIAG_REPLY", msg);
        return NULL;
      }
      const struct inet_diag_msg *m = NLMSG_DATA(h);
      napi_value result, v;
      /*
       * With no established socket on the tuple the kernel's lookup falls back to a listener on the local
       * port; a listener has no remote end, so a reply whose ports differ from the request is not ours.
       */
      if (m->id.idiag_sport != req.id.idiag_sport || m->id.idiag_dport != req.id.idiag_dport) {
        CHECK_NAPI(napi_get_null(env, &result));
        return result;
      }
      CHECK_NAPI(napi_create_object(env, &result));
      CHECK_NAPI(napi_create_uint32(env, m->idiag_inode, &v));
      CHECK_NAPI(napi_set_named_property(env, result, "inode", v));
      CHECK_NAPI(napi_create_uint32(env, m->idiag_uid, &v));
      CHECK_NAPI(napi_set_named_property(env, result, "uid", v));
      return result;
    }
    /* Nothing with our sequence number in this datagram (a stale reply): read on. */
  }
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  SockDiagState *st = malloc(sizeof *st);
  if (!st) {
    napi_throw_error(env, "ERR_SOCK_DIAG_NAPI", "out of memory");
    return NULL;
  }
  st->fd = -1;
  st->seq = 0;
  if (napi_set_instance_data(env, st, finalize_state, NULL) != napi_ok) {
    free(st);
    napi_throw_error(env, "ERR_SOCK_DIAG_NAPI", "napi_set_instance_data failed");
    return NULL;
  }
  napi_value fn;
  if (napi_create_function(env, "lookup", NAPI_AUTO_LENGTH, lookup, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "lookup", fn) != napi_ok)
    return NULL;
  return exports;
}
