/**
 * Forged reports: a malicious user reports an innocent account with fabricated
 * content. The forger can commit to the content but cannot produce the platform's
 * countersignature, so franking exposes the forgery.
 */
import { encodeContent } from '../../content';
import { commit } from '../../franking';
import { HOUR } from '../../types';
import type { Actor, Emit, Hour, World } from '../actor';

const EMPTY: Uint8Array = new Uint8Array(0);

export function forgers(world: World): Actor {
  const { scenario, population, rng, picks, content } = world;
  const u = scenario.detection.userReports;
  return {
    step(hour: Hour, emit: Emit): void {
      // The same draws whatever the settings, so switching franking or the report route
      // off changes nothing else in the world.
      const n = rng.poisson(u.forgedPerDay / 24);
      for (let i = 0; i < n; i++) {
        const forger = rng.int(population.users);
        const target = picks.anyOther(forger);
        const t = picks.timeIn(hour.start);
        const fake = encodeContent(content.newAbusiveImage());
        const key = rng.fill(new Uint8Array(32));
        const fakeTag = rng.fill(new Uint8Array(32));
        // A message id from the stream so far.
        const messageId = Math.max(0, hour.issued - 1 - rng.int(Math.max(1, hour.issued)));
        const sentAt = Math.max(0, t - rng.exponential(HOUR));
        if (population.isOffender(forger) || population.isOffender(target) || !picks.exists(forger, t) || !picks.exists(target, t)) continue;
        emit.later.add({
          type: 'forged',
          t,
          report: {
            messageId,
            t,
            reporter: forger,
            reported: target,
            recipient: forger,
            sentAt,
            surface: 'dm',
            content: fake,
            frankingKey: u.franking ? key : EMPTY,
            commitment: u.franking ? commit(key, fake) : EMPTY,
            tag: u.franking ? fakeTag : EMPTY,
          },
        });
      }
    },
  };
}
