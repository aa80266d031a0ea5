/**
 * Client-side scanning with threshold secret sharing, after Apple's 2021 design for
 * iCloud Photos (CSAM detection: private set intersection plus threshold secret
 * sharing), simplified but with real cryptography. The point it lets the model make:
 * scanning can run on the client of an end-to-end encrypted service and reveal nothing
 * about an account until it has sent `threshold` matching images, and then reveal
 * exactly the evidence of those images.
 *
 * Per account, the client holds a random secret s in the field GF(p), p = 2^127 − 1, a
 * random polynomial f of degree threshold − 1 with f(0) = s (Shamir), and an inner key
 * K = SHA-256('blindspot-voucher-inner' ‖ s as 16 bytes BE). Every image uploads with a
 * voucher { token, sealedShare, inner }:
 *
 *   - image matches bank entry E (the client ran the match itself):
 *       token       = SHA-256('blindspot-psi-token' ‖ E)[0..16]
 *       sealedShare = AES-256-GCM(SHA-256('blindspot-psi-key' ‖ E), x ‖ f(x)), x = 1, 2, 3, …
 *       inner       = AES-256-GCM(K, evidence)
 *   - image matches nothing (synthetic voucher, same sizes):
 *       token and sealedShare random bytes, inner = AES-256-GCM(throwaway key, evidence),
 *       so a synthetic voucher's evidence never opens, even above the threshold.
 *
 * The server, holding the bank, can look up a token and decrypt the sealed share only
 * for vouchers whose image matched a bank entry; this stands in for the PSI protocol
 * (in Apple's design the server learns the share for matches and nothing otherwise,
 * without the client learning the bank). With fewer than `threshold` shares, every
 * value of s is equally consistent with what the server holds, so K and every inner
 * payload stay hidden; with `threshold` shares, Lagrange interpolation at 0 gives s, K,
 * and the evidence.
 *
 * What is simplified, and what it leaks (beyond Apple's design):
 *   - tokens are deterministic per bank entry, so the server learns which entry a
 *     voucher matched, and the client needs the bank in the clear;
 *   - x is a per-account counter, so an opened share tells the server how many matching
 *     vouchers the account had produced by then;
 *   - `inner` sits beside the sealed share rather than inside it (Apple's design wraps
 *     it inside the PSI-sealed outer layer); synthetic vouchers seal their evidence
 *     under a throwaway key so K cannot open them.
 *   - there are no "synthetic matches" (Apple's noise that hides the match count below
 *     the threshold): the server knows exactly how many matches each account has.
 *
 * Secrets come from node:crypto's randomBytes, or from a derivation the client supplies
 * from its own stored secret (never from the scenario seed): nothing outside the client
 * can derive them.
 */
import { createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { HASH_BYTES, bankEntry, type HashBank } from './hash';
import { GCM_NONCE_BYTES, GCM_TAG_BYTES, sealGcm } from './aead';
import { LargeMap } from './tables';

/** The Mersenne prime 2^127 − 1: the field of secrets, coefficients and shares. */
export const FIELD_PRIME = (1n << 127n) - 1n;
/** Bytes of one field element, big-endian (2^127 − 1 < 2^128). */
const FIELD_BYTES = 16;

export const VOUCHER_TOKEN_BYTES = 16;
/** AES-GCM overhead of every sealed payload: nonce ‖ ciphertext ‖ tag. */
const SEALED_OVERHEAD_BYTES = GCM_NONCE_BYTES + GCM_TAG_BYTES;
/** Bytes of a sealed share: nonce ‖ AES-GCM(x ‖ y) ‖ tag. */
export const SEALED_SHARE_BYTES = SEALED_OVERHEAD_BYTES + 2 * FIELD_BYTES;

export class ShareError extends Error {
  override name = 'ShareError';
}

export class VoucherError extends Error {
  override name = 'VoucherError';
}

/** One Shamir share: the point (x, f(x)). */
export interface Share {
  x: bigint;
  y: bigint;
}

/** What a client uploads beside each image. */
export interface Voucher {
  token: Uint8Array;
  sealedShare: Uint8Array;
  inner: Uint8Array;
}

// ---------------------------------------------------------------------------------------
// Field arithmetic and Shamir secret sharing

function mod(a: bigint): bigint {
  const r = a % FIELD_PRIME;
  return r < 0n ? r + FIELD_PRIME : r;
}

/** a^-1 mod p by the extended Euclidean algorithm; a must be non-zero mod p. */
function inverse(a: bigint): bigint {
  let [r0, r1] = [mod(a), FIELD_PRIME];
  let [s0, s1] = [1n, 0n];
  if (r0 === 0n) throw new ShareError('zero has no inverse');
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0);
}

