/*
 * Batched bank matching: for each 256-bit query hash, the closest bank entry within a
 * Hamming distance r (lowest index on ties), or none; exactly what brute force gives.
 *
 * The index is multi-index hashing (Norouzi, Punjani & Fleet, CVPR 2012): the 256 bits
 * are cut into 16 chunks of 16 bits and each chunk position gets a table from chunk
 * value to the entries having it. An entry within r of a query has, by the pigeonhole
 * principle, a chunk within floor(r / 16) bits of the query's, so probing in every table
 * the values within that many bits finds it. Each table entry carries, beside the entry
 * id, a 96-bit sketch: the six chunks that follow its own (wrapping round). The sketch's
 * distance plus the probe's own bits is a lower bound of the full distance, so almost
 * every candidate is rejected without reading the bank (an unrelated entry passes with a
 * chance of about 2 in 10,000 at r = 31); the rest are checked in full against the bank.
 *
 * Memory: per bank entry 16 × (12-byte sketch + 4-byte id) = 256 bytes, plus 16 offset
 * tables of 2^16 + 1 words (4 MiB) per index. The bank itself stays with the caller and
 * is passed to every call.
 *
 * Three ways to answer a batch, the same answers:
 *   probe  per query, every probe of every table, software-pipelined: the bucket
 *          offsets and then the bucket's sketches are prefetched some probes ahead, so
 *          the random memory accesses of many probes are in flight at once;
 *   sweep  for large batches (from 3 probes per 4 buckets of a table): per table, all
 *          probes of the batch sorted by bucket (counting sort) and the table swept
 *          once in order, each bucket's sketches read once for all the queries
 *          probing it;
 *   brute  every entry for every query: for radii of more than 2 bits per chunk (the
 *          probes would outnumber the bank) and for banks without an index.
 *
 * Safe in worker threads: no mutable global state; each call allocates its own scratch.
 * Popcount: the hot loops are compiled twice on x86, with and without the POPCNT
 * instruction, and the CPU is asked at run time; elsewhere the compiler's builtin (or a
 * portable bit count) is used as it is.
 */
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#include "kernels.h"

#define HASH_BYTES 32
#define CHUNKS 16
#define BUCKETS 65536
/* Above this many bits per chunk, brute force (the probes would outnumber the bank). */
#define MAX_RADIUS 2
/* Masks of at most MAX_RADIUS bits among 16: 1 + 16 + 120. */
#define MAX_MASKS 137
/* Probes in flight ahead of the one being checked (probe strategy). */
#define AHEAD 16
/* The sweep from this many probes per table on (three in four buckets probed), probing below. */
#define SWEEP_FROM (BUCKETS / 4 * 3)
/* Probes per table the sweep sorts at once (bounds its scratch memory to 16 MiB). */
#define SWEEP_PROBES (1u << 22)
/* The largest bank an index is built for (entry ids and probe keys fit 32 bits). */
#define MAX_ENTRIES (1u << 28)

enum { STRATEGY_AUTO = 0, STRATEGY_PROBE = 1, STRATEGY_SWEEP = 2, STRATEGY_BRUTE = 3 };

#if defined(__GNUC__) || defined(__clang__)
#define INLINE static inline __attribute__((always_inline))
#define POP64(x) __builtin_popcountll(x)
#define PREFETCH(p) __builtin_prefetch(p)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define INLINE static inline
static inline int pop64_portable(uint64_t x) {
  x -= (x >> 1) & 0x5555555555555555ull;
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return (int)((x * 0x0101010101010101ull) >> 56);
}
#define POP64(x) pop64_portable(x)
#define PREFETCH(p) ((void)(p))
#define UNLIKELY(x) (x)
#endif

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define DISPATCH_POPCNT 1
#endif

static const napi_type_tag INDEX_TAG = {0x6a1d3c5e8b7f4a21ull, 0x9e2b6d4c1f0a8e37ull};

typedef struct {
  uint32_t size;
  size_t bytes;
  /* Per table: BUCKETS + 1 offsets into its ids and sketches, ascending entry ids per bucket. */
  uint32_t *offsets;
  uint32_t *ids;
  /* Per table entry: three 32-bit words, chunks (c+1, c+2), (c+3, c+4), (c+5, c+6). */
  uint32_t *sketch;
} match_index;

