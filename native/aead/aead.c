/*
 * aead: a reusable AEAD context for the chunk ciphers of VMess and Shadowsocks (16-byte tag, 12-byte nonce).
 *
 *   new AeadContext(algorithm, key)     algorithm: aes-128-gcm | aes-192-gcm | aes-256-gcm | chacha20-poly1305
 *   ctx.seal(nonce, src, srcStart, srcEnd, dst, dstStart)             -> undefined
 *       dst[dstStart ..] = ciphertext of src[srcStart, srcEnd), then the tag
 *   ctx.open(nonce, tag, src, srcStart, srcEnd, dst, dstStart)        -> boolean
 *       dst[dstStart ..] = plaintext of src[srcStart, srcEnd) when `tag` verifies; zeros and false when not
 *   ctx.openSequence(nonce, src, ranges, count, dst, dstStart)     -> number of chunks opened
 *       chunk i is src[ranges[2i], ranges[2i+1]) with its tag in the 16 bytes after it, opened with the nonce
 *       whose first two bytes (big-endian) are nonce's plus i, mod 2^16 (VMess's chunk nonce); plaintexts
 *       are written one after another from dstStart. Stops at the first chunk that does not verify (its
 *       output zeroed) and returns its index; count when all verified. One call for the ~30 to 500 chunks of
 *       a read instead of one each: the per-call cost (~0.35 us) was half of opening a 2 KiB chunk.
 *
 * node:crypto builds a cipher object per chunk (createDecipheriv + setAuthTag + update + final, ~4 us for a
 * 2 KiB chunk). Here the key schedule is done once: each direction keeps its own EVP_CIPHER_CTX and a call
 * only sets the nonce, so a chunk costs the cipher's own work. Output goes into the caller's Buffer, so a
 * call allocates nothing. src and dst may be the same bytes (in place) but must not partly overlap.
 *
 * Beside it, for VMess connection setup:
 *
 *   hmacChain(keys, message)  -> Buffer (32 bytes)
 *       H_0 = HMAC-SHA256 keyed keys[0]; H_i = HMAC over H_(i-1) as its hash (64-byte blocks) keyed keys[i];
 *       returns H_n(message). VMess's AEAD KDF is hmacChain(["VMess AEAD KDF", ...path], key).
 *
 * Each level doubles the hashing, so a four-key chain is 16 SHA-256 runs over short input: through
 * node:crypto that is 8 HMAC objects per call and ~100-200 us per VMess connection; here a few us.
 *
 * And for Shadowsocks (SIP004) connection setup:
 *
 *   hkdfSha1(ikm, salt, info, length)  -> Buffer (length bytes, 1 to 5100)
 *       RFC 5869 HKDF with HMAC-SHA1. Each connection derives two subkeys (one per direction): through
 *       node:crypto three HMAC objects each, ~8-16 us; crypto.hkdfSync is slower still (a job per call).
 *
 * OpenSSL is Node's own (node exports its EVP symbols; no system libssl is linked). The addon is linked with
 * -z now, so where those symbols are missing (Electron links BoringSSL) the load fails and the caller falls
 * back to node:crypto, instead of the process aborting at the first chunk.
 */
#include <limits.h>
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
/* SHA256_CTX: its states are copied by assignment, which the chain's precomputed pads need. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_BYTES 16
#define NONCE_BYTES 12
/* What V8 is told each context holds natively (two EVP contexts with their key schedules), so it collects
 * dropped contexts promptly rather than only by the size of their JavaScript wrappers. */
#define EXTERNAL_BYTES 2048

typedef struct {
  const char *name;
  const EVP_CIPHER *(*cipher)(void);
  /* OpenSSL 3's provider name for EVP_CIPHER_fetch. */
  const char *fetch_name;
  size_t key_bytes;
} Algorithm;

static const Algorithm ALGORITHMS[] = {
    {"aes-128-gcm", EVP_aes_128_gcm, "AES-128-GCM", 16},
    {"aes-192-gcm", EVP_aes_192_gcm, "AES-192-GCM", 24},
    {"aes-256-gcm", EVP_aes_256_gcm, "AES-256-GCM", 32},
    {"chacha20-poly1305", EVP_chacha20_poly1305, "ChaCha20-Poly1305", 32},
};
#define ALGORITHM_COUNT (sizeof ALGORITHMS / sizeof ALGORITHMS[0])

