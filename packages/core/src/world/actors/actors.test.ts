import { describe, expect, it } from 'vitest';
import { matchBank, platformBank, popularImages } from '../../hash';
import { Random } from '../../random';
import type { Scenario } from '../../scenario';
import { testScenario } from '../../testing';
import { HOUR } from '../../types';
import type { Actor, Emit, Hour, Outgoing, World } from '../actor';
import { ContentDraws } from '../content-draws';
import { Envelopes } from '../envelopes';
import { Platforms } from '../platforms';
import { Picks } from '../picks';
import { buildPopulation } from '../population';
import { Schedule, type Scheduled } from '../schedule';
import { SHARDS, Shard, shardOf } from '../../shards';
import { blockers } from './blockers';
import { forgers } from './forgers';
import { groomers } from './groomers';
import { mentors } from './mentors';
import { ordinaryUsers } from './ordinary';
import { producers } from './producers';
import { profilePhotos } from './profile-photos';
import { sharers } from './sharers';
import { viralSharers } from './viral';

function scenario(): Scenario {
  return testScenario(
    {
      seed: 4242,
      durationDays: 2,
      population: {
        adults: 300,
        minors: 100,
        offenders: {
          sharers: { count: 10, abusiveImagesPerDay: 6, publicActivityShare: 0.5 },
          producers: { count: 4, abusiveImagesPerDay: 6, publicActivityShare: 0.5 },
          groomers: { count: 4, newTargetsPerDay: 3 },
        },
        lookalikes: { mentors: { count: 3, minorsEach: 10 } },
      },
      traffic: { messagesPerUserPerDay: 5, blocksPerUserPerMonth: 3 },
      detection: { hashBank: { size: 200 }, userReports: { forgedPerDay: 10 } },
    },
    { name: 'actors' },
  );
}

function worldOf(s: Scenario, shard: number): World {
  const population = buildPopulation(s);
  const popular = popularImages(s.seed, s.traffic.popularImages);
  const bank = platformBank(s.seed, s.detection.hashBank.size, s.detection.hashBank.wronglyListedShare, popular);
  const rng = Random.derive(s.seed, `traffic:${shard}`);
  const own = new Shard(shard, population.users);
  return {
    scenario: s,
    population,
    bank,
    shard: own,
    rng,
    picks: new Picks(s, population, rng, own),
    content: new ContentDraws(s, rng, popular),
    envelopes: new Envelopes(s, population, new Platforms(s, population)),
  };
}

interface Played {
  world: World;
  messages: Outgoing[];
  later: Scheduled[];
  /** The shard each message and each scheduled event came from, in the same order. */
  messageShards: number[];
  laterShards: number[];
}

/** What one actor alone emits over the run's hours, in every shard (shard by shard). */
function play(make: (world: World) => Actor, s: Scenario = scenario(), prepare: (world: World) => void = () => {}): Played {
  const out: Played = { world: worldOf(s, 0), messages: [], later: [], messageShards: [], laterShards: [] };
  prepare(out.world);
  for (let shard = 0; shard < SHARDS; shard++) {
    const world = worldOf(s, shard);
    prepare(world);
    const actor = make(world);
    const later = new Schedule();
    const messages: Outgoing[] = [];
    const emit: Emit = { messages, later };
    for (let index = 0; index < s.durationDays * 24; index++) {
      const hour: Hour = { index, start: index * HOUR, day: Math.floor(index / 24) };
      actor.step(hour, emit);
    }
    for (const m of messages) {
      out.messages.push(m);
      out.messageShards.push(shard);
    }
    for (let x = later.takeBefore(Number.POSITIVE_INFINITY); x; x = later.takeBefore(Number.POSITIVE_INFINITY)) {
      out.later.push(x);
      out.laterShards.push(shard);
    }
  }
  return out;
}

/** The account a scheduled event is about: the sender reported, or the account blocked. */
function about(x: Scheduled): number {
  return x.type === 'block' ? x.blocked : x.type === 'forged' ? x.report.reported : x.envelope.sender;
}

