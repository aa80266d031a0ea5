/**
 * Innocent blocks: users block one another for reasons of their own, at the scenario's
 * rate. A block is about the account blocked, so the shard draws its own accounts as the
 * blocked and anyone as the blocker.
 */
import { openInShard, type Actor, type Emit, type Hour, type World } from '../actor';

export function blockers(world: World): Actor {
  const { scenario, population, rng, picks } = world;
  const rate = (openInShard(world) * scenario.traffic.blocksPerUserPerMonth) / 30 / 24;
  return {
    step(hour: Hour, emit: Emit): void {
      const n = rng.poisson(rate);
      for (let i = 0; i < n; i++) {
        const blocked = picks.shardAccount();
        const blocker = picks.anyOther(blocked);
        const t = picks.timeIn(hour.start);
        if (population.isOffender(blocker) || !picks.exists(blocker, t) || !picks.exists(blocked, t)) continue;
        emit.later.add({ type: 'block', t, blocker, blocked });
      }
    },
  };
}
