/**
 * Teachers and coaches: innocent adults who message the minors of their class (the
 * look-alikes behavioural detection must tell from groomers).
 */
import type { Actor, Emit, Hour, World } from '../actor';

export function mentors(world: World): Actor {
  const { scenario, population, rng, picks, content, envelopes } = world;
  const m = scenario.population.lookalikes.mentors;
  const mine = world.shard.mine(population.mentors);
  return {
    step(hour: Hour, emit: Emit): void {
      for (const mentor of mine) {
        const cls = population.classOf(mentor);
        if (cls.length === 0) continue;
        const k = rng.poisson(m.messagesPerDay / 24);
        for (let i = 0; i < k; i++) {
          const minor = cls[rng.int(cls.length)] as number;
          const c = rng.chance(m.imageShare) ? content.benignImage() : content.text(false);
          const time = picks.timeIn(hour.start);
          // A mentor the platform closed (a report) sends nothing after; nor to a closed minor.
          if (!picks.exists(mentor, time) || !picks.exists(minor, time)) continue;
          emit.messages.push({ envelope: envelopes.make(time, mentor, minor, 'dm', c.media), content: c, abusive: null });
        }
      }
    },
  };
}
