/** Profile photo changes: any user, now and then, a benign image on the profile surface. */
import type { Actor, Emit, Hour, World } from '../actor';

export function profilePhotos(world: World): Actor {
  const { scenario, population, rng, picks, content, envelopes } = world;
  const rate = (population.users * scenario.traffic.profilePhotoChangesPerMonth) / 30 / 24;
  return {
    step(hour: Hour, emit: Emit): void {
      const n = rng.poisson(rate);
      for (let i = 0; i < n; i++) {
        const time = picks.timeIn(hour.start);
        const sender = picks.activeAccount(time);
        if (sender < 0) continue;
        const c = content.benignImage();
        emit.messages.push({ envelope: envelopes.make(time, sender, -1, 'profile', 'image'), content: c, abusive: null });
      }
    },
  };
}
