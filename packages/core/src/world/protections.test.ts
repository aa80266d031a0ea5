import { describe, expect, it } from 'vitest';
import { pairUniform } from '../random';
import type { Scenario } from '../scenario';
import { SHARDS, shardHourOf, shardOf } from '../shards';
import { testScenario } from '../testing';
import { DAY, type Block, type Envelope, type UserReport } from '../types';
import type { Unsealed } from './clients';
import { batchLayout } from '../layout';
import { WorldGenerator } from './generator';
import { type Ledger, mergeLedgers } from './ledger';
import { buildPopulation } from './population';
import { Protections, unconnectedAdultToMinor } from './protections';
import { newClientSecret } from './index';
import { newPlatformKey } from '../franking';

type Json = Record<string, unknown>;

/** A small world with much traffic from adults to minors they are not connected to: groomers, mentors' unconnected class members, ordinary DMs to non-contacts. */
function scenario(protections: Json = {}, overrides: Json = {}): Scenario {
  return testScenario(
    {
      seed: 31337,
      durationDays: 8,
      population: {
        adults: 300,
        minors: 150,
        offenders: {
          sharers: { count: 6, abusiveImagesPerDay: 3 },
          groomers: { count: 10, newTargetsPerDay: 4, conversationDays: 4, escalation: { startShare: 0.2, endShare: 0.6 } },
        },
        lookalikes: { mentors: { count: 4, minorsEach: 15 } },
      },
      traffic: { messagesPerUserPerDay: 4, contactsPerUser: 8, unconnectedShare: 0.1, blocksPerUserPerMonth: 2 },
      detection: { hashBank: { size: 200 }, userReports: { probability: 0.1, blockProbability: 0.1, forgedPerDay: 2 } },
      protections,
    },
    overrides,
  );
}

const platformKey = newPlatformKey();
const clientSecret = newClientSecret();

interface Run {
  scenario: Scenario;
  messages: Unsealed[];
  reports: UserReport[];
  blocks: Block[];
  ledger: Ledger;
  /** Ids of the abusive messages. */
  abusive: Set<number>;
}

function generate(s: Scenario, batchSize = 1_000): Run {
  const gen = new WorldGenerator(s, { run: 'p', batchSize, platformKey, clientSecret });
  const run: Run = { scenario: s, messages: [], reports: [], blocks: [], ledger: gen.ledger, abusive: new Set() };
  for (const b of gen.unsealedBatches()) {
    for (const m of b.messages) run.messages.push(m);
    for (const r of b.reports) run.reports.push(r);
    for (const x of b.blocks) run.blocks.push(x);
  }
  for (const ids of Object.values(gen.ledger.abusiveIds)) for (const id of ids) run.abusive.add(id);
  return run;
}

/** A message as its sender sent it, apart from where the stream put it (its id) and its drawn size. */
const key = (e: Envelope) => `${e.t}|${e.sender}|${e.recipient}|${e.surface}|${e.media}`;

/** The messages of `a` that `b` does not have, as a multiset difference by key; throws if `b` has one `a` has not. */
function removed(a: Run, b: Run): Unsealed[] {
  const left = new Map<string, number>();
  for (const m of b.messages) left.set(key(m.envelope), (left.get(key(m.envelope)) ?? 0) + 1);
  const out: Unsealed[] = [];
  for (const m of a.messages) {
    const k = key(m.envelope);
    const n = left.get(k) ?? 0;
    if (n > 0) left.set(k, n - 1);
    else out.push(m);
  }
  const extra = [...left.values()].reduce((x, y) => x + y, 0);
  if (extra > 0) throw new Error(`${extra} messages in the second run that the first does not have`);
  return out;
}

const pairOf = (e: Envelope) => `${e.sender}>${e.recipient}`;
/** A message without its place in the stream (id), which other events' number moves. */
const unplaced = (m: Unsealed) => ({ ...m, envelope: { ...m.envelope, id: 0 } });

// Shared by the tests below (read-only).
const off = generate(scenario());