/*
 * A context is made per connection and direction, so its setup counts: with OpenSSL 3 every init from a
 * legacy EVP_aes_128_gcm() looks the implementation up in the provider again (most of a ~13 us setup), so
 * each cipher is fetched once, for every thread, and kept. A direction's EVP context is made on its first
 * use: a VMess or Shadowsocks chunk cipher only ever seals or only ever opens.
 */
static const EVP_CIPHER *fetched[ALGORITHM_COUNT];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_ciphers(void) {
  for (size_t i = 0; i < ALGORITHM_COUNT; i++) {
#if OPENSSL_VERSION_MAJOR >= 3
    fetched[i] = EVP_CIPHER_fetch(NULL, ALGORITHMS[i].fetch_name, NULL);
#endif
    if (!fetched[i]) fetched[i] = ALGORITHMS[i].cipher();
  }
}

typedef struct {
  const EVP_CIPHER *cipher;
  uint8_t key[32];
  EVP_CIPHER_CTX *seal;
  EVP_CIPHER_CTX *open;
} AeadContext;

#define CHECK_NAPI(call)                                                         \
  do {                                                                           \
    if ((call) != napi_ok) {                                                     \
      napi_throw_error(env, "ERR_AEAD_NAPI", "Node-API call failed: " #call);    \
      return NULL;                                                               \
    }                                                                            \
  } while (0)

static void free_context(AeadContext *c) {
  /* EVP_CIPHER_CTX_free wipes the key schedule before it frees it; the key copy is wiped here. */
  EVP_CIPHER_CTX_free(c->seal);
  EVP_CIPHER_CTX_free(c->open);
  OPENSSL_cleanse(c->key, sizeof c->key);
  free(c);
}

static int init_direction(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher, const uint8_t *key, int enc) {
  return EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, enc) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, NONCE_BYTES, NULL) == 1 &&
         EVP_CipherInit_ex(ctx, NULL, NULL, key, NULL, enc) == 1;
}

/* The seal (enc 1) or open (enc 0) EVP context, made and keyed on first use; NULL when OpenSSL fails. */
static EVP_CIPHER_CTX *direction(AeadContext *c, int enc) {
  EVP_CIPHER_CTX **slot = enc ? &c->seal : &c->open;
  if (*slot) return *slot;
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (!ctx || !init_direction(ctx, c->cipher, c->key, enc)) {
    EVP_CIPHER_CTX_free(ctx);
    return NULL;
  }
  return *slot = ctx;
}

static void finalize_context(napi_env env, void *data, void *hint) {
  (void)hint;
  int64_t ignored;
  free_context(data);
  napi_adjust_external_memory(env, -EXTERNAL_BYTES, &ignored);
}

/* An OpenSSL failure: its error queue is emptied, or node:crypto would later read our error as its own. */
static void throw_openssl(napi_env env, const char *what) {
  char msg[160];
  unsigned long e = ERR_peek_last_error();
  snprintf(msg, sizeof msg, "OpenSSL %s failed (error %lx)", what, e);
  ERR_clear_error();
  napi_throw_error(env, "ERR_AEAD_OPENSSL", msg);
}

/* A Buffer (any Uint8Array) argument; throws a TypeError naming it otherwise. */
static int read_buffer(napi_env env, napi_value v, uint8_t **data, size_t *size, const char *name) {
  void *d = NULL;
  if (napi_get_buffer_info(env, v, &d, size) != napi_ok) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s must be a Buffer", name);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return -1;
  }
  *data = d;
  return 0;
}

/* A Buffer of exactly `len` bytes (key, nonce, tag). */
static int read_exact(napi_env env, napi_value v, size_t len, uint8_t **data, const char *name, const char *why) {
  size_t size;
  if (read_buffer(env, v, data, &size, name) < 0) return -1;
  if (size != len) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s must be a Buffer of %zu bytes%s, not %zu", name, len, why, size);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", msg);
    return -1;
  }
  return 0;
}

/* An integer offset from 0 to `max`; throws a RangeError naming it otherwise. */
static int read_offset(napi_env env, napi_value v, size_t max, size_t *out, const char *name) {
  double d;
  /* Range first: converting NaN or an out-of-range double to an integer is undefined in C. */
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0 && d <= (double)max) || d != (double)(size_t)d) {
    char msg[112];
    snprintf(msg, sizeof msg, "%s must be an integer from 0 to %zu", name, max);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
    return -1;
  }
  *out = (size_t)d;
  return 0;
}

