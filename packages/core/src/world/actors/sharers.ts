/**
 * Sharers re-share known abuse images (entries of the platform's hash bank), lightly
 * edited; some edit them beyond what hash matching tolerates.
 */
import { bankEntry, perturb, randomHash } from '../../hash';
import type { Actor, World } from '../actor';
import { imageOffenders } from './image-offenders';

export function sharers(world: World): Actor {
  const { scenario, population, rng, bank, content } = world;
  const hb = scenario.detection.hashBank;
  const knownImage = () => {
    // A bank with no genuine entry (all wrongly listed) leaves nothing known to re-share.
    if (bank.genuine === 0) return content.image(randomHash(rng), true);
    const source = bankEntry(bank.bank, rng.int(bank.genuine));
    const bits = rng.chance(hb.editedBeyondMatchShare) ? 40 + rng.int(60) : rng.poisson(hb.perturbationBits);
    return content.image(perturb(source, bits, rng), true);
  };
  return imageOffenders(world, population.sharers, scenario.population.offenders.sharers, 'knownImage', knownImage);
}