/* ------------------------------------------------------------------------------------ */
/* Memory */

static void *alloc_table(size_t bytes) {
  if (bytes == 0) bytes = 1;
#if defined(__linux__)
  /* Tables this large are probed at random: 2 MiB pages spare most TLB misses. */
  const size_t huge = (size_t)2 << 20;
  if (bytes >= huge) {
    void *p = NULL;
    size_t rounded = (bytes + huge - 1) / huge * huge;
    if (posix_memalign(&p, huge, rounded) != 0) return NULL;
#if defined(MADV_HUGEPAGE)
    madvise(p, rounded, MADV_HUGEPAGE);
#endif
    return p;
  }
#endif
  return malloc(bytes);
}

static void free_index(match_index *ix) {
  if (!ix) return;
  free(ix->offsets);
  free(ix->ids);
  free(ix->sketch);
  free(ix);
}

/* ------------------------------------------------------------------------------------ */
/* Hash helpers (bytes, so the layout does not depend on the host's byte order) */

INLINE uint32_t chunk_of(const uint8_t *h, int c) { return (uint32_t)h[2 * c] | ((uint32_t)h[2 * c + 1] << 8); }

INLINE uint64_t load64(const uint8_t *p) {
  uint64_t x = 0;
  for (int i = 7; i >= 0; i--) x = (x << 8) | p[i];
  return x;
}

/* The query's words and per-table chunks and sketches, computed once per query. */
typedef struct {
  uint64_t w[4];
  uint32_t chunk[CHUNKS];
  uint32_t sk[CHUNKS][3];
} query_t;

static void prepare_query(const uint8_t *h, query_t *q) {
  for (int i = 0; i < 4; i++) q->w[i] = load64(h + 8 * i);
  for (int c = 0; c < CHUNKS; c++) q->chunk[c] = chunk_of(h, c);
  for (int c = 0; c < CHUNKS; c++) {
    for (int k = 0; k < 3; k++) {
      q->sk[c][k] = q->chunk[(c + 1 + 2 * k) & 15] | (q->chunk[(c + 2 + 2 * k) & 15] << 16);
    }
  }
}

/* Every 16-bit mask with at most `radius` (0..MAX_RADIUS) bits set, and its bit count; returns how many. */
static int masks_within(int radius, uint32_t *mask, int *weight) {
  int n = 0;
  mask[n] = 0;
  weight[n++] = 0;
  for (int i = 0; radius >= 1 && i < 16; i++) {
    mask[n] = 1u << i;
    weight[n++] = 1;
  }
  for (int i = 0; radius >= 2 && i < 16; i++) {
    for (int j = i + 1; j < 16; j++) {
      mask[n] = (1u << i) | (1u << j);
      weight[n++] = 2;
    }
  }
  return n;
}

/* ------------------------------------------------------------------------------------ */
/* Kernels: bodies inlined into a POPCNT build and a generic build (see DISPATCH_POPCNT) */

INLINE int distance_words(const uint64_t *q, const uint8_t *e) {
  return POP64(q[0] ^ load64(e)) + POP64(q[1] ^ load64(e + 8)) + POP64(q[2] ^ load64(e + 16)) + POP64(q[3] ^ load64(e + 24));
}

INLINE int sketch_distance(const uint32_t *s, const uint32_t *q) {
  uint64_t a = ((uint64_t)s[0] | ((uint64_t)s[1] << 32)) ^ ((uint64_t)q[0] | ((uint64_t)q[1] << 32));
  return POP64(a) + POP64((uint64_t)(s[2] ^ q[2]));
}

/* Offers entry e at distance d to a query's best so far (closest, then lowest index). */
INLINE void offer(int32_t *best_index, int32_t *best_distance, uint32_t e, int d) {
  if (d < *best_distance || (d == *best_distance && (*best_index < 0 || (int32_t)e < *best_index))) {
    *best_distance = d;
    *best_index = (int32_t)e;
  }
}