/* The call's first `want` arguments (and `this` when self is not NULL); throws naming the usage when fewer came. */
static int read_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, napi_value *self, const char *usage) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, self, NULL) != napi_ok) {
    napi_throw_error(env, "ERR_AEAD_NAPI", "Node-API call failed: napi_get_cb_info");
    return -1;
  }
  if (argc < want) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", usage);
    return -1;
  }
  return 0;
}

static int overlaps(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
  return alen > 0 && blen > 0 && a < b + blen && b < a + alen;
}

/* The arguments every call shares: the nonce, the source range, and the output range of `out_len` bytes. */
typedef struct {
  const uint8_t *nonce;
  const uint8_t *in;
  uint8_t *out;
  int len;
} Call;

static int read_call(napi_env env, napi_value *argv, size_t extra, Call *call) {
  uint8_t *nonce, *src, *dst;
  size_t src_size, dst_size, start, end, dst_start;
  if (read_exact(env, argv[0], NONCE_BYTES, &nonce, "nonce", "") < 0) return -1;
  if (read_buffer(env, argv[1], &src, &src_size, "src") < 0) return -1;
  if (read_offset(env, argv[2], src_size, &start, "srcStart") < 0) return -1;
  if (read_offset(env, argv[3], src_size, &end, "srcEnd") < 0) return -1;
  if (end < start || end - start > INT_MAX - TAG_BYTES) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "srcEnd must be at least srcStart and the range under 2 GiB");
    return -1;
  }
  if (read_buffer(env, argv[4], &dst, &dst_size, "dst") < 0) return -1;
  if (read_offset(env, argv[5], dst_size, &dst_start, "dstStart") < 0) return -1;
  size_t len = end - start;
  if (dst_size - dst_start < len + extra) {
    char msg[128];
    snprintf(msg, sizeof msg, "dst has %zu bytes from dstStart, %zu needed", dst_size - dst_start, len + extra);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
    return -1;
  }
  /* In place is fine for these stream ciphers; a shifted overlap would read bytes already overwritten. */
  if (src + start != dst + dst_start && overlaps(src + start, len, dst + dst_start, len + extra)) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "src and dst ranges overlap without being the same bytes");
    return -1;
  }
  call->nonce = nonce;
  call->in = src + start;
  call->out = dst + dst_start;
  call->len = (int)len;
  return 0;
}

static AeadContext *unwrap(napi_env env, napi_value self) {
  void *c = NULL;
  if (napi_unwrap(env, self, &c) != napi_ok || c == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_THIS", "not an AeadContext");
    return NULL;
  }
  return c;
}

static napi_value seal(napi_env env, napi_callback_info info) {
  napi_value argv[6], self;
  if (read_args(env, info, 6, argv, &self, "seal(nonce, src, srcStart, srcEnd, dst, dstStart)") < 0) return NULL;
  AeadContext *c = unwrap(env, self);
  if (!c) return NULL;
  Call call;
  if (read_call(env, argv, TAG_BYTES, &call) < 0) return NULL;
  int n = 0, fin = 0;
  EVP_CIPHER_CTX *ctx = direction(c, 1);
  if (!ctx || EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, call.nonce) != 1 ||
      (call.len > 0 && EVP_EncryptUpdate(ctx, call.out, &n, call.in, call.len) != 1) ||
      EVP_EncryptFinal_ex(ctx, call.out + n, &fin) != 1 || n + fin != call.len ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_BYTES, call.out + call.len) != 1) {
    throw_openssl(env, "seal");
    return NULL;
  }
  return NULL; /* undefined */
}