describe('protections: off', () => {
  it('the premise: much traffic from adults to unconnected minors, groomers abusive among it, minors blocking', () => {
    const unconnected = off.messages.filter((m) => unconnectedAdultToMinor(m.envelope));
    expect(unconnected.length).toBeGreaterThan(1_000);
    expect(new Set(unconnected.map((m) => pairOf(m.envelope))).size).toBeGreaterThan(300);
    expect(off.ledger.abusiveMessages.grooming).toBeGreaterThan(300);
    const pop = buildPopulation(off.scenario);
    expect(off.blocks.filter((b) => pop.isMinor(b.blocker) && !pop.isMinor(b.blocked)).length).toBeGreaterThan(20);
    expect(off.ledger.protections).toEqual({
      refusedRequests: 0,
      restrictedMessages: 0,
      refusedAbusive: 0,
      restrictedAccounts: 0,
      restrictedInnocent: 0,
      prompted: 0,
      promptedReports: 0,
      promptedBlocks: 0,
    });
  });

  it('changes nothing when off, whatever the other settings say', () => {
    const other = generate(
      scenario({
        teenDmLimit: { enabled: false, fromDay: 2, requestAcceptShare: 0.5 },
        safetyPrompts: { enabled: false, reportProbability: 0.9, blockProbability: 0.9 },
        restrictions: { enabled: false, minBlocks: 1 },
      }),
    );
    expect(other.messages).toEqual(off.messages);
    expect(other.reports).toEqual(off.reports);
    expect(other.blocks).toEqual(off.blocks);
    expect(other.ledger).toEqual(off.ledger);
  });

  it('changes nothing when on but idle: every request accepted, prompts at the unprompted rates, restrictions never reached', () => {
    const u = off.scenario.detection.userReports;
    const idle = generate(
      scenario({
        teenDmLimit: { enabled: true, requestAcceptShare: 1 },
        safetyPrompts: { enabled: true, reportProbability: u.probability, blockProbability: u.blockProbability },
        restrictions: { enabled: true, minBlocks: 1_000_000 },
      }),
    );
    expect(idle.messages).toEqual(off.messages);
    expect(idle.reports).toEqual(off.reports);
    expect(idle.blocks).toEqual(off.blocks);
    const { protections, ...rest } = idle.ledger;
    const { protections: none, ...offRest } = off.ledger;
    expect(rest).toEqual(offRest);
    expect([protections.refusedRequests, protections.restrictedMessages, protections.restrictedAccounts]).toEqual([0, 0, 0]);
    // The prompts were shown, and the reactions to them were the ones made anyway.
    expect(protections.prompted).toBeGreaterThan(100);
    expect(protections.promptedReports + protections.promptedBlocks).toBeGreaterThan(10);
    expect(none.prompted).toBe(0);
  });
});