INLINE void brute_body(const uint8_t *entries, uint32_t size, const uint8_t *queries, size_t n, int r, int32_t *out_index, int32_t *out_distance) {
  for (size_t j = 0; j < n; j++) {
    uint64_t q[4];
    for (int i = 0; i < 4; i++) q[i] = load64(queries + j * HASH_BYTES + 8 * i);
    int32_t best = -1;
    int limit = r;
    int found = 0;
    for (uint32_t e = 0; e < size; e++) {
      const uint8_t *x = entries + (size_t)e * HASH_BYTES;
      int d = POP64(q[0] ^ load64(x)) + POP64(q[1] ^ load64(x + 8));
      if (d > limit) continue;
      d += POP64(q[2] ^ load64(x + 16)) + POP64(q[3] ^ load64(x + 24));
      if (d <= limit) {
        /* Strictly closer entries only from here on, so ties keep the lowest index. */
        best = (int32_t)e;
        found = d;
        if (d == 0) break;
        limit = d - 1;
      }
    }
    out_index[j] = best;
    out_distance[j] = best < 0 ? -1 : found;
  }
}

/* One probe of a query in flight: its table and mask weight, and the bucket's range. */
typedef struct {
  uint32_t query;
  uint32_t table;
  int weight;
  size_t lo;
  size_t hi;
} probe_t;

/* Walks the probes of a batch in order: query, then table, then mask. */
typedef struct {
  size_t query;
  int table;
  int mask;
} probe_iter;

INLINE void iter_next(probe_iter *it, int masks) {
  if (++it->mask == masks) {
    it->mask = 0;
    if (++it->table == CHUNKS) {
      it->table = 0;
      it->query++;
    }
  }
}

INLINE void probe_body(const match_index *ix, const uint8_t *entries, const query_t *qs, size_t n, int r, const uint32_t *mask, const int *weight,
                       int masks, int32_t *best_index, int32_t *best_distance) {
  probe_t ring[2 * AHEAD];
  probe_iter far = {0, 0, 0}, near = {0, 0, 0};
  size_t total = n * (size_t)CHUNKS * (size_t)masks;
  /* Stage 1 (2×AHEAD ahead): prefetch the bucket's offsets. Stage 2 (AHEAD ahead): read
     them, prefetch the bucket's sketches, queue the probe. Stage 3: check the probe. */
  for (size_t k = 0; k < total + 2 * AHEAD; k++) {
    if (k < total) {
      const query_t *q = qs + far.query;
      uint32_t v = q->chunk[far.table] ^ mask[far.mask];
      PREFETCH(ix->offsets + (size_t)far.table * (BUCKETS + 1) + v);
      iter_next(&far, masks);
    }
    if (k >= AHEAD && k - AHEAD < total) {
      const query_t *q = qs + near.query;
      uint32_t v = q->chunk[near.table] ^ mask[near.mask];
      const uint32_t *o = ix->offsets + (size_t)near.table * (BUCKETS + 1) + v;
      probe_t *p = &ring[(k - AHEAD) % (2 * AHEAD)];
      p->query = (uint32_t)near.query;
      p->table = (uint32_t)near.table;
      p->weight = weight[near.mask];
      p->lo = (size_t)near.table * ix->size + o[0];
      p->hi = (size_t)near.table * ix->size + o[1];
      const char *a = (const char *)(ix->sketch + 3 * (size_t)p->lo);
      const char *b = (const char *)(ix->sketch + 3 * (size_t)p->hi);
      for (; a < b; a += 64) PREFETCH(a);
      if (p->hi > p->lo) PREFETCH(b - 1);
      iter_next(&near, masks);
    }
    if (k >= 2 * AHEAD) {
      const probe_t *p = &ring[(k - 2 * AHEAD) % (2 * AHEAD)];
      const query_t *q = qs + p->query;
      const uint32_t *qsk = q->sk[p->table];
      int32_t *bi = best_index + p->query;
      int32_t *bd = best_distance + p->query;
      int limit = *bd - p->weight;
      for (size_t i = p->lo; i < p->hi; i++) {
        if (sketch_distance(ix->sketch + 3 * i, qsk) > limit) continue;
        const uint32_t e = ix->ids[i];
        offer(bi, bd, e, distance_words(q->w, entries + (size_t)e * HASH_BYTES));
        limit = *bd - p->weight;
      }
    }
  }
  (void)r;
}

/*
 * Sorted sweep of every table for queries [0, n). Scratch: BUCKETS + 1 counts, n × masks
 * keys and n × 3 words, the queries' sketches for the table being swept (compact, so the
 * sweep's random accesses to them stay in cache).
 */
