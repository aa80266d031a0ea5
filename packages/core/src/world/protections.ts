/**
 * Platform protections for minors that read no content (scenario `protections`): they
 * act on what the envelope says (declared ages, whether sender and recipient are
 * contacts) and on blocks, so they work as well under end-to-end encryption as without.
 * Each is about DMs from an adult to a minor who is not their contact ("unconnected").
 *
 *   - teen DM limit: from `fromDay` such a DM is sent only if the minor accepted the
 *     adult's message request. Acceptance is a fixed function of (seed, sender,
 *     recipient), no draw from any stream: the same answer for every message of the pair,
 *     and the world's draws are the same whatever the setting (common random numbers).
 *   - restrictions: an adult blocked by `minBlocks` distinct minors can no longer send
 *     such DMs, from the time the last of those blocks enters the stream.
 *   - safety prompts: the minor who receives such a DM sees a notice and reacts to an
 *     abusive one with the prompted probabilities (see Recipients).
 *
 * A refused message is never sent: not delivered, not numbered, not in the ledger but as
 * a count, seen by no detector, reacted to by nobody. The filter stands in one place,
 * the shard's delivery loop (WorldShard.step), after every actor has drawn its messages,
 * so it covers every sender alike: groomers, mentors' unconnected class members,
 * ordinary DMs to non-contacts.
 *
 * One Protections per shard. Blocks are counted in the shard that plays the blocked
 * account, where every block about it is scheduled (a recipient's block in the sender's
 * shard, an ordinary block in the blocked account's), and in that shard's stream order:
 * so the count at any message is the same however shards are spread over threads.
 */
import { pairUniform } from '../random';
import type { ProtectionCounts } from '../result';
import type { Scenario } from '../scenario';
import { DAY, type Envelope } from '../types';
import type { Population } from './population';

export type { ProtectionCounts };

export function zeroProtectionCounts(): ProtectionCounts {
  return {
    refusedRequests: 0,
    restrictedMessages: 0,
    refusedAbusive: 0,
    restrictedAccounts: 0,
    restrictedInnocent: 0,
    prompted: 0,
    promptedReports: 0,
    promptedBlocks: 0,
  };
}

/** Adds `b`'s counts to `a`'s. */
export function addProtectionCounts(a: ProtectionCounts, b: ProtectionCounts): void {
  for (const k of Object.keys(a) as (keyof ProtectionCounts)[]) a[k] += b[k];
}

/** Whether `e` is a DM from an adult to a minor who is not their contact, by what the platform knows (declared ages). */
export function unconnectedAdultToMinor(e: Envelope): boolean {
  return e.recipient >= 0 && e.surface === 'dm' && e.recipientMinor && !e.senderMinor && !e.connected;
}

export class Protections {
  /** What they did to the events the run keeps, and to those of other platforms (see counting). */
  private readonly kept: ProtectionCounts = zeroProtectionCounts();
  private readonly elsewhere: ProtectionCounts = zeroProtectionCounts();
  /** Where what they do now is counted. */
  counts: ProtectionCounts = this.kept;
  private readonly limit: boolean;
  private readonly limitFrom: number;
  private readonly acceptShare: number;
  private readonly accepts: (sender: number, recipient: number) => number;
  private readonly restrict: boolean;
  private readonly minBlocks: number;
  /** Per adult blocked by minors but not yet restricted: the distinct minors who blocked them. */
  private readonly blockedBy = new Map<number, number[]>();
  private readonly restricted = new Set<number>();
  /** Whether any protection that refuses messages is on. */
  readonly filters: boolean;
  /** Whether minors messaged by unconnected adults are prompted. */
  readonly prompts: boolean;

  constructor(
    scenario: Scenario,
    private readonly population: Population,
  ) {
    const p = scenario.protections;
    this.limit = p.teenDmLimit.enabled;
    this.limitFrom = p.teenDmLimit.fromDay * DAY;
    this.acceptShare = p.teenDmLimit.requestAcceptShare;
    this.accepts = pairUniform(scenario.seed, 'message-request');
    this.restrict = p.restrictions.enabled;
    this.minBlocks = p.restrictions.minBlocks;
    this.filters = this.limit || this.restrict;
    this.prompts = p.safetyPrompts.enabled;
  }

  /** Whether `minor` accepts `adult`'s message request: the same answer every time, for the scenario's seed. */
  accepted(adult: number, minor: number): boolean {
    return this.accepts(adult, minor) < this.acceptShare;
  }

  /** Whether `adult` is restricted by now (blocked by minBlocks distinct minors in the blocks that entered the stream). */
  isRestricted(adult: number): boolean {
    return this.restricted.has(adult);
  }

  /** Block of `blocked` by `blocker` entered the stream (in the shard that plays `blocked`, in stream order). */
  /** What they did to the events the run keeps. */
  get totals(): ProtectionCounts {
    return this.kept;
  }

  /**
   * Whether what they do next is counted: in a world of several platforms a run plays
   * every platform's events but keeps (and counts) only its own (platforms.ts).
   */
  counting(kept: boolean): void {
    this.counts = kept ? this.kept : this.elsewhere;
  }

  block(blocker: number, blocked: number): void {
    if (!this.restrict || this.restricted.has(blocked)) return;
    const p = this.population;
    if (!p.isMinor(blocker) || p.isMinor(blocked)) return;
    let by = this.blockedBy.get(blocked);
    if (!by) this.blockedBy.set(blocked, (by = []));
    if (by.includes(blocker)) return;
    by.push(blocker);
    if (by.length >= this.minBlocks) {
      this.blockedBy.delete(blocked);
      this.restricted.add(blocked);
      this.counts.restrictedAccounts++;
      if (!p.isOffender(blocked)) this.counts.restrictedInnocent++;
    }
  }

  /** Whether message `e` (ground truth `abusive`) is sent; a refused one is counted. */
  admits(e: Envelope, abusive: boolean): boolean {
    if (!this.filters || !unconnectedAdultToMinor(e)) return true;
    if (this.restrict && this.restricted.has(e.sender)) {
      this.counts.restrictedMessages++;
    } else if (this.limit && e.t >= this.limitFrom && !this.accepted(e.sender, e.recipient)) {
      this.counts.refusedRequests++;
    } else {
      return true;
    }
    if (abusive) this.counts.refusedAbusive++;
    return false;
  }
}
