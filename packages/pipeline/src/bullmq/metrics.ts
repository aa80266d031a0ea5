/**
 * What a service tells Prometheus, and the small HTTP server that answers it:
 *   /metrics  Prometheus text format (prom-client), this process's series
 *   /healthz  200 while the process runs (liveness)
 *   /readyz   200 when Redis answers and the service is not shutting down, else 503
 * It binds to loopback unless HTTP_HOST says otherwise; if HTTP_PORT is taken (two
 * services on one host) it falls back to a free port and logs which.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../log';
import type { Queues } from './queues';
import type { QueueName } from './keys';
import type { RedisClient } from './connection';

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

export class ServiceMetrics {
  readonly registry = new Registry();
  /** Jobs handled, by queue and outcome (completed, failed, dead_lettered, released, cancelled). */
  readonly jobs: Counter<'queue' | 'outcome'>;
  /** Messages (or envelopes) a stage processed. */
  readonly messages: Counter<'stage'>;
  /** Wall-clock seconds a job took, by queue. */
  readonly jobSeconds: Histogram<'queue'>;
  /** Malformed jobs this process refused, by the queue they came from. */
  readonly deadLetters: Counter<'queue'>;
  /** Reports to police filed, by the route whose confirmation filed them (each report once). */
  readonly reportsFiled: Counter<'route'>;
  /** Reports to police filed, all routes. */
  readonly reportsTotal: Counter;

  constructor(service: string, queues: Queues, watched: readonly QueueName[]) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry, prefix: 'blindspot_' });
    const registers = [this.registry];
    this.jobs = new Counter({ name: 'blindspot_jobs_total', help: 'Jobs handled, by queue and outcome.', labelNames: ['queue', 'outcome'], registers });
    this.messages = new Counter({ name: 'blindspot_messages_total', help: 'Messages processed, by stage.', labelNames: ['stage'], registers });
    this.jobSeconds = new Histogram({
      name: 'blindspot_job_duration_seconds',
      help: 'Wall-clock seconds per job, by queue.',
      labelNames: ['queue'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.deadLetters = new Counter({
      name: 'blindspot_dead_letters_total',
      help: 'Malformed jobs refused and dead-lettered, by queue.',
      labelNames: ['queue'],
      registers,
    });
    this.reportsFiled = new Counter({
      name: 'blindspot_reports_filed_total',
      help: 'Reports to police filed, by the route whose confirmation filed them.',
      labelNames: ['route'],
      registers,
    });
    this.reportsTotal = new Counter({ name: 'blindspot_reports_to_police_total', help: 'Reports to police filed.', registers });
    new Gauge({
      name: 'blindspot_queue_jobs',
      help: 'Jobs in each queue this service works on or feeds, by state, summed over the partitions (read from Redis at scrape time).',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        const counts = await Promise.all(watched.map((q) => Promise.all(queues.all(q).map((p) => p.getJobCounts(...JOB_STATES)))));
        watched.forEach((q, i) => {
          for (const state of JOB_STATES)
            this.set(
              { queue: q, state },
              (counts[i] ?? []).reduce((n, c) => n + (c[state] ?? 0), 0),
            );
        });
      },
    });
  }
}

/** The endpoints cannot listen where HTTP_HOST and HTTP_PORT say: a configuration problem, named as one. */
export class ListenError extends Error {
  override name = 'ListenError';
}

/** One line naming the variable to change, from a listen error's code. */
function listenProblem(err: NodeJS.ErrnoException, host: string, port: number): string {
  switch (err.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `HTTP_HOST: "${host}" is not an address of this machine (the name does not resolve); use e.g. 127.0.0.1 or 0.0.0.0`;
    case 'EADDRNOTAVAIL':
      return `HTTP_HOST: ${host} is not an address of this machine; use e.g. 127.0.0.1 or 0.0.0.0`;
    case 'EACCES':
      return `HTTP_PORT: not allowed to listen on port ${port}; use a port above 1023, or 0 for any free port`;
    default:
      return `HTTP_HOST, HTTP_PORT: cannot listen on ${host} port ${port} (${err.code ?? err.message})`;
  }
}

export interface HttpOptions {
  host: string;
  port: number;
  metrics: ServiceMetrics;
  redis: RedisClient;
  stopping: AbortSignal;
  log: Logger;
}

/** Starts the HTTP endpoints; resolves with the server and the address it listens on. */
export async function startHttp(options: HttpOptions): Promise<{ server: Server; url: string }> {
  const { metrics, redis, stopping, log } = options;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET') return reply(405, 'GET only\n');
    if (path === '/healthz') return reply(200, 'ok\n');
    if (path === '/readyz') {
      if (stopping.aborted) return reply(503, 'shutting down\n');
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 1 s')), 1_000).unref());
      Promise.race([redis.ping(), timeout]).then(
        () => reply(200, 'ready\n'),
        (err: Error) => reply(503, `redis: ${err.message}\n`),
      );
      return;
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => reply(200, text, metrics.registry.contentType),
        (err: Error) => reply(500, `${err.message}\n`),
      );
      return;
    }
    reply(404, 'not found: try /metrics, /healthz or /readyz\n');
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        server.off('listening', onListening);
        reject(err);
      };
      const onListening = () => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(port, options.host);
    });
  try {
    try {
      await listen(options.port);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      await listen(0);
      log.warn({ wanted: options.port, port: (server.address() as AddressInfo).port }, 'HTTP port in use; listening on another');
    }
  } catch (err) {
    throw new ListenError(listenProblem(err as NodeJS.ErrnoException, options.host, options.port));
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, url: `http://${host}:${address.port}` };
}