INLINE void sweep_body(const match_index *ix, const uint8_t *entries, const query_t *qs, size_t n, const uint32_t *mask, const int *weight, int masks,
                       int32_t *best_index, int32_t *best_distance, uint32_t *count, uint32_t *keys, uint32_t *qsk) {
  for (int c = 0; c < CHUNKS; c++) {
    memset(count, 0, sizeof(uint32_t) * (BUCKETS + 1));
    for (size_t j = 0; j < n; j++) {
      uint32_t v0 = qs[j].chunk[c];
      for (int k = 0; k < 3; k++) qsk[3 * j + k] = qs[j].sk[c][k];
      for (int m = 0; m < masks; m++) count[(v0 ^ mask[m]) + 1]++;
    }
    for (uint32_t v = 0; v < BUCKETS; v++) count[v + 1] += count[v];
    /* After the fill, count[v] is the end of bucket v's keys (and the start of v + 1's). */
    for (size_t j = 0; j < n; j++) {
      uint32_t v0 = qs[j].chunk[c];
      for (int m = 0; m < masks; m++) keys[count[v0 ^ mask[m]]++] = ((uint32_t)j << 8) | (uint32_t)m;
    }
    const uint32_t *offsets = ix->offsets + (size_t)c * (BUCKETS + 1);
    const size_t base = (size_t)c * ix->size;
    uint32_t start = 0;
    for (uint32_t v = 0; v < BUCKETS; v++) {
      uint32_t end = count[v];
      if (end == start) continue;
      const size_t lo = base + offsets[v], hi = base + offsets[v + 1];
      for (uint32_t k = start; k < end; k++) {
        const uint32_t j = keys[k] >> 8;
        const int w = weight[keys[k] & 0xff];
        const uint32_t *q = qsk + 3 * (size_t)j;
        int limit = best_distance[j] - w;
        for (size_t i = lo; i < hi; i++) {
          if (sketch_distance(ix->sketch + 3 * i, q) > limit) continue;
          const uint32_t e = ix->ids[i];
          offer(best_index + j, best_distance + j, e, distance_words(qs[j].w, entries + (size_t)e * HASH_BYTES));
          limit = best_distance[j] - w;
        }
      }
      start = end;
    }
  }
}

#if DISPATCH_POPCNT
__attribute__((target("popcnt"))) static void brute_popcnt(const uint8_t *entries, uint32_t size, const uint8_t *queries, size_t n, int r, int32_t *oi,
                                                           int32_t *od) {
  brute_body(entries, size, queries, n, r, oi, od);
}
__attribute__((target("popcnt"))) static void probe_popcnt(const match_index *ix, const uint8_t *entries, const query_t *qs, size_t n, int r,
                                                           const uint32_t *mask, const int *weight, int masks, int32_t *bi, int32_t *bd) {
  probe_body(ix, entries, qs, n, r, mask, weight, masks, bi, bd);
}
__attribute__((target("popcnt"))) static void sweep_popcnt(const match_index *ix, const uint8_t *entries, const query_t *qs, size_t n, const uint32_t *mask,
                                                           const int *weight, int masks, int32_t *bi, int32_t *bd, uint32_t *count, uint32_t *keys, uint32_t *qsk) {
  sweep_body(ix, entries, qs, n, mask, weight, masks, bi, bd, count, keys, qsk);
}
#endif
static void brute_generic(const uint8_t *entries, uint32_t size, const uint8_t *queries, size_t n, int r, int32_t *oi, int32_t *od) {
  brute_body(entries, size, queries, n, r, oi, od);
}
static void probe_generic(const match_index *ix, const uint8_t *entries, const query_t *qs, size_t n, int r, const uint32_t *mask, const int *weight,
                          int masks, int32_t *bi, int32_t *bd) {
  probe_body(ix, entries, qs, n, r, mask, weight, masks, bi, bd);
}
static void sweep_generic(const match_index *ix, const uint8_t *entries, const query_t *qs, size_t n, const uint32_t *mask, const int *weight, int masks,
                          int32_t *bi, int32_t *bd, uint32_t *count, uint32_t *keys, uint32_t *qsk) {
  sweep_body(ix, entries, qs, n, mask, weight, masks, bi, bd, count, keys, qsk);
}

#if DISPATCH_POPCNT
static int has_popcnt(void) { return __builtin_cpu_supports("popcnt"); }
#endif