describe('protections: teen DM limit', () => {
  const share = 0.3;
  const fromDay = 2;
  const limited = generate(scenario({ teenDmLimit: { enabled: true, fromDay, requestAcceptShare: share } }));
  const gone = removed(off, limited);
  const population = buildPopulation(limited.scenario);
  const accepts = new Protections(limited.scenario, population);

  it('sends the same world less the refused messages, and counts them', () => {
    expect(gone.length).toBeGreaterThan(300);
    expect(limited.ledger.protections.refusedRequests).toBe(gone.length);
    expect(limited.ledger.messages + gone.length).toBe(off.ledger.messages);
    expect(limited.ledger.protections.restrictedMessages).toBe(0);
  });

  it('refuses exactly the DMs from adults to unconnected minors, from fromDay, of the pairs whose request was not accepted', () => {
    for (const m of gone) {
      expect(unconnectedAdultToMinor(m.envelope)).toBe(true);
      expect(m.envelope.t).toBeGreaterThanOrEqual(fromDay * DAY);
      expect(accepts.accepted(m.envelope.sender, m.envelope.recipient)).toBe(false);
    }
    for (const m of limited.messages) {
      if (unconnectedAdultToMinor(m.envelope) && m.envelope.t >= fromDay * DAY) expect(accepts.accepted(m.envelope.sender, m.envelope.recipient)).toBe(true);
    }
    // Before fromDay nothing is refused: adults reach unconnected minors freely.
    expect(limited.messages.filter((m) => unconnectedAdultToMinor(m.envelope) && m.envelope.t < fromDay * DAY).length).toBeGreaterThan(100);
  });

  it("answers a pair's request once for all its messages, accepting about requestAcceptShare of pairs", () => {
    const sent = new Set(limited.messages.filter((m) => unconnectedAdultToMinor(m.envelope) && m.envelope.t >= fromDay * DAY).map((m) => pairOf(m.envelope)));
    const refused = new Set(gone.map((m) => pairOf(m.envelope)));
    expect([...refused].filter((p) => sent.has(p))).toEqual([]);
    const pairs = sent.size + refused.size;
    expect(pairs).toBeGreaterThan(300);
    const accepted = sent.size / pairs;
    // Binomial over the pairs: within four standard deviations.
    expect(Math.abs(accepted - share)).toBeLessThan(4 * Math.sqrt((share * (1 - share)) / pairs));
  });

  it('is a fixed function of (seed, sender, recipient): the same answers in another run, others for another seed', () => {
    const a = pairUniform(31337, 'message-request');
    const b = pairUniform(31337, 'message-request');
    const c = pairUniform(31338, 'message-request');
    const xs = Array.from({ length: 2_000 }, (_, i) => a(i, 7 * i + 1));
    expect(Array.from({ length: 2_000 }, (_, i) => b(i, 7 * i + 1))).toEqual(xs);
    const ys = Array.from({ length: 2_000 }, (_, i) => c(i, 7 * i + 1));
    expect(ys.filter((y, i) => y === xs[i]).length).toBeLessThan(5);
    // Uniform: a tenth below 0.1, half below 0.5, and (a, b) is not (b, a).
    expect(Math.abs(xs.filter((x) => x < 0.1).length / 2_000 - 0.1)).toBeLessThan(0.03);
    expect(Math.abs(xs.filter((x) => x < 0.5).length / 2_000 - 0.5)).toBeLessThan(0.05);
    expect(a(3, 5)).not.toBe(a(5, 3));
  });

  it("cuts groomers' abusive messages by about 1 - requestAcceptShare", () => {
    const all = generate(scenario({ teenDmLimit: { enabled: true, requestAcceptShare: share } }));
    const before = off.ledger.abusiveMessages.grooming;
    const after = all.ledger.abusiveMessages.grooming;
    // Every refused abusive message is grooming (the others go to contacts or offenders), and the count adds up.
    expect(after + all.ledger.protections.refusedAbusive).toBe(before);
    expect(after / before).toBeGreaterThan(share - 0.15);
    expect(after / before).toBeLessThan(share + 0.15);
    // Image offenders' abuse, sent to contacts and to one another, is untouched.
    expect(all.ledger.abusiveMessages.knownImage).toBe(off.ledger.abusiveMessages.knownImage);
  });

  it("refuses mentors' messages to the class members they are not connected to, and ordinary DMs to unconnected minors", () => {
    const pop = population;
    const kinds = new Set(gone.map((m) => (pop.isOffender(m.envelope.sender) ? 'offender' : pop.mentors.includes(m.envelope.sender) ? 'mentor' : 'ordinary')));
    expect(kinds).toEqual(new Set(['offender', 'mentor', 'ordinary']));
  });
});

