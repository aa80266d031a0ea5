import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Random } from './random';
import { HASH_BYTES, bankEntry, buildBank, matchBank, perturb, randomHash } from './hash';
import {
  FIELD_PRIME,
  SEALED_SHARE_BYTES,
  ShareError,
  VOUCHER_TOKEN_BYTES,
  VoucherClient,
  VoucherError,
  VoucherServer,
  combineShares,
  decodeShare,
  decodeVoucher,
  encodeShare,
  encodeVoucher,
  evaluate,
  makePolynomial,
  openAccount,
  randomFieldElement,
  voucherToken,
  type Share,
  type Voucher,
} from './css';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Every k-subset of [0, n). */
function subsets(n: number, k: number): number[][] {
  const out: number[][] = [];
  const pick = (start: number, acc: number[]): void => {
    if (acc.length === k) {
      out.push(acc.slice());
      return;
    }
    for (let i = start; i < n; i++) {
      acc.push(i);
      pick(i + 1, acc);
      acc.pop();
    }
  };
  pick(0, []);
  return out;
}

function sharesOf(coeffs: bigint[], n: number): Share[] {
  return Array.from({ length: n }, (_, i) => ({ x: BigInt(i + 1), y: evaluate(coeffs, BigInt(i + 1)) }));
}

describe('Shamir secret sharing over GF(2^127 − 1)', () => {
  it('uses the Mersenne prime 2^127 − 1 and draws field elements in range', () => {
    expect(FIELD_PRIME).toBe(170141183460469231731687303715884105727n);
    for (let i = 0; i < 200; i++) {
      const v = randomFieldElement();
      expect(v >= 0n && v < FIELD_PRIME).toBe(true);
    }
    expect(randomFieldElement()).not.toBe(randomFieldElement());
  });

  it('builds a polynomial of degree threshold − 1 with f(0) = secret', () => {
    const secret = randomFieldElement();
    const coeffs = makePolynomial(secret, 4, randomFieldElement);
    expect(coeffs.length).toBe(4);
    expect(coeffs[0]).toBe(secret);
    expect(evaluate(coeffs, 0n)).toBe(secret);
    // Horner agrees with the naive sum.
    const x = 123456789n;
    const naive = coeffs.reduce((acc, c, i) => (acc + c * x ** BigInt(i)) % FIELD_PRIME, 0n);
    expect(evaluate(coeffs, x)).toBe(naive);
    // Coefficients from `random` are reduced into the field.
    expect(makePolynomial(1n, 2, () => FIELD_PRIME + 5n)).toEqual([1n, 5n]);
    expect(() => makePolynomial(1n, 0, randomFieldElement)).toThrow(ShareError);
    expect(() => makePolynomial(1n, 2.5, randomFieldElement)).toThrow(ShareError);
    expect(() => makePolynomial(FIELD_PRIME, 2, randomFieldElement)).toThrow(ShareError);
    expect(() => makePolynomial(-1n, 2, randomFieldElement)).toThrow(ShareError);
  });

  it('recovers the secret from any T of N shares', () => {
    const T = 4;
    const N = 8;
    for (let trial = 0; trial < 3; trial++) {
      const secret = randomFieldElement();
      const shares = sharesOf(makePolynomial(secret, T, randomFieldElement), N);
      for (const subset of subsets(N, T)) {
        expect(combineShares(subset.map((i) => shares[i] as Share))).toBe(secret);
      }
      // More than T shares of the same polynomial agree too.
      expect(combineShares(shares)).toBe(secret);
    }
  });

  it('recovers with T = 30 from random subsets, and with T = 1 from any single share', () => {
    const rng = Random.derive(1, 'css-shamir');
    const secret = randomFieldElement();
    const shares = sharesOf(makePolynomial(secret, 30, randomFieldElement), 45);
    for (let trial = 0; trial < 5; trial++) {
      const pick = rng.shuffle(shares.slice()).slice(0, 30);
      expect(combineShares(pick)).toBe(secret);
    }
    const one = makePolynomial(secret, 1, randomFieldElement);
    expect(combineShares([{ x: 77n, y: evaluate(one, 77n) }])).toBe(secret);
  });

  it('gives a value that is not the secret from T − 1 shares', () => {
    for (const T of [2, 3, 5, 30]) {
      for (let trial = 0; trial < 10; trial++) {
        const secret = randomFieldElement();
        const shares = sharesOf(makePolynomial(secret, T, randomFieldElement), T);
        expect(combineShares(shares.slice(0, T - 1))).not.toBe(secret);
        expect(combineShares(shares.slice(1))).not.toBe(secret);
      }
    }
  });

  it('leaves every secret possible below the threshold', () => {
    // For any candidate s', the T − 1 real shares extend to a full T-sharing of s': the
    // polynomial g through (0, s') and the shares gives a T-th point (x*, g(x*)), and
    // those T points combine to s'. So T − 1 shares say nothing about the secret.
    const T = 5;
    const secret = randomFieldElement();
    const shares = sharesOf(makePolynomial(secret, T, randomFieldElement), T - 1);
    for (let trial = 0; trial < 5; trial++) {
      const fake = randomFieldElement();
      const xStar = 1000n + BigInt(trial);
      // g(x*) is Lagrange at 0 after translating every x by −x*.
      const gAtXStar = combineShares([{ x: 0n, y: fake }, ...shares].map((s) => ({ x: s.x - xStar, y: s.y })));
      expect(combineShares([...shares, { x: xStar, y: gAtXStar }])).toBe(fake);
    }
  });

  it('rejects duplicate x (also congruent mod p) and empty input', () => {
    const shares = sharesOf(makePolynomial(5n, 3, randomFieldElement), 3);
    const [a, b] = shares as [Share, Share, Share];
    expect(() => combineShares([a, b, a])).toThrow(ShareError);
    expect(() => combineShares([a, b, { x: b.x + FIELD_PRIME, y: b.y }])).toThrow(ShareError);
    expect(() => combineShares([])).toThrow(ShareError);
  });
});

