/*
 * Batch sealing: the clients' franking and AES-256-GCM encryption of a whole batch of
 * messages in one call, on the OpenSSL node itself links (node exports its symbols), so
 * the bytes are node:crypto's. The JavaScript twin is Sealer in
 * packages/core/src/world/clients.ts; a property test holds the two byte for byte.
 *
 * Per message i of a batch:
 *   franking key  AES-256 of counter blocks 2·id and 2·id+1 under the franking secret
 *                 (the AES-256-CTR keystream frankingKeysFor draws), 32 bytes
 *   commitment    HMAC-SHA256(franking key, plaintext)
 *   body          plaintext ‖ franking key (plaintext alone without franking)
 *   payload       body when not encrypted; else nonce ‖ AES-256-GCM(body) ‖ tag under
 *                 the conversation key HMAC-SHA256(conversations secret, decimal id),
 *                 nonce = 6 zero bytes ‖ the counter as 48 bits big-endian
 *
 * A sealer (a type-tagged external) holds the two secrets (as the franking cipher's key
 * schedule and the conversation HMAC's padded state) and a bounded cache of keyed
 * AES-GCM contexts: direct-mapped on a hash of the conversation id, SEAL_DEFAULT_SLOTS
 * slots unless told, never more than SEAL_MAX_SLOTS, each slot one context (about
 * 1.5 KiB once used), so at most about 1.5 MiB by default and 24 MiB at the most,
 * however many conversations a run has. A conversation that finds its slot taken
 * derives its key again and re-keys that slot's context (about 0.3 µs). No global
 * mutable state: every sealer is its own, so any number of worker threads may each
 * hold some.
 *
 * Every argument is checked (types, lengths, spans within the buffer, ids and
 * counters in range) before anything is written; a bad one throws TypeError or
 * RangeError.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <math.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

#define SECRET_BYTES 32
#define FRANKING_KEY_BYTES 32
#define COMMITMENT_BYTES 32
#define NONCE_BYTES 12
#define TAG_BYTES 16
#define SEAL_MAX_SLOTS 16384u
#define SEAL_DEFAULT_SLOTS 1024u
#define MAX_SAFE 9007199254740991.0 /* 2^53 - 1 */
#define MAX_COUNTER 281474976710655.0 /* 2^48 - 1: the nonce's six counter bytes */

static const napi_type_tag SEALER_TAG = {0x5ea1b1d5b0a7c0deULL, 0x9e3779b97f4a7c15ULL};

typedef struct {
  int64_t conversation;
  EVP_CIPHER_CTX *ctx; /* NULL until the slot is first used */
} slot_t;

typedef struct {
  int frank;
  SHA256_CTX conversations_inner; /* HMAC state after the key's inner pad */
  SHA256_CTX conversations_outer;
  EVP_CIPHER *gcm;
  EVP_CIPHER_CTX *franking; /* AES-256-ECB under the franking secret */
  uint32_t mask;
  slot_t *slots;
  double hits, misses;
} sealer_t;

/* ------------------------------------------------------------------ helpers */


/* A typed array of `type`: its data and element count, or 0 having thrown a TypeError. */
static int typed_array(napi_env env, napi_value v, napi_typedarray_type type, const char *what, void **data, size_t *length) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) {
    char msg[160];
    snprintf(msg, sizeof msg, "%s must be a typed array", what);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &t, length, data, &ab, &off) != napi_ok || t != type) {
    char msg[160];
    const char *want = type == napi_uint8_array ? "Uint8Array" : type == napi_uint32_array ? "Uint32Array" : "Float64Array";
    snprintf(msg, sizeof msg, "%s must be a %s", what, want);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  if (*length == 0) *data = NULL;
  return 1;
}

static int sealer_of(napi_env env, napi_value v, sealer_t **out) {
  napi_valuetype t;
  bool tagged = false;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_check_object_type_tag(env, v, &SEALER_TAG, &tagged) != napi_ok ||
      !tagged) {
    napi_throw_type_error(env, NULL, "not a sealer (make one with sealerNew)");
    return 0;
  }
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, NULL, "not a sealer (make one with sealerNew)");
    return 0;
  }
  *out = (sealer_t *)p;
  return 1;
}

/* Encrypts `len` bytes in place, in pieces an int can count. */
static int encrypt_chunked(EVP_CIPHER_CTX *ctx, uint8_t *data, size_t len) {
  while (len > 0) {
    int piece = len > (1u << 30) ? (1 << 30) : (int)len, outl = 0;
    if (EVP_EncryptUpdate(ctx, data, &outl, data, piece) != 1 || outl != piece) return 0;
    data += piece;
    len -= (size_t)piece;
  }
  return 1;
}

