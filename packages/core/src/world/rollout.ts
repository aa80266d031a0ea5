/**
 * Encryption switched on at a date, account by account. A surface with `encryption: e2ee`
 * starts its rollout on day `fromDay` and reaches every account over `rampDays`: each
 * account's client switches at fromDay·DAY + u·rampDays·DAY, where u in [0, 1) is the
 * account's place in the rollout, a hash of (seed, account). It draws from no stream, so
 * the traffic's draws do not shift, and any shard, thread or process computes the same
 * switch time for an account without holding a table of them.
 *
 * One place per account for every surface: an account's client is updated once, and
 * each surface's rollout (its own fromDay and rampDays) reaches the account at the same
 * point of its ramp.
 *
 * A DM is encrypted once both its sender and its recipient have switched (a conversation
 * upgrades when both clients support it: assumption); a public post or profile photo
 * once its sender has. Switch times never go back, so a conversation sends plaintext
 * messages and then only encrypted ones.
 */
import { pairUniform } from '../random';
import { encryptedSurfaces, type Scenario } from '../scenario';
import { DAY } from '../types';
import { SURFACES, type Surface } from '../vocabulary';

/** One surface's rollout, in simulated seconds: it starts at `from` and reaches every account by `from + ramp`. */
export interface Rollout {
  from: number;
  ramp: number;
}

/** Each surface's rollout, or null for a surface that is never encrypted. */
export function rollouts(scenario: Pick<Scenario, 'surfaces'>): Record<Surface, Rollout | null> {
  const on = encryptedSurfaces(scenario);
  const s = scenario.surfaces;
  const block: Record<Surface, { fromDay: number; rampDays: number }> = { dm: s.directMessages, public: s.publicPosts, profile: s.profilePhotos };
  return Object.fromEntries(SURFACES.map((k) => [k, on[k] ? { from: block[k].fromDay * DAY, ramp: block[k].rampDays * DAY } : null])) as Record<
    Surface,
    Rollout | null
  >;
}

/** Each account's place in the run's rollout, uniform in [0, 1): a pure function of (seed, account), from no stream. */
export function rolloutPlaces(seed: number): (account: number) => number {
  const uniform = pairUniform(seed, 'rollout');
  return (account) => uniform(account, 0);
}

/** When `account`'s client switches to end-to-end encryption under rollout `r`, in simulated seconds. */
export function switchTime(r: Rollout, place: (account: number) => number, account: number): number {
  return r.ramp === 0 ? r.from : r.from + place(account) * r.ramp;
}

/** Which messages are encrypted: by surface, time and the accounts' switch times. No draw. */
export class Encryption {
  private readonly rollouts: Record<Surface, Rollout | null>;
  private readonly place: (account: number) => number;

  constructor(scenario: Pick<Scenario, 'surfaces' | 'seed'>) {
    this.rollouts = rollouts(scenario);
    this.place = rolloutPlaces(scenario.seed);
  }

  /** Whether a message sent at `t` by `sender` to `recipient` (-1 on a public surface) is end-to-end encrypted. */
  encrypted(t: number, surface: Surface, sender: number, recipient: number): boolean {
    const r = this.rollouts[surface];
    if (r === null || t < r.from) return false;
    if (t >= r.from + r.ramp) return true;
    return t >= switchTime(r, this.place, sender) && (recipient < 0 || t >= switchTime(r, this.place, recipient));
  }
}
