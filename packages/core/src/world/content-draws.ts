/**
 * Content draws: the images and texts users send (their perceptual hash, quality,
 * classifier score and how they look to a reviewer) and their nominal sizes, all from
 * the traffic stream.
 */
import { quantize } from '../content';
import { bankEntry, perturb, randomHash, type HashBank } from '../hash';
import type { Random } from '../random';
import type { Scenario } from '../scenario';
import type { Content } from '../types';
import type { Media } from '../vocabulary';

const IMAGE_SIZE_MEAN = 180_000;
const TEXT_SIZE_MEAN = 60;

export class ContentDraws {
  constructor(
    private readonly scenario: Scenario,
    private readonly rng: Random,
    /** Widely shared benign images, which ordinary users re-share lightly edited. */
    private readonly popular: HashBank,
  ) {}

  /** An image with hash `hash`; a benign one is sometimes borderline (scores like abuse). */
  image(hash: Uint8Array, abusive: boolean): Content {
    const c = this.scenario.content.images;
    const quality = this.rng.chance(c.lowQualityShare) ? this.rng.int(50) : 50 + this.rng.int(51);
    if (abusive) return { media: 'image', hash, quality, score: this.feature(c.abusive.score), look: this.feature(c.abusive.look) };
    const borderline = this.rng.chance(c.borderlineShare);
    return { media: 'image', hash, quality, score: this.feature(borderline ? c.abusive.score : c.benign.score), look: this.feature(c.benign.look) };
  }

  /** A new abusive image: a hash nobody has seen. */
  newAbusiveImage(): Content {
    return this.image(randomHash(this.rng), true);
  }

  /** A benign image: sometimes a popular one, lightly edited; otherwise a new one. */
  benignImage(): Content {
    const t = this.scenario.traffic;
    const hash =
      this.rng.chance(t.popularImageShare) && this.popular.size > 0
        ? perturb(bankEntry(this.popular, this.rng.int(this.popular.size)), this.rng.poisson(this.scenario.detection.hashBank.perturbationBits), this.rng)
        : randomHash(this.rng);
    return this.image(hash, false);
  }

  /** A text; an innocent one is sometimes borderline (scores like grooming). */
  text(abusive: boolean): Content {
    const c = this.scenario.content.text;
    if (abusive) return { media: 'text', score: this.feature(c.grooming.score), look: this.feature(c.grooming.look) };
    const borderline = this.rng.chance(c.borderlineShare);
    return { media: 'text', score: this.feature(borderline ? c.grooming.score : c.benign.score), look: this.feature(c.benign.look) };
  }

  /** A message's nominal size in bytes before sealing (drawn at delivery, in stream order). */
  size(media: Media): number {
    const mean = media === 'image' ? IMAGE_SIZE_MEAN : TEXT_SIZE_MEAN;
    return Math.max(1, Math.round(this.rng.exponential(mean)));
  }

  private feature(d: { mean: number; sd: number }): number {
    return quantize(Math.min(1, Math.max(0, this.rng.normal(d.mean, d.sd))));
  }
}
