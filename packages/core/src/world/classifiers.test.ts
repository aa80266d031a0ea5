/**
 * The content features the generator draws must follow the scenario's distributions, so
 * that what a run measures (classifier recall and false-positive rate) is what the
 * scenario assumed. Ground truth comes from the ledger; detections from the scanner.
 */
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../scenario';
import { testScenario } from '../testing';
import { scanBatch, scannerContext } from '../scanner';
import { decodeContent } from '../content';
import { newPlatformKey } from '../franking';
import { scanBatchOf } from '../split';
import type { Batch } from '../types';
import type { Media } from '../vocabulary';
import { WorldGenerator, newClientSecret } from './index';

/** erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7). */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign * (1 - poly * Math.exp(-a * a));
}

const normalCdf = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));

/** P(clip(X, 0, 1) >= th) for X ~ Normal(mean, sd): clipping moves mass to 0 and 1 only. */
function tail(d: { mean: number; sd: number }, th: number): number {
  if (th <= 0) return 1;
  if (th > 1) return 0;
  if (d.sd === 0) return d.mean >= th ? 1 : 0;
  return 1 - normalCdf((th - d.mean) / d.sd);
}

describe('normal tail helper (premise)', () => {
  it('matches known values of the standard normal', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-3)).toBeCloseTo(0.0013499, 6);
    expect(tail({ mean: 0.5, sd: 0.1 }, 0.5)).toBeCloseTo(0.5, 7);
    expect(tail({ mean: 5, sd: 0.1 }, 1)).toBeCloseTo(1, 7); // clipped at 1, and 1 >= 1
    expect(tail({ mean: 0.2, sd: 0 }, 0.3)).toBe(0);
  });
});

const THRESHOLDS = [0.3, 0.45, 0.7];

function scenario(): Scenario {
  return testScenario({
    seed: 8080,
    durationDays: 3,
    population: {
      adults: 400,
      minors: 200,
      offenders: {
        sharers: { count: 20, abusiveImagesPerDay: 10 },
        producers: { count: 10, abusiveImagesPerDay: 10 },
        groomers: { count: 15, newTargetsPerDay: 3, messagesPerTargetPerDay: 10, escalation: { startShare: 0.5, endShare: 0.5 }, imageShare: 0.2 },
      },
    },
    traffic: { messagesPerUserPerDay: 8, contactsPerUser: 10 },
    content: {
      images: {
        abusive: { score: { mean: 0.56, sd: 0.2 }, look: { mean: 0.85, sd: 0.12 } },
        benign: { score: { mean: 0.2, sd: 0.1 }, look: { mean: 0.1, sd: 0.1 } },
        borderlineShare: 0.05,
        lowQualityShare: 0.1,
      },
      text: {
        grooming: { score: { mean: 0.6, sd: 0.2 }, look: { mean: 0.8, sd: 0.15 } },
        benign: { score: { mean: 0.25, sd: 0.12 }, look: { mean: 0.1, sd: 0.1 } },
        borderlineShare: 0.03,
      },
    },
    detection: { hashBank: { size: 200 }, userReports: { forgedPerDay: 0 } },
  });
}

const s = scenario();
const gen = new WorldGenerator(s, { run: 'cal', batchSize: 2000, platformKey: newPlatformKey(), clientSecret: newClientSecret() });
const batches: Batch[] = [...gen.batches()];
const abusive = new Set([...gen.ledger.abusiveIds.knownImage, ...gen.ledger.abusiveIds.newImage, ...gen.ledger.abusiveIds.grooming]);
const media = new Map<number, Media>();
for (const b of batches) for (const m of b.messages) media.set(m.envelope.id, m.envelope.media);

/** A scenario identical to `s` but for the classifiers' thresholds. */
function withThresholds(image: number, text: number): Scenario {
  return {
    ...s,
    detection: {
      ...s.detection,
      imageClassifier: { ...s.detection.imageClassifier, threshold: image },
      textClassifier: { ...s.detection.textClassifier, threshold: text },
    },
  };
}