static void brute(const uint8_t *entries, uint32_t size, const uint8_t *queries, size_t n, int r, int32_t *oi, int32_t *od) {
#if DISPATCH_POPCNT
  if (has_popcnt()) {
    brute_popcnt(entries, size, queries, n, r, oi, od);
    return;
  }
#endif
  brute_generic(entries, size, queries, n, r, oi, od);
}

/* ------------------------------------------------------------------------------------ */
/* Building an index */

static match_index *build_index(const uint8_t *entries, uint32_t size) {
  match_index *ix = calloc(1, sizeof(match_index));
  if (!ix) return NULL;
  ix->size = size;
  const size_t offsets_bytes = sizeof(uint32_t) * CHUNKS * (size_t)(BUCKETS + 1);
  const size_t ids_bytes = sizeof(uint32_t) * CHUNKS * (size_t)size;
  const size_t sketch_bytes = 3 * sizeof(uint32_t) * CHUNKS * (size_t)size;
  ix->offsets = alloc_table(offsets_bytes);
  ix->ids = alloc_table(ids_bytes);
  ix->sketch = alloc_table(sketch_bytes);
  uint32_t *fill = malloc(sizeof(uint32_t) * BUCKETS);
  if (!ix->offsets || !ix->ids || !ix->sketch || !fill) {
    free(fill);
    free_index(ix);
    return NULL;
  }
  ix->bytes = sizeof(match_index) + offsets_bytes + ids_bytes + sketch_bytes;
  for (int c = 0; c < CHUNKS; c++) {
    uint32_t *offsets = ix->offsets + (size_t)c * (BUCKETS + 1);
    memset(offsets, 0, sizeof(uint32_t) * (BUCKETS + 1));
    for (uint32_t e = 0; e < size; e++) offsets[chunk_of(entries + (size_t)e * HASH_BYTES, c) + 1]++;
    for (uint32_t v = 0; v < BUCKETS; v++) offsets[v + 1] += offsets[v];
    memcpy(fill, offsets, sizeof(uint32_t) * BUCKETS);
    uint32_t *ids = ix->ids + (size_t)c * size;
    uint32_t *sketch = ix->sketch + 3 * (size_t)c * size;
    /* Entry order within each bucket: ascending ids. */
    for (uint32_t e = 0; e < size; e++) {
      const uint8_t *h = entries + (size_t)e * HASH_BYTES;
      uint32_t at = fill[chunk_of(h, c)]++;
      ids[at] = e;
      for (int k = 0; k < 3; k++) sketch[3 * (size_t)at + k] = chunk_of(h, (c + 1 + 2 * k) & 15) | (chunk_of(h, (c + 2 + 2 * k) & 15) << 16);
    }
  }
  free(fill);
  return ix;
}

/* ------------------------------------------------------------------------------------ */
/* Node-API */

/* A typed array argument of the given type: its data and element count; 0 on failure (thrown). */
static int typed_arg(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *length, const char *message) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) {
    throw_type(env, message);
    return 0;
  }
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, length, data, &buffer, &offset) != napi_ok || type != want) {
    throw_type(env, message);
    return 0;
  }
  if (*length > 0 && *data == NULL) {
    throw_type(env, message);
    return 0;
  }
  return 1;
}

/* maxDistance: a whole number of bits, 0..256. */
static int distance_arg(napi_env env, napi_value v, int *out) {
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number || napi_get_value_double(env, v, &d) != napi_ok) {
    throw_type(env, "maxDistance must be a number");
    return 0;
  }
  if (!(d >= 0 && d <= 256) || d != (double)(int)d) {
    throw_range(env, "maxDistance must be a whole number of bits from 0 to 256");
    return 0;
  }
  *out = (int)d;
  return 1;
}

static void finalize_index(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free_index((match_index *)data);
}

static match_index *index_arg(napi_env env, napi_value v) {
  napi_valuetype t;
  bool tagged = false;
  void *data = NULL;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_check_object_type_tag(env, v, &INDEX_TAG, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    throw_type(env, "index must be a bank index made by matchIndex");
    return NULL;
  }
  return (match_index *)data;
}