/* A number as a message shows it, as JavaScript would print the usual ones (NaN, Infinity, integers). */
static const char *number_text(double x, char *buf, size_t size) {
  if (x != x) snprintf(buf, size, "NaN");
  else if (isinf(x)) snprintf(buf, size, x > 0 ? "Infinity" : "-Infinity");
  else if (trunc(x) == x && fabs(x) < 1e21) snprintf(buf, size, "%.0f", x);
  else snprintf(buf, size, "%.17g", x);
  return buf;
}

static int is_safe_integer(double x) { return x == x && fabs(x) <= MAX_SAFE && trunc(x) == x; }

static void hmac_prepare(const uint8_t *key, size_t len, SHA256_CTX *inner, SHA256_CTX *outer) {
  uint8_t k[64], pad[64];
  memset(k, 0, sizeof k);
  if (len > 64) SHA256(key, len, k);
  else memcpy(k, key, len);
  for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x36;
  SHA256_Init(inner);
  SHA256_Update(inner, pad, 64);
  for (int i = 0; i < 64; i++) pad[i] = k[i] ^ 0x5c;
  SHA256_Init(outer);
  SHA256_Update(outer, pad, 64);
}

/* HMAC-SHA256 under a 32-byte key (a franking key), as RFC 2104 and node's createHmac. */
static void hmac32(const uint8_t *key, const uint8_t *msg, size_t len, uint8_t *out) {
  uint8_t pad[64], inner[32];
  SHA256_CTX c;
  for (int i = 0; i < 32; i++) pad[i] = key[i] ^ 0x36;
  memset(pad + 32, 0x36, 32);
  SHA256_Init(&c);
  SHA256_Update(&c, pad, 64);
  if (len > 0) SHA256_Update(&c, msg, len);
  SHA256_Final(inner, &c);
  for (int i = 0; i < 64; i++) pad[i] ^= 0x36 ^ 0x5c;
  SHA256_Init(&c);
  SHA256_Update(&c, pad, 64);
  SHA256_Update(&c, inner, 32);
  SHA256_Final(out, &c);
}

/* The conversation key: HMAC-SHA256(conversations secret, String(conversation)). */
static void conversation_key(const sealer_t *s, int64_t conversation, uint8_t *key) {
  char text[24];
  int n = snprintf(text, sizeof text, "%lld", (long long)conversation);
  uint8_t inner[32];
  SHA256_CTX c = s->conversations_inner;
  SHA256_Update(&c, text, (size_t)n);
  SHA256_Final(inner, &c);
  c = s->conversations_outer;
  SHA256_Update(&c, inner, 32);
  SHA256_Final(key, &c);
  OPENSSL_cleanse(inner, sizeof inner);
}

/* The AES-GCM context keyed for `conversation`, from its slot (re-keyed on a miss), or NULL. */
static EVP_CIPHER_CTX *context_for(sealer_t *s, int64_t conversation) {
  uint64_t h = (uint64_t)conversation * 0x9e3779b97f4a7c15ULL;
  slot_t *slot = &s->slots[(uint32_t)(h >> 32) & s->mask];
  if (slot->ctx != NULL && slot->conversation == conversation) {
    s->hits++;
    return slot->ctx;
  }
  s->misses++;
  uint8_t key[32];
  conversation_key(s, conversation, key);
  int ok;
  if (slot->ctx == NULL) {
    slot->ctx = EVP_CIPHER_CTX_new();
    ok = slot->ctx != NULL && EVP_EncryptInit_ex(slot->ctx, s->gcm, NULL, key, NULL) == 1;
  } else {
    ok = EVP_EncryptInit_ex(slot->ctx, NULL, NULL, key, NULL) == 1;
  }
  OPENSSL_cleanse(key, sizeof key);
  if (!ok) {
    EVP_CIPHER_CTX_free(slot->ctx);
    slot->ctx = NULL;
    return NULL;
  }
  slot->conversation = conversation;
  return slot->ctx;
}

static void sealer_free(sealer_t *s) {
  if (s == NULL) return;
  if (s->slots != NULL) {
    for (uint32_t i = 0; i <= s->mask; i++) EVP_CIPHER_CTX_free(s->slots[i].ctx);
    free(s->slots);
  }
  EVP_CIPHER_CTX_free(s->franking);
  EVP_CIPHER_free(s->gcm);
  OPENSSL_cleanse(s, sizeof *s);
  free(s);
}