/** Flagged and total counts of abusive and benign messages of one medium, from scanning the run. */
function measure(th: number, medium: Media) {
  const ctx = scannerContext(withThresholds(th, th));
  const route = medium === 'image' ? 'imageClassifier' : 'textClassifier';
  const flagged = new Set<number>();
  for (const b of batches) for (const d of scanBatch(ctx, scanBatchOf(b)).detections) if (d.route === route) flagged.add(d.messageId);
  const out = { abusive: { n: 0, hit: 0 }, benign: { n: 0, hit: 0 } };
  for (const [id, m] of media) {
    if (m !== medium) continue;
    const k = abusive.has(id) ? out.abusive : out.benign;
    k.n++;
    if (flagged.has(id)) k.hit++;
  }
  return out;
}

/** |observed − expected| in standard errors of a binomial proportion. */
function zScore(hit: number, n: number, p: number): number {
  const se = Math.sqrt(Math.max(p * (1 - p), 1e-9) / n);
  return Math.abs(hit / n - p) / se;
}

const cases = [
  { medium: 'image' as const, bad: s.content.images.abusive.score, good: s.content.images.benign.score, borderline: s.content.images.borderlineShare },
  { medium: 'text' as const, bad: s.content.text.grooming.score, good: s.content.text.benign.score, borderline: s.content.text.borderlineShare },
];

describe.each(cases)('the $medium classifier measured on a run', ({ medium, bad, good, borderline }) => {
  it.each(THRESHOLDS)('at threshold %s has the recall and false-positive rate the scenario implies (within 4 standard errors)', (th) => {
    const m = measure(th, medium);
    // Enough of each for the comparison to mean something.
    expect(m.abusive.n).toBeGreaterThan(400);
    expect(m.benign.n).toBeGreaterThan(3000);
    const recall = tail(bad, th);
    // Benign content is scored like abuse with probability borderlineShare.
    const fpr = (1 - borderline) * tail(good, th) + borderline * tail(bad, th);
    expect(zScore(m.abusive.hit, m.abusive.n, recall), `recall ${m.abusive.hit}/${m.abusive.n} vs ${recall}`).toBeLessThan(4);
    expect(zScore(m.benign.hit, m.benign.n, fpr), `FPR ${m.benign.hit}/${m.benign.n} vs ${fpr}`).toBeLessThan(4);
  });

  it('is sensitive enough to tell the borderline mixture apart (the test above could fail)', () => {
    const th = THRESHOLDS[1] as number;
    const m = measure(th, medium);
    const withoutBorderline = tail(good, th);
    expect(zScore(m.benign.hit, m.benign.n, withoutBorderline)).toBeGreaterThan(6);
    // And a recall off by 0.1 would show.
    expect(zScore(m.abusive.hit, m.abusive.n, tail(bad, th) - 0.1)).toBeGreaterThan(4);
  });
});

describe('what reviewers and the hash matcher see', () => {
  it('looks and hash quality follow the scenario', () => {
    const confirm = s.review.confirmThreshold;
    const tally = () => ({ n: 0, hit: 0 });
    const count = { abusiveImage: tally(), benignImage: tally(), abusiveText: tally(), benignText: tally(), lowQuality: tally() };
    for (const b of batches) {
      for (const msg of b.messages) {
        const c = decodeContent(msg.payload);
        const key = `${abusive.has(msg.envelope.id) ? 'abusive' : 'benign'}${c.media === 'image' ? 'Image' : 'Text'}` as keyof typeof count;
        count[key].n++;
        if (c.look >= confirm) count[key].hit++;
        if (c.media === 'image') {
          count.lowQuality.n++;
          if (c.quality < 50) count.lowQuality.hit++;
        }
      }
    }
    const z = ({ n, hit }: { n: number; hit: number }, p: number) => zScore(hit, n, p);
    expect(z(count.abusiveImage, tail(s.content.images.abusive.look, confirm))).toBeLessThan(4);
    expect(z(count.benignImage, tail(s.content.images.benign.look, confirm))).toBeLessThan(4);
    expect(z(count.abusiveText, tail(s.content.text.grooming.look, confirm))).toBeLessThan(4);
    expect(z(count.benignText, tail(s.content.text.benign.look, confirm))).toBeLessThan(4);
    expect(z(count.lowQuality, s.content.images.lowQualityShare)).toBeLessThan(4);
  });
});