/** A uniform field element from the operating system's random source. */
export function randomFieldElement(): bigint {
  for (;;) {
    // 127 uniform bits, rejecting the single value 2^127 − 1 ≡ 0 that would double-count 0.
    const bytes = randomBytes(FIELD_BYTES);
    bytes[0] = (bytes[0] as number) & 0x7f;
    const v = bytesToBigint(bytes);
    if (v < FIELD_PRIME) return v;
  }
}

/**
 * Coefficients of a random polynomial of degree threshold − 1 with f(0) = secret:
 * [secret, a1, …, a(threshold−1)], each ai drawn from `random` and reduced mod p.
 */
export function makePolynomial(secret: bigint, threshold: number, random: () => bigint): bigint[] {
  if (!Number.isInteger(threshold) || threshold < 1) throw new ShareError(`threshold must be a positive integer, got ${threshold}`);
  if (secret < 0n || secret >= FIELD_PRIME) throw new ShareError('secret must be a field element');
  const coeffs = [secret];
  for (let i = 1; i < threshold; i++) coeffs.push(mod(random()));
  return coeffs;
}

/** f(x) mod p by Horner's rule. */
export function evaluate(coeffs: readonly bigint[], x: bigint): bigint {
  const xr = mod(x);
  let y = 0n;
  for (let i = coeffs.length - 1; i >= 0; i--) y = mod(y * xr + (coeffs[i] as bigint));
  return y;
}

/**
 * f(0) of the unique polynomial of degree < shares.length through the shares (Lagrange
 * interpolation at 0, mod p). With at least `threshold` shares of one polynomial that is
 * its secret; with fewer it is a value unrelated to the secret. Throws ShareError on no
 * shares or on two shares with the same x (mod p).
 */
export function combineShares(shares: readonly Share[]): bigint {
  if (shares.length === 0) throw new ShareError('no shares to combine');
  const xs = shares.map((s) => mod(s.x));
  const seen = new Set<bigint>();
  for (const x of xs) {
    if (seen.has(x)) throw new ShareError(`duplicate share x = ${x}`);
    seen.add(x);
  }
  let secret = 0n;
  for (let i = 0; i < xs.length; i++) {
    const xi = xs[i] as bigint;
    // l_i(0) = Π_{j≠i} x_j / (x_j − x_i)
    let num = 1n;
    let den = 1n;
    for (let j = 0; j < xs.length; j++) {
      if (j === i) continue;
      const xj = xs[j] as bigint;
      num = mod(num * xj);
      den = mod(den * (xj - xi));
    }
    secret = mod(secret + mod((shares[i] as Share).y) * mod(num * inverse(den)));
  }
  return secret;
}

// ---------------------------------------------------------------------------------------
// Byte helpers and AES-GCM sealing

function bytesToBigint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function bigintToBytes(v: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = v;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function sha256(label: string, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(label).update(data).digest());
}

/** The token a voucher for bank entry `entry` carries. */
export function voucherToken(entry: Uint8Array): Uint8Array {
  return sha256('blindspot-psi-token', entry).subarray(0, VOUCHER_TOKEN_BYTES);
}

function psiKey(entry: Uint8Array): Uint8Array {
  return sha256('blindspot-psi-key', entry);
}

function innerKey(secret: bigint): Uint8Array {
  return sha256('blindspot-voucher-inner', bigintToBytes(secret, FIELD_BYTES));
}

/** AES-256-GCM with a random nonce; nonce ‖ ciphertext ‖ tag. */
function seal(key: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return sealGcm(key, randomBytes(GCM_NONCE_BYTES), plaintext);
}

/** The plaintext of seal(key, ·), or null if `sealed` is malformed or does not authenticate. */
function unseal(key: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (!(sealed instanceof Uint8Array) || sealed.length < SEALED_OVERHEAD_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, GCM_NONCE_BYTES));
    decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
    const body = decipher.update(sealed.subarray(GCM_NONCE_BYTES, sealed.length - GCM_TAG_BYTES));
    const rest = decipher.final();
    const out = new Uint8Array(body.length + rest.length);
    out.set(body, 0);
    out.set(rest, body.length);
    return out;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------
// Client

interface AccountState {
  coeffs: bigint[];
  innerKey: Uint8Array;
  /** x of the next matching voucher's share. */
  nextX: bigint;
}

/**
 * The scanning half of the user's client: one secret, polynomial and inner key per
 * account, all from the operating system's random source. An account's are made with
 * its first matching voucher (synthetic ones need none), so the client holds them only
 * for the accounts that have sent a matching image.
 */
