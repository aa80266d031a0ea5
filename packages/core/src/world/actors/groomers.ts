/**
 * Groomers take on new unconnected minors each day and message each for a number of
 * days; the share of abusive messages (texts, sometimes images) rises over the
 * conversation.
 */
import type { Actor, Emit, Hour, World } from '../actor';

interface Target {
  minor: number;
  firstDay: number;
  lastDay: number;
}

export function groomers(world: World): Actor {
  const { scenario, population, rng, picks, content, envelopes } = world;
  const g = scenario.population.offenders.groomers;
  const mine = world.shard.mine(population.groomers);
  /** Each of the shard's groomers' current targets, in the order of population.groomers. */
  const targets: Target[][] = mine.map(() => []);
  return {
    step(hour: Hour, emit: Emit): void {
      if (population.minors === 0) return;
      const { start, day } = hour;
      for (const [rank, groomer] of mine.entries()) {
        if (!picks.exists(groomer, start)) continue;
        const list = targets[rank] as Target[];
        if (hour.index % 24 === 0) {
          const fresh = rng.poisson(g.newTargetsPerDay);
          for (let i = 0; i < fresh; i++) {
            const minor = picks.unconnectedMinor(groomer, start);
            if (minor >= 0) list.push({ minor, firstDay: day, lastDay: day + g.conversationDays - 1 });
          }
        }
        for (let i = list.length - 1; i >= 0; i--) if ((list[i] as Target).lastDay < day) list.splice(i, 1);
        for (const target of list) {
          const k = rng.poisson(g.messagesPerTargetPerDay / 24);
          const progress = g.conversationDays > 1 ? (day - target.firstDay) / (g.conversationDays - 1) : 1;
          const share = g.escalation.startShare + (g.escalation.endShare - g.escalation.startShare) * progress;
          for (let i = 0; i < k; i++) {
            const abusive = rng.chance(share);
            const c = abusive && rng.chance(g.imageShare) ? content.newAbusiveImage() : content.text(abusive);
            emit.messages.push({
              envelope: envelopes.make(picks.timeIn(start), groomer, target.minor, 'dm', c.media),
              content: c,
              abusive: abusive ? 'grooming' : null,
            });
          }
        }
      }
    },
  };
}
