/** Profile photo changes: any user, now and then, a benign image on the profile surface. */
import { eachActiveArrival, openInShard, type Actor, type Emit, type Hour, type World } from '../actor';

export function profilePhotos(world: World): Actor {
  const { scenario, content, envelopes } = world;
  const rate = (openInShard(world) * scenario.traffic.profilePhotoChangesPerMonth) / 30 / 24;
  return {
    step(hour: Hour, emit: Emit): void {
      eachActiveArrival(world, hour, rate, (time, sender) => {
        const c = content.benignImage();
        emit.messages.push({ envelope: envelopes.make(time, sender, -1, 'profile', 'image'), content: c, abusive: null });
      });
    },
  };
}