export class VoucherClient {
  private readonly accounts = new LargeMap<AccountState>();

  /**
   * `derive(account, i)`, when given, supplies the account's secret (i = 0) and
   * polynomial coefficients (i ≥ 1) instead of fresh random draws, so a client that
   * restarts from a stored secret rebuilds the same shares.
   */
  constructor(
    readonly threshold: number,
    private readonly derive?: (account: number, index: number) => bigint,
  ) {
    if (!Number.isInteger(threshold) || threshold < 1) throw new VoucherError(`threshold must be a positive integer, got ${threshold}`);
  }

  /** Number of accounts the client holds secrets for: those that have sent a matching image. */
  get accountCount(): number {
    return this.accounts.size;
  }

  private account(account: number): AccountState {
    let state = this.accounts.get(account);
    if (!state) {
      const derive = this.derive;
      const secret = derive ? derive(account, 0) % FIELD_PRIME : randomFieldElement();
      let i = 0;
      const random = derive ? () => derive(account, ++i) : randomFieldElement;
      state = {
        coeffs: makePolynomial(secret, this.threshold, random),
        innerKey: innerKey(secret),
        nextX: 1n,
      };
      this.accounts.set(account, state);
    }
    return state;
  }

  /**
   * The voucher for one image of `account`: `match` is the bank entry the client's own
   * scan matched (its 32 bytes), or null. Matching vouchers carry the next share
   * (x = 1, 2, 3, …); non-matching ones are synthetic, of identical sizes.
   */
  voucherFor(account: number, match: Uint8Array | null, evidence: Uint8Array): Voucher {
    if (match === null) {
      // Synthetic: same sizes, but the evidence is sealed under a throwaway key, so it
      // stays closed even after the account crosses the threshold.
      return {
        token: new Uint8Array(randomBytes(VOUCHER_TOKEN_BYTES)),
        sealedShare: new Uint8Array(randomBytes(SEALED_SHARE_BYTES)),
        inner: seal(new Uint8Array(randomBytes(32)), evidence),
      };
    }
    const state = this.account(account);
    const inner = seal(state.innerKey, evidence);
    if (match.length !== HASH_BYTES) throw new VoucherError(`bank entry must be ${HASH_BYTES} bytes, got ${match.length}`);
    const x = state.nextX;
    state.nextX++;
    const point = new Uint8Array(2 * FIELD_BYTES);
    point.set(bigintToBytes(x, FIELD_BYTES), 0);
    point.set(bigintToBytes(evaluate(state.coeffs, x), FIELD_BYTES), FIELD_BYTES);
    return { token: voucherToken(match), sealedShare: seal(psiKey(match), point), inner };
  }
}

// ---------------------------------------------------------------------------------------
// Server

/** The platform's half: opens the sealed shares of vouchers whose image matched the bank. */
export class VoucherServer {
  /** Hex token → bank entry index (lowest index if two entries were identical). */
  private readonly tokens = new Map<string, number>();

  constructor(private readonly bank: HashBank) {
    for (let i = 0; i < bank.size; i++) {
      const key = Buffer.from(voucherToken(bankEntry(bank, i))).toString('hex');
      if (!this.tokens.has(key)) this.tokens.set(key, i);
    }
  }

  /** The bank entry index a voucher's token names, or null. Never throws. */
  entryOf(v: Voucher): number | null {
    if (!v || !(v.token instanceof Uint8Array) || v.token.length !== VOUCHER_TOKEN_BYTES) return null;
    return this.tokens.get(Buffer.from(v.token.buffer, v.token.byteOffset, v.token.byteLength).toString('hex')) ?? null;
  }

  /**
   * The share a voucher carries, if its token names a bank entry and its sealed share
   * authenticates under that entry's key; null for synthetic, non-matching or malformed
   * vouchers. Never throws.
   */
  open(v: Voucher): Share | null {
    const index = this.entryOf(v);
    if (index === null) return null;
    if (!(v.sealedShare instanceof Uint8Array) || v.sealedShare.length !== SEALED_SHARE_BYTES) return null;
    const point = unseal(psiKey(bankEntry(this.bank, index)), v.sealedShare);
    if (point === null || point.length !== 2 * FIELD_BYTES) return null;
    const x = bytesToBigint(point.subarray(0, FIELD_BYTES));
    const y = bytesToBigint(point.subarray(FIELD_BYTES));
    if (x === 0n || x >= FIELD_PRIME || y >= FIELD_PRIME) return null;
    return { x, y };
  }
}

