/**
 * Hash matching: the server matches readable images against the hash bank of known
 * abuse images (PDQ-style 256-bit hashes, Hamming distance).
 */
import { z } from 'zod';
import { HASH_BITS, HASH_BYTES } from '../hash';
import { upperTail } from '../normal';
import { count, surfaceList } from '../scenario/fields';
import { defineRoute } from './route';

/** Mean Hamming distance and its spread between unrelated 256-bit hashes (binomial 256, 1/2). */
const RANDOM_DISTANCE = { mean: HASH_BITS / 2, sd: Math.sqrt(HASH_BITS) / 2 };

export const hashMatch = defineRoute({
  name: 'hashMatch',
  label: 'hash match',
  reviewRank: 0,
  block: {
    key: 'hashMatching',
    schema: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Server-side matching of readable images against the hash bank.'),
        surfaces: surfaceList(['dm', 'public', 'profile'], 'hash matching'),
        matchDistance: count(256).default(31).describe("Largest Hamming distance (bits of 256) counted as a match; 31 is PDQ's recommended threshold."),
        minQuality: z.int().min(0).max(100).default(50).describe('Hashes of lower quality are discarded unmatched (PDQ: below 50).'),
      })
      .prefault({})
      .describe('Route: server-side hash matching of readable images against the bank.'),
  },
  detect: {
    kind: 'content',
    stage: 'scanner',
    media: 'image',
    surfaces: (s) => (s.enabled ? s.surfaces : []),
    prepare: (s, bank) => (contents) => {
      // Every image of high enough quality is one query; the batch's queries go to the bank in one call.
      const queried = contents.map((c) => c.media === 'image' && c.quality >= s.minQuality);
      const hashes = new Uint8Array(queried.filter(Boolean).length * HASH_BYTES);
      let k = 0;
      contents.forEach((c, i) => {
        if (queried[i] && c.media === 'image') hashes.set(c.hash, HASH_BYTES * k++);
      });
      if (k === 0) return queried;
      const { index } = bank.matchMany(hashes, s.matchDistance);
      k = 0;
      // A match is reported as the entry it matched, so the reports of one viral image can be bundled.
      return queried.map((q) => {
        if (!q) return false;
        const entry = index[k++] as number;
        return entry >= 0 ? { bankEntry: entry } : false;
      });
    },
    // Unrelated hashes within the match distance (only a very wide distance matches them).
    benignShare: (s) => upperTail(-(s.matchDistance + 0.5), -RANDOM_DISTANCE.mean, RANDOM_DISTANCE.sd),
  },
});
