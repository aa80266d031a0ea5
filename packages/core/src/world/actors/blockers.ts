/** Innocent blocks: users block one another for reasons of their own, at the scenario's rate. */
import type { Actor, Emit, Hour, World } from '../actor';

export function blockers(world: World): Actor {
  const { scenario, population, rng, picks } = world;
  const rate = (population.users * scenario.traffic.blocksPerUserPerMonth) / 30 / 24;
  return {
    step(hour: Hour, emit: Emit): void {
      const n = rng.poisson(rate);
      for (let i = 0; i < n; i++) {
        const blocker = rng.int(population.users);
        const blocked = picks.anyOther(blocker);
        const t = picks.timeIn(hour.start);
        if (population.isOffender(blocker) || !picks.exists(blocker, t) || !picks.exists(blocked, t)) continue;
        emit.later.add({ type: 'block', t, blocker, blocked });
      }
    },
  };
}