static void sealer_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  sealer_free((sealer_t *)data);
}

/* ------------------------------------------------------------------ sealerNew */

/*
 * sealerNew(frankingSecret: Uint8Array(32), conversationsSecret: Uint8Array(32),
 *           frank: boolean, slots?: number) → sealer
 * `slots`, the bound of the conversation cache, is rounded up to a power of two in
 * [1, SEAL_MAX_SLOTS]; SEAL_DEFAULT_SLOTS when left out.
 */
static napi_value sealer_new(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return throw_error(env, "sealerNew: bad call");
  if (argc < 3) return throw_type(env, "sealerNew(frankingSecret, conversationsSecret, frank, slots?)");
  uint8_t *franking, *conversations;
  size_t franking_len, conversations_len;
  if (!typed_array(env, argv[0], napi_uint8_array, "frankingSecret", (void **)&franking, &franking_len)) return NULL;
  if (!typed_array(env, argv[1], napi_uint8_array, "conversationsSecret", (void **)&conversations, &conversations_len)) return NULL;
  if (franking_len != SECRET_BYTES) return throw_range(env, "frankingSecret must be 32 bytes");
  if (conversations_len != SECRET_BYTES) return throw_range(env, "conversationsSecret must be 32 bytes");
  bool frank;
  if (napi_get_value_bool(env, argv[2], &frank) != napi_ok) return throw_type(env, "frank must be a boolean");
  uint32_t slots = SEAL_DEFAULT_SLOTS;
  if (argc >= 4) {
    napi_valuetype t;
    napi_typeof(env, argv[3], &t);
    if (t != napi_undefined) {
      double want;
      if (t != napi_number || napi_get_value_double(env, argv[3], &want) != napi_ok) return throw_type(env, "slots must be a number");
      if (!(want >= 1 && want <= SEAL_MAX_SLOTS) || trunc(want) != want) return throw_range(env, "slots must be an integer in [1, 16384]");
      slots = 1;
      while (slots < (uint32_t)want) slots <<= 1;
    }
  }

  sealer_t *s = calloc(1, sizeof *s);
  if (s == NULL) return throw_error(env, "sealerNew: out of memory");
  s->frank = frank;
  s->mask = slots - 1;
  s->slots = calloc(slots, sizeof *s->slots);
  s->gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
  s->franking = EVP_CIPHER_CTX_new();
  int ok = s->slots != NULL && s->gcm != NULL && s->franking != NULL &&
           EVP_EncryptInit_ex(s->franking, EVP_aes_256_ecb(), NULL, franking, NULL) == 1 && EVP_CIPHER_CTX_set_padding(s->franking, 0) == 1;
  if (!ok) {
    sealer_free(s);
    return throw_error(env, "sealerNew: OpenSSL could not set up the ciphers");
  }
  hmac_prepare(conversations, conversations_len, &s->conversations_inner, &s->conversations_outer);

  napi_value external;
  if (napi_create_external(env, s, sealer_finalize, NULL, &external) != napi_ok) {
    sealer_free(s);
    return throw_error(env, "sealerNew: could not make the sealer");
  }
  if (napi_type_tag_object(env, external, &SEALER_TAG) != napi_ok) return throw_error(env, "sealerNew: could not tag the sealer");
  return external;
}

/* ------------------------------------------------------------------ sealBatch */

static int make_u8(napi_env env, size_t length, uint8_t **data, napi_value *out) {
  napi_value ab;
  void *p = NULL;
  if (napi_create_arraybuffer(env, length, &p, &ab) != napi_ok) return 0;
  if (napi_create_typedarray(env, napi_uint8_array, length, ab, 0, out) != napi_ok) return 0;
  *data = (uint8_t *)p;
  return 1;
}

/*
 * sealBatch(sealer, plain: Uint8Array, spans: Uint32Array(2n), encrypted: Uint8Array(n),
 *           places: Float64Array(2n), ids: Float64Array(n))
 *   → { payloads: Uint8Array, offsets: Uint32Array(n+1), commitments: Uint8Array(32n) | null }
 * Message i's plaintext is plain[spans[2i], spans[2i+1]); it is encrypted when
 * encrypted[i] is not 0, in conversation places[2i] with nonce counter places[2i+1]
 * (both read only then); ids[i] is its message id (read only with franking). Its
 * payload is payloads[offsets[i], offsets[i+1]), its commitment commitments[32i, 32i+32).
 * The spans may leave gaps and lie anywhere in plain (the sealing pool passes its
 * request buffer as it came).
 */