// ---------------------------------------------------------------------------------------

const bank = buildBank(42, 200);

interface Sent {
  voucher: Voucher;
  evidence: Uint8Array;
  matched: boolean;
}

/**
 * One account's uploads: `matching` perturbed copies of bank entries and `other` fresh
 * images, shuffled; the client matches each itself, as a scanning client would.
 */
function upload(client: VoucherClient, account: number, matching: number, other: number, rng: Random): Sent[] {
  const images: { hash: Uint8Array; planted: boolean }[] = [];
  for (let i = 0; i < matching; i++) images.push({ hash: perturb(bankEntry(bank, rng.int(bank.size)), 5, rng), planted: true });
  for (let i = 0; i < other; i++) images.push({ hash: randomHash(rng), planted: false });
  rng.shuffle(images);
  return images.map(({ hash, planted }, n) => {
    const m = matchBank(bank, hash, 31);
    expect(m !== null).toBe(planted);
    const evidence = new Uint8Array([...new TextEncoder().encode(`account ${account} image ${n} `), ...hash]);
    const voucher = client.voucherFor(account, m ? bankEntry(bank, m.index) : null, evidence);
    return { voucher, evidence, matched: planted };
  });
}

/** What the server keeps of an account: the shares and inner payloads of vouchers that opened. */
function serverSide(server: VoucherServer, sent: Sent[]): { shares: Share[]; inners: Uint8Array[]; opened: Sent[] } {
  const shares: Share[] = [];
  const inners: Uint8Array[] = [];
  const opened: Sent[] = [];
  for (const s of sent) {
    const share = server.open(s.voucher);
    if (share === null) continue;
    shares.push(share);
    inners.push(s.voucher.inner);
    opened.push(s);
  }
  return { shares, inners, opened };
}