static napi_value open_chunk(napi_env env, napi_callback_info info) {
  napi_value argv[7], self, result;
  if (read_args(env, info, 7, argv, &self, "open(nonce, tag, src, srcStart, srcEnd, dst, dstStart)") < 0) return NULL;
  AeadContext *c = unwrap(env, self);
  if (!c) return NULL;
  uint8_t *tag;
  if (read_exact(env, argv[1], TAG_BYTES, &tag, "tag", "") < 0) return NULL;
  /* The call's arguments without the tag: nonce, src, srcStart, srcEnd, dst, dstStart. */
  napi_value rest[6] = {argv[0], argv[2], argv[3], argv[4], argv[5], argv[6]};
  Call call;
  if (read_call(env, rest, 0, &call) < 0) return NULL;
  /* The tag is read after the plaintext is written: it must not be among the bytes written. */
  if (overlaps(tag, TAG_BYTES, call.out, (size_t)call.len)) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "tag overlaps the dst range");
    return NULL;
  }
  int n = 0, fin = 0;
  EVP_CIPHER_CTX *ctx = direction(c, 0);
  if (!ctx || EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, call.nonce) != 1 ||
      (call.len > 0 && EVP_DecryptUpdate(ctx, call.out, &n, call.in, call.len) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_BYTES, tag) != 1) {
    if (call.len > 0) OPENSSL_cleanse(call.out, (size_t)call.len);
    throw_openssl(env, "open");
    return NULL;
  }
  bool ok = EVP_DecryptFinal_ex(ctx, call.out + n, &fin) == 1 && n + fin == call.len;
  if (!ok) {
    /* Plaintext that did not authenticate must not be left where the caller might use it. */
    if (call.len > 0) OPENSSL_cleanse(call.out, (size_t)call.len);
    ERR_clear_error();
  }
  CHECK_NAPI(napi_get_boolean(env, ok, &result));
  return result;
}

static napi_value open_sequence(napi_env env, napi_callback_info info) {
  napi_value argv[6], self, result;
  if (read_args(env, info, 6, argv, &self, "openSequence(nonce, src, ranges, count, dst, dstStart)") < 0) return NULL;
  AeadContext *c = unwrap(env, self);
  if (!c) return NULL;
  uint8_t *nonce_in, *src, *dst;
  size_t src_size, dst_size, count, dst_start;
  if (read_exact(env, argv[0], NONCE_BYTES, &nonce_in, "nonce", "") < 0) return NULL;
  if (read_buffer(env, argv[1], &src, &src_size, "src") < 0) return NULL;
  bool is_typed = false;
  napi_typedarray_type type;
  size_t ranges_len = 0;
  void *ranges_data = NULL;
  if (napi_is_typedarray(env, argv[2], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[2], &type, &ranges_len, &ranges_data, NULL, NULL) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "ranges must be an Int32Array");
    return NULL;
  }
  const int32_t *ranges = ranges_data;
  if (read_offset(env, argv[3], ranges_len / 2, &count, "count") < 0) return NULL;
  if (read_buffer(env, argv[4], &dst, &dst_size, "dst") < 0) return NULL;
  if (read_offset(env, argv[5], dst_size, &dst_start, "dstStart") < 0) return NULL;

  /* Every range first, so a bad one throws before anything is written. */
  size_t total = 0;
  for (size_t i = 0; i < count; i++) {
    int64_t start = ranges[2 * i], end = ranges[2 * i + 1];
    if (start < 0 || end < start || (uint64_t)end + TAG_BYTES > src_size) {
      char msg[112];
      snprintf(msg, sizeof msg, "ranges[%zu..%zu] must lie in src with 16 tag bytes after the end", 2 * i, 2 * i + 1);
      napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
      return NULL;
    }
    total += (size_t)(end - start);
  }
  if (dst_size - dst_start < total) {
    char msg[128];
    snprintf(msg, sizeof msg, "dst has %zu bytes from dstStart, %zu needed", dst_size - dst_start, total);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
    return NULL;
  }
  /* Plaintext is written elsewhere than src: this reads ciphertext and tags after writing earlier chunks. */
  if (overlaps(src, src_size, dst + dst_start, total)) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "dst must not overlap src");
    return NULL;
  }
  EVP_CIPHER_CTX *ctx = direction(c, 0);
  if (!ctx) {
    throw_openssl(env, "open");
    return NULL;
  }
  uint8_t nonce[NONCE_BYTES];
  memcpy(nonce, nonce_in, NONCE_BYTES);
  unsigned counter = ((unsigned)nonce[0] << 8) | nonce[1];
  uint8_t *out = dst + dst_start;
  size_t opened = 0;
  const uint8_t *out_end = dst + dst_size;
  for (; opened < count; opened++) {
    /* Read once and checked again: a range in shared memory could have changed since the pass above. */
    int64_t start = ranges[2 * opened], end = ranges[2 * opened + 1];
    if (start < 0 || end < start || (uint64_t)end + TAG_BYTES > src_size || (size_t)(end - start) > (size_t)(out_end - out)) {
      napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "ranges changed during openSequence");
      return NULL;
    }
    const uint8_t *in = src + start;
    int len = (int)(end - start);
    nonce[0] = (uint8_t)(counter >> 8);
    nonce[1] = (uint8_t)counter;
    counter = (counter + 1) & 0xffff;
    int n = 0, fin = 0;
    if (EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, nonce) != 1 || (len > 0 && EVP_DecryptUpdate(ctx, out, &n, in, len) != 1) ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_BYTES, (void *)(in + len)) != 1) {
      if (len > 0) OPENSSL_cleanse(out, (size_t)len);
      throw_openssl(env, "open");
      return NULL;
    }
    if (EVP_DecryptFinal_ex(ctx, out + n, &fin) != 1 || n + fin != len) {
      if (len > 0) OPENSSL_cleanse(out, (size_t)len);
      ERR_clear_error();
      break;
    }
    out += len;
  }
  CHECK_NAPI(napi_create_uint32(env, (uint32_t)opened, &result));
  return result;
}

