/**
 * Recipients of abuse react: a recipient who is not an offender (or, for a public post,
 * a viewer) may report it, and a minor may block the sender. Users report whether or not
 * the platform acts on reports (detection.userReports.enabled).
 *
 * Reactions draw from their own stream (one per shard: the sender's, since a reaction is
 * about the sender), so changing how often users report or block leaves the traffic
 * itself untouched (common random numbers: a sweep over those settings compares like
 * with like). Unlike the other actors, recipients are not asked each hour: the shard's
 * delivery asks them about each abusive message, in the shard's stream order.
 */
import { Random } from '../../random';
import type { Scenario } from '../../scenario';
import type { Envelope } from '../../types';
import { DAY, HOUR } from '../../types';
import type { Picks } from '../picks';
import { Kind, type Population } from '../population';
import type { Schedule } from '../schedule';

export class Recipients {
  private readonly rng: Random;

  constructor(
    private readonly scenario: Scenario,
    private readonly population: Population,
    private readonly picks: Picks,
    private readonly later: Schedule,
    shard: number,
  ) {
    this.rng = Random.derive(scenario.seed, `reactions:${shard}`);
  }

  /** Abusive message `e` (plaintext `plain`) was delivered: its recipients may report it or block its sender. */
  react(e: Envelope, plain: Uint8Array): void {
    const { rng, population, scenario } = this;
    const u = scenario.detection.userReports;
    const end = scenario.durationDays * DAY;
    const reporter = this.reporterFor(e);
    if (reporter >= 0 && rng.chance(u.probability)) {
      const t = Math.round((e.t + rng.exponential(u.meanDelayHours * HOUR)) * 1000) / 1000;
      if (t < end) this.later.add({ type: 'report', t, reporter, envelope: e, plain });
    }
    if (e.recipient >= 0 && population.isMinor(e.recipient) && rng.chance(u.blockProbability)) {
      const t = Math.round((e.t + rng.exponential(u.meanDelayHours * HOUR)) * 1000) / 1000;
      if (t < end) this.later.add({ type: 'block', t, blocker: e.recipient, blocked: e.sender });
    }
  }

  /** Who would report an abusive message: its recipient, or for a public one a viewer. Offenders never report. */
  private reporterFor(e: Envelope): number {
    const p = this.population;
    if (e.recipient >= 0) return p.kind[e.recipient] === Kind.Ordinary || p.kind[e.recipient] === Kind.Mentor ? e.recipient : -1;
    for (let i = 0; i < 8; i++) {
      const viewer = this.picks.anyOther(e.sender, this.rng);
      if (!p.isOffender(viewer) && this.picks.exists(viewer, e.t)) return viewer;
    }
    return -1;
  }
}
