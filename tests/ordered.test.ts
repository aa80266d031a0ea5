/**
 * The ordered stage is what makes stateful stages exactly-once in effect: inputs may
 * arrive out of order, twice, and through several replicas at once, and the state must
 * still be the sequential fold of the inputs, each applied once, with every output
 * emitted. A toy stage (a running sum and a log of the order of application) shows it
 * against a real Redis.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { OrderedStage, RunKeys } from '@blindspot/pipeline/bullmq';
import { Random } from '@blindspot/core';
import { uniquePrefix } from './support/redis';

const clients: Redis[] = [];
afterAll(() => {
  for (const c of clients) c.disconnect();
});

/** The toy stage's inputs: two numbers per sequence number; its output, the running sum. */
type Toy = OrderedStage<{ a: number; b: number }, number>;

function replica(keys: RunKeys, emitted: Map<number, number>, sums = new Map<number, number>()): Toy {
  const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  clients.push(redis);
  return new OrderedStage<{ a: number; b: number }, number>(redis, keys, {
    name: 'toy',
    sources: ['a', 'b'],
    stateKeys: () => ['sum'],
    apply: async (seq, inputs, state) => {
      // Yield between load and commit so replicas genuinely race.
      await new Promise((r) => setTimeout(r, Math.random() * 3));
      const prev = JSON.parse(state.get('sum') ?? '{"sum":0,"order":[]}') as { sum: number; order: number[] };
      const next = { sum: prev.sum + inputs.a * inputs.b, order: [...prev.order, seq] };
      return { output: next.sum, state: new Map([['sum', JSON.stringify(next)]]) };
    },
    emit: async (seq, output) => {
      emitted.set(seq, (emitted.get(seq) ?? 0) + 1);
      sums.set(seq, output);
    },
  });
}

describe('ordered stage', () => {
  it('applies each sequence number once, in order, whatever the delivery', async () => {
    const keys = new RunKeys(uniquePrefix('ordered'), 'run1');
    const emitted = new Map<number, number>();
    const sums = new Map<number, number>();
    const replicas = [replica(keys, emitted, sums), replica(keys, emitted, sums), replica(keys, emitted, sums)];
    const n = 60;
    const rng = Random.derive(7, 'ordered-test');
    // Every input twice, shuffled, spread over three replicas, all in flight at once.
    const deliveries: [number, 'a' | 'b'][] = [];
    for (let seq = 0; seq < n; seq++) deliveries.push([seq, 'a'], [seq, 'b'], [seq, 'a'], [seq, 'b']);
    rng.shuffle(deliveries);
    await Promise.all(deliveries.map(([seq, source], i) => (replicas[i % 3] as Toy).offer(seq, source, source === 'a' ? seq : 2)));
    const check = clients[0] as Redis;
    const state = JSON.parse((await check.hget(keys.stage('toy').state, 'sum')) as string) as { sum: number; order: number[] };
    expect(state.order).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(state.sum).toBe(2 * ((n * (n - 1)) / 2));
    expect(await check.get(keys.stage('toy').next)).toBe(String(n));
    // Every output emitted (at least once; downstream dedups) and the inbox drained.
    expect([...emitted.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    // Each output is the value its commit recorded, whichever replica committed and whichever emitted it.
    for (let seq = 0; seq < n; seq++) expect(sums.get(seq), `output of ${seq}`).toBe(seq * (seq + 1));
    expect(await check.hlen(keys.stage('toy').inbox)).toBe(0);
    expect(await check.hlen(keys.stage('toy').out)).toBe(0);
  });

  it('drops an input for a sequence number already applied', async () => {
    const keys = new RunKeys(uniquePrefix('ordered'), 'run2');
    const emitted = new Map<number, number>();
    const stage = replica(keys, emitted);
    await stage.offer(0, 'a', 5);
    await stage.offer(0, 'b', 1);
    await stage.offer(0, 'a', 1000); // late duplicate with different content: ignored
    await stage.offer(1, 'a', 1);
    await stage.offer(1, 'b', 1);
    const check = clients[0] as Redis;
    const state = JSON.parse((await check.hget(keys.stage('toy').state, 'sum')) as string) as { sum: number };
    expect(state.sum).toBe(6);
    expect(await check.hlen(keys.stage('toy').inbox)).toBe(0);
  });
});