static napi_value construct(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self, target;
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  CHECK_NAPI(napi_get_new_target(env, info, &target));
  if (target == NULL) {
    napi_throw_type_error(env, "ERR_CONSTRUCT_CALL_REQUIRED", "AeadContext must be called with new");
    return NULL;
  }
  if (argc < 2) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "new AeadContext(algorithm, key)");
    return NULL;
  }
  char name[32];
  size_t name_len = 0;
  const Algorithm *alg = NULL;
  const EVP_CIPHER *cipher = NULL;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &name_len) == napi_ok) {
    for (size_t i = 0; i < ALGORITHM_COUNT; i++) {
      if (strcmp(name, ALGORITHMS[i].name) == 0) {
        alg = &ALGORITHMS[i];
        pthread_once(&fetch_once, fetch_ciphers);
        cipher = fetched[i];
      }
    }
  }
  if (!alg) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE",
                          "algorithm must be one of aes-128-gcm, aes-192-gcm, aes-256-gcm, chacha20-poly1305");
    return NULL;
  }
  uint8_t *key;
  char why[40];
  snprintf(why, sizeof why, " for %s", alg->name);
  if (read_exact(env, argv[1], alg->key_bytes, &key, "key", why) < 0) return NULL;

  AeadContext *c = calloc(1, sizeof *c);
  if (!c) {
    napi_throw_error(env, "ERR_AEAD_NAPI", "out of memory");
    return NULL;
  }
  c->cipher = cipher;
  memcpy(c->key, key, alg->key_bytes);
  if (napi_wrap(env, self, c, finalize_context, NULL, NULL) != napi_ok) {
    free_context(c);
    napi_throw_error(env, "ERR_AEAD_NAPI", "napi_wrap failed");
    return NULL;
  }
  int64_t ignored;
  napi_adjust_external_memory(env, EXTERNAL_BYTES, &ignored);
  return self;
}

/* ---- hmacChain ---------------------------------------------------------------------------------- */

#define CHAIN_MAX_KEYS 8
#define HMAC_BLOCK 64
#define SHA256_BYTES 32

typedef struct {
  const uint8_t *p;
  size_t n;
} Segment;

typedef struct {
  int levels;
  /* Level 0: SHA-256 states after its key's ipad and opad block. */
  SHA256_CTX root_inner, root_outer;
  /* Levels 1..: their keys' ipad and opad blocks, hashed by the level below. */
  uint8_t ipad[CHAIN_MAX_KEYS][HMAC_BLOCK], opad[CHAIN_MAX_KEYS][HMAC_BLOCK];
} Chain;

