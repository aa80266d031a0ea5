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
 *
 * Under safety prompts (protections.safetyPrompts) a minor messaged by an unconnected
 * adult reacts with the prompted probabilities. The reaction stream's draws stay the
 * same whatever the prompts: the same uniform decides the report (or block) against
 * either probability, a delay is drawn from the reaction stream exactly when the
 * unprompted probability would have made the report, and a report only the prompt
 * brings about takes its delay from a stream of its own (`prompts:<shard>`). So
 * switching prompts on adds (or takes away) reactions and moves nothing else.
 */
import { Random } from '../../random';
import type { Scenario } from '../../scenario';
import type { Envelope } from '../../types';
import { DAY, HOUR } from '../../types';
import type { Picks } from '../picks';
import { Kind, type Population } from '../population';
import { type Protections, unconnectedAdultToMinor } from '../protections';
import type { Schedule } from '../schedule';

export class Recipients {
  private readonly rng: Random;
  /** Delays of the reactions only a safety prompt brings about. */
  private readonly promptRng: Random;

  constructor(
    private readonly scenario: Scenario,
    private readonly population: Population,
    private readonly picks: Picks,
    private readonly later: Schedule,
    shard: number,
    private readonly protections: Protections,
  ) {
    this.rng = Random.derive(scenario.seed, `reactions:${shard}`);
    this.promptRng = Random.derive(scenario.seed, `prompts:${shard}`);
  }

  /** Abusive message `e` (plaintext `plain`) was delivered: its recipients may report it or block its sender. */
  react(e: Envelope, plain: Uint8Array): void {
    const { population, scenario } = this;
    const u = scenario.detection.userReports;
    const end = scenario.durationDays * DAY;
    const prompted = this.protections.prompts && unconnectedAdultToMinor(e);
    const sp = scenario.protections.safetyPrompts;
    const counts = this.protections.counts;
    if (prompted) counts.prompted++;
    const reporter = this.reporterFor(e);
    if (reporter >= 0) {
      const t = this.decide(e.t, u.probability, prompted ? sp.reportProbability : u.probability);
      if (t < end) {
        this.later.add({ type: 'report', t, reporter, envelope: e, plain });
        if (prompted) counts.promptedReports++;
      }
    }
    if (e.recipient >= 0 && population.isMinor(e.recipient)) {
      const t = this.decide(e.t, u.blockProbability, prompted ? sp.blockProbability : u.blockProbability);
      if (t < end) {
        this.later.add({ type: 'block', t, blocker: e.recipient, blocked: e.sender });
        if (prompted) counts.promptedBlocks++;
      }
    }
  }

  /**
   * Whether a reaction to a message received at `at` happens, with probability `p` (`base`
   * without a prompt): its time, or Infinity when it does not. Draws from the reaction
   * stream as `base` alone would: one uniform, and a delay when it falls below `base`.
   */
  private decide(at: number, base: number, p: number): number {
    const x = this.rng.next();
    const unprompted = x < base;
    if (!unprompted && !(x < p)) return Number.POSITIVE_INFINITY;
    const delay = (unprompted ? this.rng : this.promptRng).exponential(this.scenario.detection.userReports.meanDelayHours * HOUR);
    return x < p ? Math.round((at + delay) * 1000) / 1000 : Number.POSITIVE_INFINITY;
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