/* matchIndex(entries: Uint8Array of size × 32 bytes) → the bank's index (an external). */
static napi_value js_match_index(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) return throw_type(env, "matchIndex(entries) needs the bank's entries");
  void *data;
  size_t length;
  if (!typed_arg(env, argv[0], napi_uint8_array, &data, &length, "entries must be a Uint8Array")) return NULL;
  if (length % HASH_BYTES != 0) return throw_range(env, "entries must be a whole number of 32-byte hashes");
  if (length / HASH_BYTES > MAX_ENTRIES) return throw_range(env, "the bank is too large for an index (at most 2^28 entries)");
  match_index *ix = build_index((const uint8_t *)data, (uint32_t)(length / HASH_BYTES));
  if (!ix) {
    napi_throw_error(env, NULL, "out of memory building the bank index");
    return NULL;
  }
  napi_value external;
  if (napi_create_external(env, ix, finalize_index, NULL, &external) != napi_ok) {
    free_index(ix);
    return NULL;
  }
  if (napi_type_tag_object(env, external, &INDEX_TAG) != napi_ok) return NULL;
  return external;
}

/* matchIndexBytes(index) → bytes the index holds. */
static napi_value js_match_index_bytes(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) return throw_type(env, "matchIndexBytes(index) needs an index");
  match_index *ix = index_arg(env, argv[0]);
  if (!ix) return NULL;
  napi_value out;
  napi_create_double(env, (double)ix->bytes, &out);
  return out;
}

/*
 * matchMany(index | null, entries, queries, maxDistance, outIndex, outDistance, strategy?)
 * Writes, per query hash (queries: n × 32 bytes), the closest entry's index and distance,
 * or −1 and −1. index null: brute force. strategy: 0 auto, 1 probe, 2 sweep, 3 brute.
 */
static napi_value js_match_many(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 6) return throw_type(env, "matchMany(index, entries, queries, maxDistance, outIndex, outDistance[, strategy])");
  match_index *ix = NULL;
  napi_valuetype t;
  if (napi_typeof(env, argv[0], &t) != napi_ok) return NULL;
  if (t != napi_null) {
    ix = index_arg(env, argv[0]);
    if (!ix) return NULL;
  }
  void *entries, *queries, *oi, *od;
  size_t entries_length, queries_length, oi_length, od_length;
  if (!typed_arg(env, argv[1], napi_uint8_array, &entries, &entries_length, "entries must be a Uint8Array")) return NULL;
  if (!typed_arg(env, argv[2], napi_uint8_array, &queries, &queries_length, "queries must be a Uint8Array")) return NULL;
  int r;
  if (!distance_arg(env, argv[3], &r)) return NULL;
  if (!typed_arg(env, argv[4], napi_int32_array, &oi, &oi_length, "outIndex must be an Int32Array")) return NULL;
  if (!typed_arg(env, argv[5], napi_int32_array, &od, &od_length, "outDistance must be an Int32Array")) return NULL;
  int strategy = STRATEGY_AUTO;
  if (argc >= 7) {
    napi_valuetype st;
    if (napi_typeof(env, argv[6], &st) != napi_ok) return NULL;
    if (st != napi_undefined) {
      if (st != napi_number || napi_get_value_int32(env, argv[6], &strategy) != napi_ok || strategy < 0 || strategy > 3) {
        return throw_range(env, "strategy must be 0 (auto), 1 (probe), 2 (sweep) or 3 (brute)");
      }
    }
  }
  if (entries_length % HASH_BYTES != 0) return throw_range(env, "entries must be a whole number of 32-byte hashes");
  if (entries_length / HASH_BYTES > MAX_ENTRIES) return throw_range(env, "the bank is too large (at most 2^28 entries)");
  const uint32_t size = (uint32_t)(entries_length / HASH_BYTES);
  if (ix && ix->size != size) return throw_range(env, "entries must be the bank the index was built from (its size differs)");
  if (queries_length % HASH_BYTES != 0) return throw_range(env, "queries must be a whole number of 32-byte hashes");
  const size_t n = queries_length / HASH_BYTES;
  if (oi_length != n || od_length != n) return throw_range(env, "outIndex and outDistance must have one element per query");
  if (n > ((size_t)1 << 24)) return throw_range(env, "at most 2^24 queries per call");
  if (n == 0) return NULL;

  int32_t *out_index = (int32_t *)oi;
  int32_t *out_distance = (int32_t *)od;
  const int radius = r / CHUNKS;
  if (!ix) {
    if (strategy == STRATEGY_PROBE || strategy == STRATEGY_SWEEP) return throw_range(env, "probe and sweep need an index");
    strategy = STRATEGY_BRUTE;
  }
  if (radius > MAX_RADIUS) strategy = STRATEGY_BRUTE;
  if (strategy == STRATEGY_BRUTE) {
    brute((const uint8_t *)entries, size, (const uint8_t *)queries, n, r, out_index, out_distance);
    return NULL;
  }

  uint32_t mask[MAX_MASKS];
  int weight[MAX_MASKS];
  const int masks = masks_within(radius, mask, weight);
  /* Measured at 1M entries: the two cross between 2,000 and 4,000 queries of 17 probes per table. */
  if (strategy == STRATEGY_AUTO) strategy = n * (size_t)masks >= SWEEP_FROM ? STRATEGY_SWEEP : STRATEGY_PROBE;

  query_t *qs = malloc(sizeof(query_t) * n);
  if (!qs) {
    napi_throw_error(env, NULL, "out of memory matching");
    return NULL;
  }
  for (size_t j = 0; j < n; j++) {
    prepare_query((const uint8_t *)queries + j * HASH_BYTES, qs + j);
    out_index[j] = -1;
    out_distance[j] = r;
  }