/* H_level over the concatenation of segs (at most level + 2 of them, see below). */
static void chain_hash(const Chain *c, int level, const Segment *segs, int nsegs, uint8_t out[SHA256_BYTES]) {
  uint8_t h[SHA256_BYTES];
  if (level == 0) {
    SHA256_CTX ctx = c->root_inner;
    for (int i = 0; i < nsegs; i++) SHA256_Update(&ctx, segs[i].p, segs[i].n);
    SHA256_Final(h, &ctx);
    ctx = c->root_outer;
    SHA256_Update(&ctx, h, sizeof h);
    SHA256_Final(out, &ctx);
    OPENSSL_cleanse(&ctx, sizeof ctx);
    return;
  }
  /* inner = H_(level-1)(ipad ‖ segs): one segment more than given, so depth d needs d + 2 at most. */
  Segment inner[CHAIN_MAX_KEYS + 2];
  inner[0] = (Segment){c->ipad[level], HMAC_BLOCK};
  for (int i = 0; i < nsegs; i++) inner[i + 1] = segs[i];
  chain_hash(c, level - 1, inner, nsegs + 1, h);
  Segment outer[2] = {{c->opad[level], HMAC_BLOCK}, {h, sizeof h}};
  chain_hash(c, level - 1, outer, 2, out);
}

/* A key longer than a block is replaced by its hash under the level's own hash function (RFC 2104). */
static void pads_for(const Chain *c, int level, const uint8_t *key, size_t key_len, uint8_t ipad[HMAC_BLOCK], uint8_t opad[HMAC_BLOCK]) {
  uint8_t hashed[SHA256_BYTES];
  if (key_len > HMAC_BLOCK) {
    if (level == 0) SHA256(key, key_len, hashed);
    else {
      Segment s = {key, key_len};
      chain_hash(c, level - 1, &s, 1, hashed);
    }
    key = hashed;
    key_len = sizeof hashed;
  }
  memset(ipad, 0x36, HMAC_BLOCK);
  memset(opad, 0x5c, HMAC_BLOCK);
  for (size_t i = 0; i < key_len; i++) {
    ipad[i] ^= key[i];
    opad[i] ^= key[i];
  }
  OPENSSL_cleanse(hashed, sizeof hashed);
}

static napi_value hmac_chain(napi_env env, napi_callback_info info) {
  napi_value argv[2], result;
  if (read_args(env, info, 2, argv, NULL, "hmacChain(keys, message)") < 0) return NULL;
  bool is_array = false;
  uint32_t count = 0;
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[0], &count) != napi_ok ||
      count < 1 || count > CHAIN_MAX_KEYS) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "keys must be an array of 1 to 8 Buffers");
    return NULL;
  }
  uint8_t *message;
  size_t message_len;
  if (read_buffer(env, argv[1], &message, &message_len, "message") < 0) return NULL;

  Chain chain;
  chain.levels = (int)count;
  uint8_t ipad[HMAC_BLOCK], opad[HMAC_BLOCK];
  for (uint32_t level = 0; level < count; level++) {
    napi_value item;
    uint8_t *key;
    size_t key_len;
    char name[16];
    snprintf(name, sizeof name, "keys[%u]", level);
    CHECK_NAPI(napi_get_element(env, argv[0], level, &item));
    if (read_buffer(env, item, &key, &key_len, name) < 0) return NULL;
    if (level == 0) {
      pads_for(&chain, 0, key, key_len, ipad, opad);
      SHA256_Init(&chain.root_inner);
      SHA256_Update(&chain.root_inner, ipad, HMAC_BLOCK);
      SHA256_Init(&chain.root_outer);
      SHA256_Update(&chain.root_outer, opad, HMAC_BLOCK);
    } else {
      pads_for(&chain, (int)level, key, key_len, chain.ipad[level], chain.opad[level]);
    }
  }
  void *out;
  CHECK_NAPI(napi_create_buffer(env, SHA256_BYTES, &out, &result));
  Segment m = {message, message_len};
  chain_hash(&chain, chain.levels - 1, &m, 1, out);
  OPENSSL_cleanse(&chain, sizeof chain);
  OPENSSL_cleanse(ipad, sizeof ipad);
  OPENSSL_cleanse(opad, sizeof opad);
  return result;
}

/* ---- hkdfSha1 ----------------------------------------------------------------------------------- */

#define SHA1_BYTES 20
#define HKDF_SHA1_MAX_LENGTH (255 * SHA1_BYTES)