describe('actors', () => {
  it('ordinary users send only innocent DMs and public posts', () => {
    const { messages, later } = play(ordinaryUsers);
    expect(messages.length).toBeGreaterThan(1000);
    expect(later).toEqual([]);
    expect(messages.every((m) => m.abusive === null)).toBe(true);
    expect(new Set(messages.map((m) => m.envelope.surface))).toEqual(new Set(['dm', 'public']));
  });

  it('profile photos are benign images on the profile surface, to nobody', () => {
    const { messages } = play(profilePhotos);
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) expect([m.envelope.surface, m.envelope.recipient, m.content.media, m.abusive]).toEqual(['profile', -1, 'image', null]);
  });

  it.each([
    ['sharers', sharers, 'knownImage'],
    ['producers', producers, 'newImage'],
  ] as const)('%s send only abusive images of their kind, from their own accounts', (name, make, kind) => {
    const { world, messages } = play(make);
    const own = new Set(world.population[name]);
    expect(messages.length).toBeGreaterThan(20);
    for (const m of messages) {
      expect(own.has(m.envelope.sender)).toBe(true);
      expect([m.abusive, m.content.media]).toEqual([kind, 'image']);
    }
  });

  it('viral forwards are innocent accounts passing on one of the few viral bank images, by DM to a contact or in public', () => {
    const s = testScenario(scenario(), { population: { lookalikes: { viralSharers: { perMillionPerDay: 200_000, viralImages: 3, publicShare: 0.3 } } } });
    const { world, messages } = play(viralSharers, s);
    expect(messages.length).toBeGreaterThan(100);
    const viral = new Set<number>();
    for (const m of messages) {
      expect(world.population.isOffender(m.envelope.sender)).toBe(false);
      expect([m.abusive, m.content.media]).toEqual(['knownImage', 'image']);
      if (m.envelope.surface === 'dm') expect(world.population.connected(m.envelope.sender, m.envelope.recipient)).toBe(true);
      else expect([m.envelope.surface, m.envelope.recipient]).toEqual(['public', -1]);
      const hit = m.content.media === 'image' ? matchBank(world.bank.bank, m.content.hash, 40) : null;
      if (hit) viral.add(hit.index);
    }
    // Only the first viralImages genuine entries circulate.
    expect([...viral].every((i) => i < 3)).toBe(true);
    expect(viral.size).toBe(3);
    const publicShare = messages.filter((m) => m.envelope.surface === 'public').length / messages.length;
    expect(publicShare).toBeGreaterThan(0.2);
    expect(publicShare).toBeLessThan(0.4);
    // Off by default.
    expect(play(viralSharers).messages).toEqual([]);
  });

  it('sharers re-share bank images, producers new ones', () => {
    const near = (world: World, m: Outgoing) =>
      m.content.media === 'image' && matchBank(world.bank.bank, m.content.hash, world.scenario.detection.hashMatching.matchDistance) !== null;
    const s = play(sharers);
    const p = play(producers);
    expect(s.messages.filter((m) => near(s.world, m)).length / s.messages.length).toBeGreaterThan(0.5);
    expect(p.messages.filter((m) => near(p.world, m))).toEqual([]);
  });

  it('groomers message minors they were not connected to; some messages are grooming', () => {
    const { world, messages } = play(groomers);
    const p = world.population;
    expect(messages.length).toBeGreaterThan(20);
    for (const m of messages) {
      expect(p.groomers).toContain(m.envelope.sender);
      expect([p.isMinor(m.envelope.recipient), m.envelope.surface, p.connected(m.envelope.sender, m.envelope.recipient)]).toEqual([true, 'dm', false]);
    }
    expect(new Set(messages.map((m) => m.abusive))).toEqual(new Set(['grooming', null]));
  });

  it('mentors message only the minors of their class, innocently', () => {
    const { world, messages } = play(mentors);
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) {
      expect(Array.from(world.population.classOf(m.envelope.sender))).toContain(m.envelope.recipient);
      expect(m.abusive).toBeNull();
    }
  });

  it('a mentor the platform closed sends nothing after the closing, and the others go on', () => {
    const banned = (w: World) => w.population.mentors[0] as number;
    const at = 24 * HOUR;
    const open = play(mentors);
    const closed = play(mentors, scenario(), (w) => expect(w.population.ban(banned(w), at)).toBe(true));
    const mentor = banned(closed.world);
    const from = (p: Played, after: boolean) => p.messages.filter((m) => m.envelope.sender === mentor && m.envelope.t >= at === after).length;
    expect(from(open, true)).toBeGreaterThan(0);
    expect(from(closed, true)).toBe(0);
    expect(from(closed, false)).toBe(from(open, false));
    expect(closed.messages.filter((m) => m.envelope.sender !== mentor).length).toBeGreaterThan(0);
  });

  it('blockers and forgers send no message; they schedule blocks and forged reports within the run', () => {
    const b = play(blockers);
    const f = play(forgers);
    expect([b.messages, f.messages]).toEqual([[], []]);
    expect(b.later.length).toBeGreaterThan(0);
    expect(f.later.length).toBeGreaterThan(0);
    expect(b.later.every((x) => x.type === 'block')).toBe(true);
    expect(f.later.every((x) => x.type === 'forged' && x.pick >= 0 && x.pick < 1)).toBe(true);
    expect([...b.later, ...f.later].every((x) => x.t >= 0 && x.t < 2 * 24 * HOUR)).toBe(true);
  });

  it("play only their shard's accounts: a shard's messages are its accounts', and so are those its blocks and forged reports are about", () => {
    for (const make of [ordinaryUsers, profilePhotos, sharers, producers, groomers, mentors, blockers, forgers]) {
      const { messages, messageShards, later, laterShards } = play(make);
      expect(messages.length + later.length).toBeGreaterThan(0);
      expect(messages.map((m) => shardOf(m.envelope.sender))).toEqual(messageShards);
      expect(later.map((x) => shardOf(about(x)))).toEqual(laterShards);
    }
    // Every shard has some part of the traffic.
    expect(new Set(play(ordinaryUsers).messageShards).size).toBe(SHARDS);
  });

  it('draw only from the world streams: the same world gives the same output', () => {
    for (const make of [ordinaryUsers, sharers, groomers, forgers]) expect(JSON.stringify(play(make))).toEqual(JSON.stringify(play(make)));
  });
});