#if DISPATCH_POPCNT
  const int popcnt = has_popcnt();
#endif
  if (strategy == STRATEGY_PROBE) {
#if DISPATCH_POPCNT
    if (popcnt)
      probe_popcnt(ix, (const uint8_t *)entries, qs, n, r, mask, weight, masks, out_index, out_distance);
    else
#endif
      probe_generic(ix, (const uint8_t *)entries, qs, n, r, mask, weight, masks, out_index, out_distance);
  } else {
    size_t per = SWEEP_PROBES / (size_t)masks;
    size_t most = n < per ? n : per;
    uint32_t *count = malloc(sizeof(uint32_t) * (BUCKETS + 1));
    uint32_t *keys = malloc(sizeof(uint32_t) * most * (size_t)masks);
    uint32_t *qsk = malloc(3 * sizeof(uint32_t) * most);
    if (!count || !keys || !qsk) {
      free(count);
      free(keys);
      free(qsk);
      free(qs);
      napi_throw_error(env, NULL, "out of memory matching");
      return NULL;
    }
    for (size_t from = 0; from < n; from += per) {
      size_t m = n - from < per ? n - from : per;
#if DISPATCH_POPCNT
      if (popcnt)
        sweep_popcnt(ix, (const uint8_t *)entries, qs + from, m, mask, weight, masks, out_index + from, out_distance + from, count, keys, qsk);
      else
#endif
        sweep_generic(ix, (const uint8_t *)entries, qs + from, m, mask, weight, masks, out_index + from, out_distance + from, count, keys, qsk);
    }
    free(count);
    free(keys);
    free(qsk);
  }
  free(qs);
  for (size_t j = 0; j < n; j++) {
    if (out_index[j] < 0) out_distance[j] = -1;
  }
  return NULL;
}

/* matchKernel() → how popcount runs here: "popcnt", "builtin" or "portable". */
static napi_value js_match_kernel(napi_env env, napi_callback_info info) {
  (void)info;
  const char *name;
#if DISPATCH_POPCNT
  name = has_popcnt() ? "popcnt" : "builtin";
#elif defined(__GNUC__) || defined(__clang__)
  name = "builtin";
#else
  name = "portable";
#endif
  napi_value out;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &out);
  return out;
}

/* __builtin_cpu_supports needs no __builtin_cpu_init here: the runtime's constructor has
   run by the time the module registers, once per process, and nothing is written after. */
void match_register(napi_env env, napi_value exports) {
  /* Enumerable, so the loader's copy of the exports ({ ...kernels }) keeps them. */
  const napi_property_attributes a = (napi_property_attributes)(napi_writable | napi_enumerable | napi_configurable);
  const napi_property_descriptor props[] = {
      {"matchIndex", NULL, js_match_index, NULL, NULL, NULL, a, NULL},
      {"matchIndexBytes", NULL, js_match_index_bytes, NULL, NULL, NULL, a, NULL},
      {"matchMany", NULL, js_match_many, NULL, NULL, NULL, a, NULL},
      {"matchKernel", NULL, js_match_kernel, NULL, NULL, NULL, a, NULL},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
}