describe('vouchers end to end', () => {
  const server = new VoucherServer(bank);

  for (const T of [3, 30]) {
    it(`T = ${T}: T − 1 matches reveal nothing, T matches reveal exactly the matching evidence`, () => {
      const rng = Random.derive(T, 'css-e2e');
      const client = new VoucherClient(T);

      // Below the threshold: T − 1 matching images among many others.
      const below = upload(client, 1, T - 1, 60, rng);
      const b = serverSide(server, below);
      expect(b.shares.length).toBe(T - 1);
      expect(b.opened.every((s) => s.matched)).toBe(true);
      expect(b.opened.length).toBe(below.filter((s) => s.matched).length);
      expect(new Set(b.shares.map((s) => s.x)).size).toBe(T - 1);
      expect(openAccount(b.shares, b.inners, T)).toBeNull();
      // Not even the synthetic vouchers' inners open below the threshold.
      expect(openAccount(b.shares, [], T)).toBeNull();

      // At the threshold: one more matching image for the same account.
      const more = upload(client, 1, 1, 10, rng);
      const a = serverSide(server, [...below, ...more]);
      expect(a.shares.length).toBe(T);
      expect(a.opened.every((s) => s.matched)).toBe(true);
      const evidence = openAccount(a.shares, a.inners, T);
      expect(evidence).not.toBeNull();
      expect(evidence?.map(hex)).toEqual(a.opened.map((s) => hex(s.evidence)));
      // Share order does not matter.
      expect(openAccount(a.shares.slice().reverse(), a.inners, T)?.map(hex)).toEqual(a.opened.map((s) => hex(s.evidence)));

      // Above the threshold, later matches open as well.
      const later = upload(client, 1, 2, 0, rng);
      const l = serverSide(server, [...below, ...more, ...later]);
      expect(openAccount(l.shares, l.inners, T)?.map(hex)).toEqual(l.opened.map((s) => hex(s.evidence)));

      // Synthetic vouchers' evidence is sealed under a throwaway key: even with the
      // account's secret recovered, it does not open.
      const synthetic = [...below, ...more].filter((s) => !s.matched);
      expect(synthetic.length).toBeGreaterThan(0);
      expect(
        openAccount(
          a.shares,
          synthetic.map((s) => s.voucher.inner),
          T,
        ),
      ).toBeNull();
    });
  }

  it('refuses below the threshold without trying, even when the shares would open', () => {
    // Shares of a 2-threshold account combine fine, but asked for 3 openAccount must not try.
    const client = new VoucherClient(2);
    const { shares, inners } = serverSide(server, upload(client, 4, 2, 0, Random.derive(2, 'css-refuse')));
    expect(openAccount(shares, inners, 2)).not.toBeNull();
    expect(openAccount(shares, inners, 3)).toBeNull();
  });

  it('counts a repeated share once, and rejects conflicting ones', () => {
    const T = 3;
    const client = new VoucherClient(T);
    const sent = upload(client, 9, T, 0, Random.derive(3, 'css-dup'));
    const { shares, inners } = serverSide(server, sent);
    const [s0, s1] = shares as [Share, Share, Share];
    expect(openAccount([s0, s1, s0], inners, T)).toBeNull();
    expect(openAccount([...shares, s0], inners, T)).not.toBeNull();
    expect(openAccount([...shares, { x: s0.x, y: (s0.y + 1n) % FIELD_PRIME }], inners, T)).toBeNull();
  });

  it('does not combine shares of two accounts into either secret', () => {
    for (const T of [3, 30]) {
      const rng = Random.derive(T, 'css-mix');
      const client = new VoucherClient(T);
      const a = serverSide(server, upload(client, 100, T, 5, rng));
      const b = serverSide(server, upload(client, 200, T, 5, rng));
      expect(a.shares.length).toBe(T);
      expect(b.shares.length).toBe(T);
      expect(openAccount(a.shares, a.inners, T)).not.toBeNull();
      expect(openAccount(b.shares, b.inners, T)).not.toBeNull();

      // Each account's x runs 1…T, so mixing must take distinct x from each side.
      const byX = (shares: Share[], lo: number, hi: number) => shares.filter((s) => s.x >= BigInt(lo) && s.x <= BigInt(hi));
      const half = Math.floor(T / 2);
      const mixed = [...byX(a.shares, 1, half), ...byX(b.shares, half + 1, T)];
      expect(mixed.length).toBe(T);
      const secretA = combineShares(a.shares);
      const secretB = combineShares(b.shares);
      expect(secretA).not.toBe(secretB);
      const mixedSecret = combineShares(mixed);
      expect(mixedSecret).not.toBe(secretA);
      expect(mixedSecret).not.toBe(secretB);
      expect(openAccount(mixed, a.inners, T)).toBeNull();
      expect(openAccount(mixed, b.inners, T)).toBeNull();
      // Same x from both accounts: the shares conflict.
      expect(openAccount([...a.shares, ...b.shares], a.inners, T)).toBeNull();
      // One account's shares do not open the other's payloads.
      expect(openAccount(a.shares, b.inners, T)).toBeNull();
      expect(openAccount(a.shares, [...a.inners, b.inners[0] as Uint8Array], T)).toBeNull();
    }
  });

  it('makes synthetic and real vouchers the same size', () => {
    const client = new VoucherClient(5);
    const evidence = new Uint8Array(37);
    const real = client.voucherFor(1, bankEntry(bank, 7), evidence);
    const synthetic = client.voucherFor(1, null, evidence);
    for (const v of [real, synthetic]) {
      expect(v.token.length).toBe(VOUCHER_TOKEN_BYTES);
      expect(v.sealedShare.length).toBe(SEALED_SHARE_BYTES);
      expect(v.inner.length).toBe(12 + 37 + 16);
    }
    expect(encodeVoucher(real).length).toBe(encodeVoucher(synthetic).length);
    expect(hex(real.token)).toBe(hex(voucherToken(bankEntry(bank, 7))));
    expect(server.open(real)).toEqual({ x: 1n, y: expect.any(BigInt) as unknown as bigint });
    expect(server.open(synthetic)).toBeNull();
    expect(server.entryOf(real)).toBe(7);
    expect(server.entryOf(synthetic)).toBeNull();
  });

  it('draws secrets from the OS, not from anything shared between clients', () => {
    const a = new VoucherClient(3).voucherFor(1, bankEntry(bank, 0), new Uint8Array(4));
    const b = new VoucherClient(3).voucherFor(1, bankEntry(bank, 0), new Uint8Array(4));
    expect(hex(a.token)).toBe(hex(b.token));
    const sa = server.open(a);
    const sb = server.open(b);
    expect(sa?.x).toBe(1n);
    expect(sb?.x).toBe(1n);
    expect(sa?.y).not.toBe(sb?.y);
  });

  it('rejects a bad threshold or a bank entry of the wrong size', () => {
    expect(() => new VoucherClient(0)).toThrow(VoucherError);
    expect(() => new VoucherClient(1.5)).toThrow(VoucherError);
    expect(() => new VoucherClient(2).voucherFor(1, new Uint8Array(HASH_BYTES - 1), new Uint8Array(1))).toThrow(VoucherError);
    expect(() => openAccount([], [], 0)).toThrow(ShareError);
  });

  it('returns null, never throws, when opening garbage', () => {
    const client = new VoucherClient(3);
    const real = client.voucherFor(5, bankEntry(bank, 3), new Uint8Array(8));
    const flipped = real.sealedShare.slice();
    flipped[20] = (flipped[20] as number) ^ 1;
    const garbage: Voucher[] = [
      { token: new Uint8Array(0), sealedShare: new Uint8Array(0), inner: new Uint8Array(0) },
      { token: new Uint8Array(randomBytes(16)), sealedShare: new Uint8Array(randomBytes(60)), inner: new Uint8Array(randomBytes(40)) },
      { token: new Uint8Array(randomBytes(17)), sealedShare: new Uint8Array(randomBytes(60)), inner: new Uint8Array(0) },
      // A real token with garbage or damaged sealed shares.
      { ...real, sealedShare: new Uint8Array(randomBytes(SEALED_SHARE_BYTES)) },
      { ...real, sealedShare: new Uint8Array(0) },
      { ...real, sealedShare: real.sealedShare.subarray(0, 30) },
      { ...real, sealedShare: new Uint8Array([...real.sealedShare, 0]) },
      { ...real, sealedShare: flipped },
      // A real sealed share moved under another entry's token.
      { ...real, token: voucherToken(bankEntry(bank, 4)) },
      // Not even the right types.
      { token: undefined, sealedShare: null, inner: 'x' } as unknown as Voucher,
      { ...real, sealedShare: 'abc' } as unknown as Voucher,
      null as unknown as Voucher,
    ];
    for (const v of garbage) {
      expect(() => server.open(v)).not.toThrow();
      expect(server.open(v)).toBeNull();
    }
    for (let i = 0; i < 200; i++) {
      const v = decodeVoucher(new Uint8Array(randomBytes(18 + SEALED_SHARE_BYTES + 20)).fill(0, 16, 17).fill(SEALED_SHARE_BYTES, 17, 18));
      expect(server.open(v)).toBeNull();
    }
    expect(server.open(real)?.x).toBe(1n);
  });
});

