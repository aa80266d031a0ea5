/**
 * CPU time for the bench: of a process (user + system, every thread, from /proc), of
 * Redis (INFO cpu, every master of a cluster), and a private Redis Cluster to run on.
 * CPU time per message is steadier than wall time on a shared machine: it does not count
 * the time a process waited for a core another was using.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyServers, type RedisClient } from '@blindspot/pipeline/bullmq';
import { freePort } from '@blindspot/pipeline/net';
import { Redis } from 'ioredis';
import { formCluster } from './redis-cluster';

let ticks: number | undefined;
function ticksPerSecond(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** CPU seconds process `pid` has used so far (all its threads), or null where /proc cannot tell. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is the first, utime the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** CPU seconds Redis has used so far (user + system), summed over every master of a cluster. */
export async function redisCpuSeconds(redis: RedisClient): Promise<number> {
  let total = 0;
  for (const server of keyServers(redis)) {
    const info = await server.info('cpu');
    total += Number(/^used_cpu_user:([\d.]+)/m.exec(info)?.[1] ?? 0) + Number(/^used_cpu_sys:([\d.]+)/m.exec(info)?.[1] ?? 0);
  }
  return total;
}

/** Microseconds per message, to one decimal. */
export const microsPerMessage = (seconds: number, messages: number) => Math.round((seconds / Math.max(1, messages)) * 1e7) / 10;

/** A private Redis Cluster of `count` masters on free ports; `url` names its first node. */
export async function startLocalCluster(count: number): Promise<{ url: string; urls: string[]; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'blindspot-bench-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    ports.push(port);
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    children.push(spawn('redis-server', [...args, '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`)], { stdio: 'ignore' }));
  }
  const stop = () => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Wait for each to answer, then join them.
    for (const port of ports) {
      for (let tries = 0; ; tries++) {
        try {
          const c = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
          c.on('error', () => undefined);
          try {
            await c.connect();
            await c.ping();
          } finally {
            c.disconnect();
          }
          break;
        } catch (err) {
          if (tries > 50) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
    await formCluster(ports);
  } catch (err) {
    stop();
    throw err;
  }
  const urls = ports.map((p) => `redis://127.0.0.1:${p}`);
  return { url: urls[0] as string, urls, stop };
}
