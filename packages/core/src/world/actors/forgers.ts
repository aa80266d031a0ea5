/**
 * Forged reports: a malicious user reports an innocent account with fabricated
 * content. The forger can commit to the content but cannot produce the platform's
 * countersignature, so franking exposes the forgery. A forged report is about the
 * account it targets, so the shard draws its own accounts as targets and anyone as the
 * forger.
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
      const n = rng.poisson(world.shard.share(u.forgedPerDay / 24));
      for (let i = 0; i < n; i++) {
        const target = picks.shardAccount();
        const forger = picks.anyOther(target);
        const t = picks.timeIn(hour.start);
        const fake = encodeContent(content.newAbusiveImage());
        const key = rng.fill(new Uint8Array(32));
        const fakeTag = rng.fill(new Uint8Array(32));
        // Which message id of the stream so far the report names: set when the report takes its place in the stream.
        const pick = rng.next();
        const sentAt = Math.max(0, t - rng.exponential(HOUR));
        if (population.isOffender(forger) || population.isOffender(target) || !picks.exists(forger, t) || !picks.exists(target, t)) continue;
        emit.later.add({
          type: 'forged',
          t,
          pick,
          report: {
            messageId: 0,
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
