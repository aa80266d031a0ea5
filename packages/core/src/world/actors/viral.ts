/**
 * Viral forwards: innocent users who pass on one of a few viral abuse images (known
 * items of the hash bank, lightly edited by re-encoding) in outrage or poor humour, by
 * DM to a contact or in a public post. Abusive content from an innocent account: what
 * hash matching rightly flags and what a reviewer confirms, yet no offender behind it.
 */
import { bankEntry, perturb } from '../../hash';
import type { Surface } from '../../vocabulary';
import { eachActiveArrival, openInShard, type Actor, type Emit, type Hour, type World } from '../actor';

export function viralSharers(world: World): Actor {
  const { scenario, population, rng, picks, bank, content, envelopes } = world;
  const v = scenario.population.lookalikes.viralSharers;
  const images = Math.min(v.viralImages, bank.genuine);
  const rate = images > 0 ? (openInShard(world) * v.perMillionPerDay) / 1e6 / 24 : 0;
  const bits = scenario.detection.hashBank.perturbationBits;
  return {
    step(hour: Hour, emit: Emit): void {
      eachActiveArrival(world, hour, rate, (time, sender) => {
        const source = bankEntry(bank.bank, rng.int(images));
        const image = content.image(perturb(source, rng.poisson(bits), rng), true);
        const isPublic = rng.chance(v.publicShare);
        if (population.isOffender(sender)) return;
        const recipient = isPublic ? -1 : picks.contactOf(sender, time);
        if (!isPublic && recipient < 0) return;
        const surface: Surface = isPublic ? 'public' : 'dm';
        emit.messages.push({ envelope: envelopes.make(time, sender, recipient, surface, 'image'), content: image, abusive: 'knownImage' });
      });
    },
  };
}
