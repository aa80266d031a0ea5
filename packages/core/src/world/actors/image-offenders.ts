/**
 * What sharers and producers have in common: each (of the shard's) posts abusive images at its own rate,
 * on the public surfaces if it uses them, otherwise by DM, mostly to another offender of
 * its network (one whose account exists by now), else to a contact. They differ only in
 * the images.
 */
import type { Content } from '../../types';
import type { AbuseKind, Surface } from '../../vocabulary';
import type { Actor, Emit, Hour, World } from '../actor';

/** An image offender archetype's settings (scenario.population.offenders.sharers or .producers). */
interface ImageOffenderSettings {
  abusiveImagesPerDay: number;
  publicShare: number;
  ringShare: number;
}

/** Of the images offenders post on the public surfaces, the share that are posts (the rest are profile photos). */
const PUBLIC_POST_SHARE = 0.7;

export function imageOffenders(world: World, offenders: readonly number[], cfg: ImageOffenderSettings, abuse: AbuseKind, image: () => Content): Actor {
  const { population, rng, picks, envelopes } = world;
  const rate = cfg.abusiveImagesPerDay / 24;
  const mine = world.shard.mine(offenders);
  return {
    step(hour: Hour, emit: Emit): void {
      for (const offender of mine) {
        const k = rng.poisson(rate);
        for (let i = 0; i < k; i++) {
          const time = picks.timeIn(hour.start);
          if (!picks.exists(offender, time)) continue;
          const content = image();
          let recipient = -1;
          let surface: Surface = 'dm';
          if (population.isPublicActive(offender) && rng.chance(cfg.publicShare)) {
            surface = rng.chance(PUBLIC_POST_SHARE) ? 'public' : 'profile';
          } else {
            const ring = population.ringOf(offender);
            let peer = -1;
            if (ring.length > 0 && rng.chance(cfg.ringShare)) {
              for (let tries = 0; tries < 4 && peer < 0; tries++) {
                const candidate = ring[rng.int(ring.length)] as number;
                if (picks.exists(candidate, time)) peer = candidate;
              }
            }
            recipient = peer >= 0 ? peer : picks.contactOf(offender, time);
            if (recipient < 0) continue;
          }
          emit.messages.push({ envelope: envelopes.make(time, offender, recipient, surface, 'image'), content, abusive: abuse });
        }
      }
    },
  };
}