/**
 * The evidence of an account once it has crossed the threshold. Given the shares the
 * server opened for one account and the inner payloads of the vouchers those shares came
 * from (the server keeps only those; it discards vouchers that did not open), returns
 * the evidence plaintexts in the order of `inners`, or null:
 *   - null, without any computation, when fewer than `threshold` distinct shares are given
 *     (shares repeated with the same x and y count once);
 *   - null when two shares disagree (same x, different y: e.g. two accounts mixed);
 *   - null when any inner payload fails to authenticate under the recovered key (wrong
 *     secret: shares of different accounts, or a payload not from this account).
 * Interpolates through the first `threshold` distinct shares.
 */
export function openAccount(shares: readonly Share[], inners: readonly Uint8Array[], threshold: number): Uint8Array[] | null {
  if (!Number.isInteger(threshold) || threshold < 1) throw new ShareError(`threshold must be a positive integer, got ${threshold}`);
  const byX = new Map<bigint, bigint>();
  for (const s of shares) {
    const x = mod(s.x);
    const y = mod(s.y);
    const prior = byX.get(x);
    if (prior === undefined) byX.set(x, y);
    else if (prior !== y) return null;
  }
  if (byX.size < threshold) return null;
  const points: Share[] = [];
  for (const [x, y] of byX) {
    if (points.length === threshold) break;
    points.push({ x, y });
  }
  const key = innerKey(combineShares(points));
  const out: Uint8Array[] = [];
  for (const inner of inners) {
    const evidence = unseal(key, inner);
    if (evidence === null) return null;
    out.push(evidence);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Wire encodings (vouchers and shares travel through JSON job payloads)

/** A share as 64 hex characters: x ‖ y, 16 bytes big-endian each. */
export function encodeShare(share: Share): string {
  if (share.x < 0n || share.x >= FIELD_PRIME || share.y < 0n || share.y >= FIELD_PRIME) {
    throw new ShareError('share coordinates must be field elements');
  }
  return Buffer.from(bigintToBytes(share.x, FIELD_BYTES)).toString('hex') + Buffer.from(bigintToBytes(share.y, FIELD_BYTES)).toString('hex');
}

/** Inverse of encodeShare; throws ShareError on anything else. */
export function decodeShare(text: string): Share {
  if (typeof text !== 'string' || !/^[0-9a-fA-F]{64}$/.test(text)) throw new ShareError('a share is 64 hex characters');
  const x = BigInt(`0x${text.slice(0, 32)}`);
  const y = BigInt(`0x${text.slice(32)}`);
  if (x >= FIELD_PRIME || y >= FIELD_PRIME) throw new ShareError('share coordinates must be field elements');
  return { x, y };
}

/** A voucher as one byte string: token ‖ u16 BE length of sealedShare ‖ sealedShare ‖ inner. */
export function encodeVoucher(v: Voucher): Uint8Array {
  if (v.token.length !== VOUCHER_TOKEN_BYTES) throw new VoucherError(`token must be ${VOUCHER_TOKEN_BYTES} bytes, got ${v.token.length}`);
  if (v.sealedShare.length > 0xffff) throw new VoucherError('sealed share too long');
  const out = new Uint8Array(VOUCHER_TOKEN_BYTES + 2 + v.sealedShare.length + v.inner.length);
  out.set(v.token, 0);
  out[VOUCHER_TOKEN_BYTES] = v.sealedShare.length >> 8;
  out[VOUCHER_TOKEN_BYTES + 1] = v.sealedShare.length & 0xff;
  out.set(v.sealedShare, VOUCHER_TOKEN_BYTES + 2);
  out.set(v.inner, VOUCHER_TOKEN_BYTES + 2 + v.sealedShare.length);
  return out;
}

/** Inverse of encodeVoucher (copies, not views); throws VoucherError on truncated input. */
export function decodeVoucher(bytes: Uint8Array): Voucher {
  if (!(bytes instanceof Uint8Array) || bytes.length < VOUCHER_TOKEN_BYTES + 2) throw new VoucherError('voucher too short');
  const sealedLength = ((bytes[VOUCHER_TOKEN_BYTES] as number) << 8) | (bytes[VOUCHER_TOKEN_BYTES + 1] as number);
  const innerStart = VOUCHER_TOKEN_BYTES + 2 + sealedLength;
  if (bytes.length < innerStart) throw new VoucherError('voucher truncated inside the sealed share');
  return {
    token: bytes.slice(0, VOUCHER_TOKEN_BYTES),
    sealedShare: bytes.slice(VOUCHER_TOKEN_BYTES + 2, innerStart),
    inner: bytes.slice(innerStart),
  };
}