describe('protections: safety prompts', () => {
  const prompted = generate(scenario({ safetyPrompts: { enabled: true, reportProbability: 0.5, blockProbability: 0.5 } }));
  const isPromptable = (run: Run) => {
    const byId = new Map(run.messages.map((m) => [m.envelope.id, m.envelope]));
    return (r: UserReport) => {
      const e = byId.get(r.messageId);
      // A recipient's report of the message (a forged report names any earlier id).
      return e !== undefined && e.sender === r.reported && e.recipient === r.reporter && unconnectedAdultToMinor(e);
    };
  };

  it('leaves the messages alone', () => {
    expect(prompted.messages.map(unplaced)).toEqual(off.messages.map(unplaced));
  });

  it('raises reports and blocks by minors messaged by unconnected adults, and keeps every reaction made without prompts', () => {
    const promptedReports = prompted.reports.filter(isPromptable(prompted));
    const offReports = off.reports.filter(isPromptable(off));
    expect(promptedReports.length).toBeGreaterThan(2 * offReports.length);
    expect(prompted.ledger.protections.promptedReports).toBe(promptedReports.length);
    // Common random numbers: the prompts add reactions, they take none away nor move any.
    const reportKey = (r: UserReport) => `${r.t}|${r.reporter}|${r.reported}|${r.sentAt}|${r.surface}`;
    const have = new Set(prompted.reports.map(reportKey));
    expect(off.reports.filter((r) => !have.has(reportKey(r)))).toEqual([]);
    const blockKey = (b: Block) => `${b.t}|${b.blocker}|${b.blocked}`;
    const blocks = new Set(prompted.blocks.map(blockKey));
    expect(off.blocks.filter((b) => !blocks.has(blockKey(b)))).toEqual([]);
    expect(prompted.blocks.length).toBeGreaterThan(off.blocks.length);
    // Reports of messages that were no prompt's business are exactly those made without prompts.
    const other = (run: Run) => {
      const promptable = isPromptable(run);
      return run.reports.filter((r) => !promptable(r)).map(reportKey);
    };
    expect(other(prompted)).toEqual(other(off));
  });

  it('prompts on abusive DMs from unconnected adults to minors only, counting each', () => {
    const abusivePromptable = prompted.messages.filter((m) => prompted.abusive.has(m.envelope.id) && unconnectedAdultToMinor(m.envelope));
    expect(prompted.ledger.protections.prompted).toBe(abusivePromptable.length);
    expect(prompted.ledger.protections.promptedBlocks).toBeGreaterThan(0);
  });
});

describe('protections: restrictions', () => {
  const minBlocks = 2;
  // Minors block the sender of an abusive message often, so groomers are restricted within the run.
  const s = scenario({ restrictions: { enabled: true, minBlocks } }, { detection: { userReports: { blockProbability: 0.3 } } });
  const restricted = generate(s);
  const base = generate(scenario({}, { detection: { userReports: { blockProbability: 0.3 } } }));
  const pop = buildPopulation(s);
  /** A block by a minor of an adult (by declared age, as the platform knows them). */
  const minorBlocksAdult = (b: Block) => pop.isMinor(b.blocker) && !pop.isMinor(b.blocked);

  /** Per adult, the id of the block that made minBlocks distinct minors who blocked them, from the stream's blocks. */
  function restrictedAt(run: Run): Map<number, number> {
    const by = new Map<number, Set<number>>();
    const at = new Map<number, number>();
    for (const b of [...run.blocks].sort((x, y) => x.id - y.id)) {
      if (!minorBlocksAdult(b) || at.has(b.blocked)) continue;
      let set = by.get(b.blocked);
      if (!set) by.set(b.blocked, (set = new Set()));
      set.add(b.blocker);
      if (set.size >= minBlocks) at.set(b.blocked, b.id);
    }
    return at;
  }

  it('counts the blocks in the shard that plays the blocked account, whoever blocks (so in every shard layout the same)', () => {
    for (const run of [base, restricted]) {
      expect(run.blocks.length).toBeGreaterThan(50);
      for (const b of run.blocks) expect(shardHourOf(b.id) % SHARDS).toBe(shardOf(b.blocked));
    }
  });

  it("stops a blocked adult's DMs to unconnected minors once minBlocks minors have blocked them, and nothing before", () => {
    const at = restrictedAt(restricted);
    expect(at.size).toBeGreaterThan(3);
    expect(restricted.ledger.protections.restrictedAccounts).toBe(at.size);
    expect(restricted.ledger.protections.restrictedInnocent).toBe([...at.keys()].filter((a) => !pop.isOffender(a)).length);
    for (const m of restricted.messages) {
      const since = at.get(m.envelope.sender);
      if (since !== undefined && unconnectedAdultToMinor(m.envelope)) expect(m.envelope.id).toBeLessThan(since);
    }
    // What was refused: such DMs of restricted adults, sent after the block that restricted them.
    const gone = removed(base, restricted);
    expect(gone.length).toBe(restricted.ledger.protections.restrictedMessages);
    expect(gone.length).toBeGreaterThan(50);
    const restrictingBlockTime = new Map(restricted.blocks.filter((b) => at.get(b.blocked) === b.id).map((b) => [b.blocked, b.t]));
    for (const m of gone) {
      expect(unconnectedAdultToMinor(m.envelope)).toBe(true);
      // Blocks enter the stream before messages of a later time, after those of the same time.
      expect(m.envelope.t).toBeGreaterThan(restrictingBlockTime.get(m.envelope.sender) as number);
    }
    // Groomers above all; their abuse falls.
    expect(gone.filter((m) => pop.isOffender(m.envelope.sender)).length).toBeGreaterThan(gone.length / 2);
    expect(restricted.ledger.abusiveMessages.grooming).toBeLessThan(base.ledger.abusiveMessages.grooming);
    expect(restricted.ledger.abusiveMessages.grooming + restricted.ledger.protections.refusedAbusive).toBe(base.ledger.abusiveMessages.grooming);
  });

  it('counts distinct minors: one minor blocking an adult many times restricts nobody at minBlocks 2', () => {
    const at = restrictedAt(restricted);
    const once = new Map<number, Set<number>>();
    for (const b of restricted.blocks) {
      if (!minorBlocksAdult(b)) continue;
      let set = once.get(b.blocked);
      if (!set) once.set(b.blocked, (set = new Set()));
      set.add(b.blocker);
    }
    const singleBlocker = [...once.entries()].filter(([, set]) => set.size === 1).map(([a]) => a);
    expect(singleBlocker.length).toBeGreaterThan(0);
    for (const a of singleBlocker) expect(at.has(a)).toBe(false);
  });
});