static napi_value seal_batch(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return throw_error(env, "sealBatch: bad call");
  if (argc < 6) return throw_type(env, "sealBatch(sealer, plain, spans, encrypted, places, ids)");
  sealer_t *s;
  if (!sealer_of(env, argv[0], &s)) return NULL;
  uint8_t *plain, *encrypted;
  uint32_t *spans;
  double *places, *ids;
  size_t plain_len, spans_len, n, places_len, ids_len;
  if (!typed_array(env, argv[1], napi_uint8_array, "plain", (void **)&plain, &plain_len)) return NULL;
  if (!typed_array(env, argv[2], napi_uint32_array, "spans", (void **)&spans, &spans_len)) return NULL;
  if (!typed_array(env, argv[3], napi_uint8_array, "encrypted", (void **)&encrypted, &n)) return NULL;
  if (!typed_array(env, argv[4], napi_float64_array, "places", (void **)&places, &places_len)) return NULL;
  if (!typed_array(env, argv[5], napi_float64_array, "ids", (void **)&ids, &ids_len)) return NULL;
  if (spans_len != 2 * n) return throw_range(env, "spans must hold two offsets per message (2 × encrypted.length)");
  if (places_len != 2 * n) return throw_range(env, "places must hold a conversation and a nonce counter per message (2 × encrypted.length)");
  if (ids_len != n) return throw_range(env, "ids must hold one id per message (encrypted.length)");
  if (n > 0xfffffffeu / COMMITMENT_BYTES) return throw_range(env, "too many messages for one batch");

  /* Every check before any work: the spans, the numbers, the total size. */
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t start = spans[2 * i], end = spans[2 * i + 1];
    if (start > end || end > plain_len) {
      char msg[160];
      snprintf(msg, sizeof msg, "message %zu: span [%u, %u) is not within plain (%zu bytes)", i, start, end, plain_len);
      return throw_range(env, msg);
    }
    total += (uint64_t)(end - start) + (s->frank ? FRANKING_KEY_BYTES : 0) + (encrypted[i] ? NONCE_BYTES + TAG_BYTES : 0);
    if (s->frank && (!is_safe_integer(ids[i]) || ids[i] < 0)) {
      char msg[160];
      char num[32];
      snprintf(msg, sizeof msg, "message %zu: id %s is not a non-negative integer", i, number_text(ids[i], num, sizeof num));
      return throw_range(env, msg);
    }
    if (encrypted[i]) {
      if (!is_safe_integer(places[2 * i])) {
        char msg[160];
        char num[32];
        snprintf(msg, sizeof msg, "message %zu: conversation %s is not an integer", i, number_text(places[2 * i], num, sizeof num));
        return throw_range(env, msg);
      }
      double nonce = places[2 * i + 1];
      if (!(nonce >= 0 && nonce <= MAX_COUNTER) || trunc(nonce) != nonce) {
        char msg[160];
        char num[32];
        snprintf(msg, sizeof msg, "message %zu: nonce counter %s is not an integer in [0, 2^48)", i, number_text(nonce, num, sizeof num));
        return throw_range(env, msg);
      }
    }
  }
  if (total > 0xffffffffu) return throw_range(env, "the sealed batch would exceed 4 GiB");

  /* The franking keys, one ECB call over every message's two counter blocks. */
  uint8_t *keys = NULL;
  if (s->frank && n > 0) {
    keys = malloc(n * FRANKING_KEY_BYTES);
    if (keys == NULL) return throw_error(env, "sealBatch: out of memory");
    for (size_t i = 0; i < n; i++) {
      uint64_t block = (uint64_t)ids[i] * 2;
      uint8_t *b = keys + i * FRANKING_KEY_BYTES;
      memset(b, 0, FRANKING_KEY_BYTES);
      for (int j = 0; j < 8; j++) {
        b[15 - j] = (uint8_t)(block >> (8 * j));
        b[31 - j] = (uint8_t)((block + 1) >> (8 * j));
      }
    }
    if (!encrypt_chunked(s->franking, keys, n * FRANKING_KEY_BYTES)) {
      free(keys);
      return throw_error(env, "sealBatch: OpenSSL failed to derive the franking keys");
    }
  }

  napi_value result, payloads_v, offsets_v, commitments_v = NULL, offsets_ab;
  uint8_t *payloads, *commitments = NULL;
  uint32_t *offsets;
  void *offsets_p;
  int made = make_u8(env, (size_t)total, &payloads, &payloads_v) &&
             napi_create_arraybuffer(env, (n + 1) * sizeof(uint32_t), &offsets_p, &offsets_ab) == napi_ok &&
             napi_create_typedarray(env, napi_uint32_array, n + 1, offsets_ab, 0, &offsets_v) == napi_ok &&
             (!s->frank || make_u8(env, n * COMMITMENT_BYTES, &commitments, &commitments_v));
  if (!made) {
    free(keys);
    return throw_error(env, "sealBatch: could not allocate the sealed batch");
  }
  offsets = (uint32_t *)offsets_p;

  /* Read each input once more, and re-check it: the arrays may sit on memory another
     thread can write, so nothing here trusts what the first pass saw. */
  uint64_t at = 0;
  const char *failure = NULL;
  for (size_t i = 0; i < n && failure == NULL; i++) {
    uint32_t start = spans[2 * i], end = spans[2 * i + 1];
    int enc = encrypted[i] != 0;
    const uint8_t *key = keys != NULL ? keys + i * FRANKING_KEY_BYTES : NULL;
    size_t len = end - start;
    size_t body = len + (key != NULL ? FRANKING_KEY_BYTES : 0);
    size_t size = body + (enc ? NONCE_BYTES + TAG_BYTES : 0);
    if (start > end || end > plain_len || size > total - at) {
      failure = "sealBatch: an argument changed during the call";
      break;
    }
    const uint8_t *p = plain + start;
    uint8_t *out = payloads + at;
    offsets[i] = (uint32_t)at;
    if (key != NULL) hmac32(key, p, len, commitments + i * COMMITMENT_BYTES);
    uint8_t *dst = enc ? out + NONCE_BYTES : out;
    if (len > 0) memcpy(dst, p, len);
    if (key != NULL) memcpy(dst + len, key, FRANKING_KEY_BYTES);
    if (enc) {
      double conversation = places[2 * i], nonce = places[2 * i + 1];
      if (!is_safe_integer(conversation) || !(nonce >= 0 && nonce <= MAX_COUNTER) || trunc(nonce) != nonce) {
        failure = "sealBatch: an argument changed during the call";
        break;
      }
      uint64_t counter = (uint64_t)nonce;
      memset(out, 0, NONCE_BYTES - 6);
      for (int j = 0; j < 6; j++) out[NONCE_BYTES - 1 - j] = (uint8_t)(counter >> (8 * j));
      EVP_CIPHER_CTX *ctx = context_for(s, (int64_t)conversation);
      int l2 = 0;
      if (ctx == NULL || EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, out) != 1 || !encrypt_chunked(ctx, dst, body) ||
          EVP_EncryptFinal_ex(ctx, dst + body, &l2) != 1 || l2 != 0 || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_BYTES, dst + body) != 1) {
        failure = "sealBatch: OpenSSL failed to encrypt";
      }
    }
    at += size;
  }
  if (failure == NULL && at != total) failure = "sealBatch: an argument changed during the call";
  offsets[n] = (uint32_t)at;
  if (keys != NULL) {
    OPENSSL_cleanse(keys, n * FRANKING_KEY_BYTES);
    free(keys);
  }
  if (failure != NULL) return throw_error(env, failure);

  napi_value null_v;
  napi_get_null(env, &null_v);
  if (napi_create_object(env, &result) != napi_ok || napi_set_named_property(env, result, "payloads", payloads_v) != napi_ok ||
      napi_set_named_property(env, result, "offsets", offsets_v) != napi_ok ||
      napi_set_named_property(env, result, "commitments", commitments_v != NULL ? commitments_v : null_v) != napi_ok) {
    return throw_error(env, "sealBatch: could not return the sealed batch");
  }
  return result;
}

/* sealerStats(sealer) → { slots, hits, misses }: the conversation cache, for the bench. */
static napi_value sealer_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return throw_error(env, "sealerStats: bad call");
  sealer_t *s;
  if (argc < 1 || !sealer_of(env, argv[0], &s)) return argc < 1 ? throw_type(env, "sealerStats(sealer)") : NULL;
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_uint32(env, s->mask + 1, &v);
  napi_set_named_property(env, out, "slots", v);
  napi_create_double(env, s->hits, &v);
  napi_set_named_property(env, out, "hits", v);
  napi_create_double(env, s->misses, &v);
  napi_set_named_property(env, out, "misses", v);
  return out;
}

void seal_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sealerNew", NULL, sealer_new, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sealBatch", NULL, seal_batch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sealerStats", NULL, sealer_stats, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
