/**
 * Several platforms in one world. The people are the population's accounts; each person
 * is on one or more platforms (`platforms[].members`), and every message, report and
 * block happens on exactly one platform, a pure function of who sends it to whom on
 * which surface (no draw, so the traffic's draws are the same whatever the platforms):
 *
 * - An offender's account acts on one platform, drawn once per career with weights
 *   `offenderShare`: an offender coming back on a new account comes back there, unless
 *   `displacement.toEncrypted` moves them to the platforms whose DMs are being encrypted
 *   when the account opens. Every message to or from it is there. (Between two
 *   offenders, the lower account's platform.)
 * - A DM between two other people is on a platform both are on, fixed per pair (a
 *   conversation lives on one app); for a pair with none in common, on one either is on.
 * - A public post or profile photo is on the sender's own platform, fixed per account
 *   (one of those it is on).
 * - A report is on the platform of the message it reports; a block on the platform of a
 *   DM from the blocked to the blocker.
 *
 * A world of several platforms runs as one pipeline run per platform (forPlatform): each
 * plays the whole world and emits only its platform's events, so the runs' streams
 * partition the world's. With enforcement on, a run closes the accounts its own platform
 * reports: those change its world's draws from then on (not the other runs'), and since
 * a closed account's career stays on its platform, what a closing does is on that
 * platform. Without `platforms` the world is one
 * platform, and all of this is the identity.
 */
import { pairUniform } from '../random';
import type { Scenario } from '../scenario';
import { type PlatformSettings, platformsOf } from '../scenario/platforms';
import { DAY } from '../types';
import type { Surface } from '../vocabulary';
import type { Population } from './population';

/** Draws `u` in [0, 1) against weights, among the candidates (indices) given. */
function weighted(u: number, candidates: readonly number[], weight: (i: number) => number): number {
  let total = 0;
  for (const i of candidates) total += weight(i);
  if (!(total > 0)) return candidates[Math.min(candidates.length - 1, Math.floor(u * candidates.length))] as number;
  let x = u * total;
  for (const i of candidates) {
    x -= weight(i);
    if (x < 0) return i;
  }
  return candidates[candidates.length - 1] as number;
}

/** Which platform each event of the world is on (see the file's comment). */
export class Platforms {
  readonly count: number;
  /** The platform whose events the run emits. */
  readonly emitted: number;
  /** Bit p set: the account is on platform p (offenders: only the one they act on). */
  private readonly member: Uint8Array;
  /** The platform of each account's own posts (for an offender, the one it acts on). */
  private readonly home: Uint8Array;
  private readonly offender: Uint8Array;
  private readonly pair: (a: number, b: number) => number;

  constructor(scenario: Scenario, population: Population) {
    const list = platformsOf(scenario);
    this.count = list.length;
    this.emitted = scenario.platform ?? 0;
    const n = population.users;
    this.member = new Uint8Array(this.count > 1 ? n : 0);
    this.home = new Uint8Array(this.count > 1 ? n : 0);
    this.offender = new Uint8Array(this.count > 1 ? n : 0);
    this.pair = pairUniform(scenario.seed, 'platform:pair');
    if (this.count === 1) return;
    const draw = pairUniform(scenario.seed, 'platform:member');
    const all = list.map((_, i) => i);
    // Platforms whose DMs are being encrypted from a time on: the displaced offenders' choice.
    const dmFrom = list.map((p) => (p.surfaces.directMessages.encryption === 'e2ee' ? p.surfaces.directMessages.fromDay * DAY : Number.POSITIVE_INFINITY));
    const toEncrypted = scenario.displacement.toEncrypted;
    for (let a = 0; a < n; a++) {
      if (population.isOffender(a)) {
        // When the account opens as drawn (one kept past the run for a closing to bring
        // forward counts as opening late), so that every platform's run, whatever its
        // closings, puts it on the same platform.
        const opened = population.createdAt[a] as number;
        const encrypting = all.filter((i) => (dmFrom[i] as number) <= opened);
        const displaced = encrypting.length > 0 && draw(a, 1000) < toEncrypted;
        // An offender coming back comes back where they were, unless displaced.
        const before = population.previousAccount(a);
        const p =
          !displaced && before >= 0
            ? (this.home[before] as number)
            : weighted(draw(a, 1001), displaced ? encrypting : all, (i) => (list[i] as PlatformSettings).offenderShare);
        this.offender[a] = 1;
        this.member[a] = 1 << p;
        this.home[a] = p;
        continue;
      }
      let bits = 0;
      const on: number[] = [];
      list.forEach((p, i) => {
        if (draw(a, i) < p.members) {
          bits |= 1 << i;
          on.push(i);
        }
      });
      if (bits === 0) {
        const p = weighted(draw(a, 999), all, (i) => (list[i] as PlatformSettings).members);
        bits = 1 << p;
        on.push(p);
      }
      this.member[a] = bits;
      this.home[a] = on[Math.min(on.length - 1, Math.floor(draw(a, 998) * on.length))] as number;
    }
  }

  /** Whether `account` is on platform `p` (an offender only on the one it acts on). */
  isOn(account: number, p: number): boolean {
    return this.count === 1 || ((this.member[account] as number) & (1 << p)) !== 0;
  }

  /** Whether `account` is on the run's platform: the accounts its ledger counts. */
  onRun(account: number): boolean {
    return this.isOn(account, this.emitted);
  }

  /** The platform of a message from `sender` to `recipient` (-1 on a public surface) on `surface`. */
  of(sender: number, recipient: number, surface: Surface): number {
    if (this.count === 1) return 0;
    if (recipient < 0 || surface !== 'dm') return this.home[sender] as number;
    const lo = Math.min(sender, recipient);
    const hi = Math.max(sender, recipient);
    if (this.offender[lo]) return this.home[lo] as number;
    if (this.offender[hi]) return this.home[hi] as number;
    const both = (this.member[lo] as number) & (this.member[hi] as number);
    const bits = both !== 0 ? both : (this.member[lo] as number) | (this.member[hi] as number);
    let k = 0;
    for (let b = bits; b !== 0; b &= b - 1) k++;
    let pick = Math.floor(this.pair(lo, hi) * k);
    for (let p = 0; p < this.count; p++) {
      if ((bits & (1 << p)) === 0) continue;
      if (pick-- === 0) return p;
    }
    return this.home[lo] as number;
  }

  /** Whether the run emits the event (its platform is the run's). */
  emits(sender: number, recipient: number, surface: Surface): boolean {
    return this.count === 1 || this.of(sender, recipient, surface) === this.emitted;
  }
}