describe('protections: wherever the shards are played', () => {
  const all = scenario({
    teenDmLimit: { enabled: true, fromDay: 1, requestAcceptShare: 0.2 },
    safetyPrompts: { enabled: true },
    restrictions: { enabled: true, minBlocks: 2 },
  });

  it('gives the same stream and ledger when the shards are split into generation groups', () => {
    const whole = generate(all);
    for (const groups of [2, 5]) {
      const layout = batchLayout(all, 500, groups);
      const messages: Unsealed[] = [];
      const reports: UserReport[] = [];
      const blocks: Block[] = [];
      const parts = [];
      for (let g = 0; g < groups; g++) {
        const gen = new WorldGenerator(all, { run: 'p', batchSize: 500, platformKey, clientSecret, group: { layout, index: g } });
        for (const b of gen.unsealedBatches()) {
          messages.push(...b.messages);
          reports.push(...b.reports);
          blocks.push(...b.blocks);
        }
        parts.push(gen.ledgerPart());
      }
      const byId = <T extends { id: number }>(xs: T[]) => [...xs].sort((a, b) => a.id - b.id);
      expect(byId(messages.map((m) => m.envelope))).toEqual(whole.messages.map((m) => m.envelope));
      expect(byId(reports)).toEqual(whole.reports);
      expect(byId(blocks)).toEqual(whole.blocks);
      expect(mergeLedgers(parts)).toEqual(whole.ledger);
    }
  });

  it('gives the same stream and ledger for every batch size', () => {
    const a = generate(all, 1_000);
    const b = generate(all, 37);
    expect(b.messages).toEqual(a.messages);
    expect(b.reports).toEqual(a.reports);
    expect(b.blocks).toEqual(a.blocks);
    expect(b.ledger).toEqual(a.ledger);
    expect(a.ledger.protections.refusedRequests).toBeGreaterThan(0);
    expect(a.ledger.protections.restrictedMessages).toBeGreaterThan(0);
    expect(a.ledger.protections.prompted).toBeGreaterThan(0);
  });
});