describe('wire encodings', () => {
  it('round-trips shares through 64 hex characters', () => {
    const cases: Share[] = [
      { x: 1n, y: 0n },
      { x: 2n, y: FIELD_PRIME - 1n },
      { x: randomFieldElement(), y: randomFieldElement() },
    ];
    for (const s of cases) {
      const text = encodeShare(s);
      expect(text).toMatch(/^[0-9a-f]{64}$/);
      expect(decodeShare(text)).toEqual(s);
      expect(decodeShare(text.toUpperCase())).toEqual(s);
    }
    expect(() => encodeShare({ x: FIELD_PRIME, y: 0n })).toThrow(ShareError);
    expect(() => encodeShare({ x: 1n, y: -1n })).toThrow(ShareError);
    for (const bad of ['', 'zz'.repeat(32), '0'.repeat(63), '0'.repeat(65), 'f'.repeat(64), `0x${'0'.repeat(62)}`]) {
      expect(() => decodeShare(bad)).toThrow(ShareError);
    }
  });

  it('round-trips vouchers through bytes and base64 JSON, and they still open', () => {
    const server = new VoucherServer(bank);
    const client = new VoucherClient(2);
    const vouchers = [
      client.voucherFor(1, bankEntry(bank, 10), new TextEncoder().encode('first')),
      client.voucherFor(1, null, new TextEncoder().encode('other')),
      client.voucherFor(1, bankEntry(bank, 11), new Uint8Array(0)),
    ];
    const shares: Share[] = [];
    const inners: Uint8Array[] = [];
    for (const v of vouchers) {
      const bytes = encodeVoucher(v);
      expect(bytes.length).toBe(VOUCHER_TOKEN_BYTES + 2 + v.sealedShare.length + v.inner.length);
      const json = JSON.stringify({ voucher: Buffer.from(bytes).toString('base64') });
      const back = decodeVoucher(new Uint8Array(Buffer.from((JSON.parse(json) as { voucher: string }).voucher, 'base64')));
      expect(hex(back.token)).toBe(hex(v.token));
      expect(hex(back.sealedShare)).toBe(hex(v.sealedShare));
      expect(hex(back.inner)).toBe(hex(v.inner));
      const share = server.open(back);
      if (share) {
        shares.push(decodeShare(encodeShare(share)));
        inners.push(back.inner);
      }
    }
    expect(openAccount(shares, inners, 2)?.map((e) => new TextDecoder().decode(e))).toEqual(['first', '']);
  });

  it('rejects truncated or malformed voucher bytes', () => {
    const v = new VoucherClient(2).voucherFor(1, null, new Uint8Array(3));
    const bytes = encodeVoucher(v);
    expect(() => decodeVoucher(bytes.subarray(0, 17))).toThrow(VoucherError);
    expect(() => decodeVoucher(bytes.subarray(0, 18 + SEALED_SHARE_BYTES - 1))).toThrow(VoucherError);
    expect(decodeVoucher(bytes.subarray(0, 18 + SEALED_SHARE_BYTES)).inner.length).toBe(0);
    expect(() => encodeVoucher({ ...v, token: new Uint8Array(15) })).toThrow(VoucherError);
    expect(() => encodeVoucher({ ...v, sealedShare: new Uint8Array(0x10000) })).toThrow(VoucherError);
  });
});
