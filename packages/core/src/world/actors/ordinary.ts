/**
 * Ordinary users: direct messages, mostly to contacts, and public posts, texts or
 * benign images, at the scenario's rate per user (the shard's users).
 */
import { eachActiveArrival, openInShard, type Actor, type Emit, type Hour, type World } from '../actor';

export function ordinaryUsers(world: World): Actor {
  const { scenario, rng, picks, content, envelopes } = world;
  const t = scenario.traffic;
  const rate = (openInShard(world) * t.messagesPerUserPerDay) / 24;
  return {
    step(hour: Hour, emit: Emit): void {
      eachActiveArrival(world, hour, rate, (time, sender) => {
        const isPublic = rng.chance(t.publicPostShare);
        const recipient = isPublic ? -1 : picks.ordinaryRecipient(sender, time);
        if (!isPublic && recipient < 0) return;
        const c = rng.chance(t.mediaShare) ? content.benignImage() : content.text(false);
        emit.messages.push({ envelope: envelopes.make(time, sender, recipient, isPublic ? 'public' : 'dm', c.media), content: c, abusive: null });
      });
    },
  };
}
