/**
 * Seeded randomness. Every random draw in a run comes from a stream derived from
 * (scenario seed, label), so a run is a function of (scenario, seed) and independent
 * streams (world, hash bank, traffic) do not shift when one of them draws more.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Chaotic PRNG, 128-bit state),
 * seeded through splitmix32 from a 32-bit FNV-1a hash of the label.
 */

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** A stream for (seed, label): the same pair always yields the same sequence. */
  static derive(seed: number, label: string): Random {
    const mix = splitmix32((fnv1a(label) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0);
    // seed is up to 2^53; fold its high bits in too.
    const high = Math.floor(seed / 2 ** 32) >>> 0;
    return new Random(mix() ^ high, mix(), mix(), mix());
  }

  private constructor(a: number, b: number, c: number, d: number) {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** Uniform 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Normal(mean, sd) by Box-Muller (one value per call; simple and deterministic). */
  normal(mean: number, sd: number): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /**
   * Poisson(lambda): Knuth's method for small lambda, a rounded normal approximation
   * above 60 where the difference is far below the model's own uncertainty.
   */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    if (lambda > 60) return Math.max(0, Math.round(this.normal(lambda, Math.sqrt(lambda))));
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** Fills a buffer with random bytes. */
  fill(bytes: Uint8Array): Uint8Array {
    for (let i = 0; i < bytes.length; i += 4) {
      let x = this.uint32();
      for (let j = i; j < Math.min(i + 4, bytes.length); j++) {
        bytes[j] = x & 0xff;
        x >>>= 8;
      }
    }
    return bytes;
  }

  /** In-place Fisher-Yates shuffle (of an array or a typed array: the same draws either way). */
  shuffle<A extends { length: number; [index: number]: unknown }>(items: A): A {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

/** The splitmix32 finaliser: a bijection of 32-bit integers that mixes every bit into every other. */
function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A uniform number in [0, 1) that is a fixed function of (seed, label, a, b): no stream
 * and no state, so asking it, or not, changes no draw anywhere. For answers that must be
 * the same every time a pair (of accounts, say) comes up, whenever and in whatever shard.
 */
export function pairUniform(seed: number, label: string): (a: number, b: number) => number {
  const key = mix32((fnv1a(label) ^ Math.imul(seed >>> 0, 0x9e3779b1) ^ mix32(Math.floor(seed / 2 ** 32) >>> 0)) >>> 0);
  return (a, b) => mix32(mix32(mix32(key ^ (a >>> 0)) + 0x9e3779b9) ^ (b >>> 0)) / 4294967296;
}
