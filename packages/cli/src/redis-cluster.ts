/**
 * Forms a Redis Cluster out of redis-server processes started with cluster mode on
 * (`--cluster-enabled yes`): each node gets an equal range of the 16,384 hash slots, the
 * first meets the others, and it waits until every node says the cluster is ok and knows
 * them all. No redis-cli needed. For the bench and the tests, which start their own.
 */
import { Redis } from 'ioredis';

export const CLUSTER_SLOTS = 16_384;

/** The node (index into the ports formCluster was given) owning hash slot `slot`. */
export function nodeOfSlot(slot: number, nodes: number): number {
  return Math.floor(slot / Math.ceil(CLUSTER_SLOTS / nodes));
}

export async function formCluster(ports: readonly number[], timeoutMs = 30_000): Promise<void> {
  const clients = ports.map((port) => new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 2 }));
  try {
    const per = Math.ceil(CLUSTER_SLOTS / ports.length);
    await Promise.all(clients.map((c, i) => c.call('CLUSTER', 'ADDSLOTSRANGE', String(i * per), String(Math.min(CLUSTER_SLOTS - 1, (i + 1) * per - 1)))));
    for (const port of ports.slice(1)) await clients[0]?.call('CLUSTER', 'MEET', '127.0.0.1', String(port));
    const deadline = Date.now() + timeoutMs;
    const known = new RegExp(`cluster_known_nodes:${ports.length}\\b`);
    for (;;) {
      const infos = await Promise.all(clients.map((c) => c.call('CLUSTER', 'INFO') as Promise<string>));
      if (infos.every((info) => /cluster_state:ok/.test(info) && known.test(info))) return;
      if (Date.now() > deadline) throw new Error(`the cluster did not form within ${timeoutMs / 1000} s:\n${infos.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    for (const c of clients) c.disconnect();
  }
}

/** The hash slot of `key`, as the cluster computes it. */
export async function keySlot(port: number, key: string): Promise<number> {
  const c = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 2 });
  try {
    return Number(await c.call('CLUSTER', 'KEYSLOT', key));
  } finally {
    c.disconnect();
  }
}