/* HMAC-SHA1 (RFC 2104) keyed `key`, over the concatenation of segs. */
static void hmac_sha1(const uint8_t *key, size_t key_len, const Segment *segs, int nsegs, uint8_t out[SHA1_BYTES]) {
  uint8_t k[HMAC_BLOCK] = {0}, pad[HMAC_BLOCK], inner[SHA1_BYTES];
  if (key_len > HMAC_BLOCK) SHA1(key, key_len, k);
  else if (key_len > 0) memcpy(k, key, key_len);
  SHA_CTX ctx;
  for (int i = 0; i < HMAC_BLOCK; i++) pad[i] = k[i] ^ 0x36;
  SHA1_Init(&ctx);
  SHA1_Update(&ctx, pad, HMAC_BLOCK);
  for (int i = 0; i < nsegs; i++) SHA1_Update(&ctx, segs[i].p, segs[i].n);
  SHA1_Final(inner, &ctx);
  for (int i = 0; i < HMAC_BLOCK; i++) pad[i] = k[i] ^ 0x5c;
  SHA1_Init(&ctx);
  SHA1_Update(&ctx, pad, HMAC_BLOCK);
  SHA1_Update(&ctx, inner, SHA1_BYTES);
  SHA1_Final(out, &ctx);
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(pad, sizeof pad);
  OPENSSL_cleanse(inner, sizeof inner);
  OPENSSL_cleanse(&ctx, sizeof ctx);
}

static napi_value hkdf_sha1(napi_env env, napi_callback_info info) {
  napi_value argv[4], result;
  if (read_args(env, info, 4, argv, NULL, "hkdfSha1(ikm, salt, info, length)") < 0) return NULL;
  uint8_t *ikm, *salt, *label;
  size_t ikm_len, salt_len, label_len;
  if (read_buffer(env, argv[0], &ikm, &ikm_len, "ikm") < 0 || read_buffer(env, argv[1], &salt, &salt_len, "salt") < 0 ||
      read_buffer(env, argv[2], &label, &label_len, "info") < 0)
    return NULL;
  double d;
  /* Range first: converting NaN or an out-of-range double to an integer is undefined in C. */
  if (napi_get_value_double(env, argv[3], &d) != napi_ok || !(d >= 1 && d <= HKDF_SHA1_MAX_LENGTH) || d != (double)(size_t)d) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "length must be an integer from 1 to 5100");
    return NULL;
  }
  size_t length = (size_t)d;
  /* Extract: PRK = HMAC(salt, ikm); an empty salt is HashLen zeros, which HMAC's zero padding gives anyway. */
  uint8_t prk[SHA1_BYTES], t[SHA1_BYTES];
  Segment in = {ikm, ikm_len};
  hmac_sha1(salt, salt_len, &in, 1, prk);
  uint8_t *out;
  CHECK_NAPI(napi_create_buffer(env, length, (void **)&out, &result));
  /* Expand: T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i), concatenated to `length` bytes. */
  size_t have = 0;
  for (uint8_t i = 1; have < length; i++) {
    Segment segs[3] = {{t, i == 1 ? 0 : SHA1_BYTES}, {label, label_len}, {&i, 1}};
    hmac_sha1(prk, SHA1_BYTES, segs, 3, t);
    size_t n = length - have < SHA1_BYTES ? length - have : SHA1_BYTES;
    memcpy(out + have, t, n);
    have += n;
  }
  OPENSSL_cleanse(prk, sizeof prk);
  OPENSSL_cleanse(t, sizeof t);
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor methods[] = {
      {"seal", NULL, seal, NULL, NULL, NULL, napi_default_method, NULL},
      {"open", NULL, open_chunk, NULL, NULL, NULL, napi_default_method, NULL},
      {"openSequence", NULL, open_sequence, NULL, NULL, NULL, napi_default_method, NULL},
  };
  napi_value cls;
  napi_value chain;
  napi_value hkdf;
  if (napi_define_class(env, "AeadContext", NAPI_AUTO_LENGTH, construct, NULL, 3, methods, &cls) != napi_ok ||
      napi_set_named_property(env, exports, "AeadContext", cls) != napi_ok ||
      napi_create_function(env, "hmacChain", NAPI_AUTO_LENGTH, hmac_chain, NULL, &chain) != napi_ok ||
      napi_set_named_property(env, exports, "hmacChain", chain) != napi_ok ||
      napi_create_function(env, "hkdfSha1", NAPI_AUTO_LENGTH, hkdf_sha1, NULL, &hkdf) != napi_ok ||
      napi_set_named_property(env, exports, "hkdfSha1", hkdf) != napi_ok)
    return NULL;
  return exports;
}
