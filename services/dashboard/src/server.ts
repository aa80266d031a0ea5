/**
 * The dashboard: the live view at /, its data at /api/live, Bull Board at /queues/
 * (read-only unless DASHBOARD_QUEUE_ACTIONS=true), the finished reports at /results/,
 * and /healthz. Read-only towards the runs: it never writes to Redis.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import express from 'express';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { QUEUES, redactorFor, safeMessage, type Queues } from '@blindspot/pipeline/bullmq';
import { within } from '@blindspot/pipeline/net';
import { PoliceTallies, listResults, liveSnapshot } from './live';
import { LIVE_PAGE } from './page';
import type { RedisClient } from '@blindspot/pipeline/bullmq';

export interface DashboardOptions {
  redis: RedisClient;
  queues: Queues;
  prefix: string;
  resultsDir: string;
  host: string;
  port: number;
  /** Let Bull Board retry, promote and remove jobs (off: look, do not touch). */
  queueActions: boolean;
}

/**
 * How long /api/live waits for Redis. The dashboard's connection retries for ever (a
 * restart must not end it), so a Redis that is down, or that rotated the password the
 * dashboard still uses, would hold every request open: it answers 503 instead, and the
 * live view says Redis is not answering while the next polls retry.
 */
export const LIVE_BOUND_MS = 5_000;

export async function startDashboard(options: DashboardOptions): Promise<{ server: Server; url: string }> {
  const app = express();
  app.disable('x-powered-by');
  const resultsDir = resolve(options.resultsDir);
  // The police sinks' reports by route, tallied as they grow: kept for as long as the dashboard runs.
  const tallies = new PoliceTallies();

  app.get('/', (_req, res) => {
    res.type('html').send(LIVE_PAGE);
  });
  app.get('/api/live', async (_req, res) => {
    try {
      res
        .set('cache-control', 'no-store')
        .json(
          await within(
            liveSnapshot(options.redis, options.queues, options.prefix, resultsDir, tallies),
            LIVE_BOUND_MS,
            () => new Error(`Redis did not answer within ${LIVE_BOUND_MS / 1000} s`),
          ),
        );
    } catch (err) {
      res.status(503).json({ error: safeMessage(err, redactorFor(options.redis)) });
    }
  });
  app.get('/healthz', (_req, res) => {
    res.type('text').send('ok\n');
  });

  const board = new ExpressAdapter();
  board.setBasePath('/queues');
  createBullBoard({
    // Each partition's queues (partition k's named p<k>-<queue>; with one partition, just <queue>).
    queues: Object.values(QUEUES).flatMap((name) =>
      options.queues.all(name).map((queue, k) => new BullMQAdapter(queue, { readOnlyMode: !options.queueActions, prefix: k === 0 ? '' : `p${k}-` })),
    ),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'Blindspot queues' } },
  });
  app.use('/queues', board.getRouter());

  app.get('/results/', (_req, res) => {
    const items = listResults(resultsDir)
      .map((r) => `<li><a href="${r.file.split('/').map(encodeURIComponent).join('/')}">${r.file.replace(/[&<>"]/g, '')}</a></li>`)
      .join('');
    res
      .type('html')
      .send(
        `<!doctype html><meta charset="utf-8"><title>Blindspot · reports</title><h1>Finished reports</h1><ul>${items || '<li>None yet.</li>'}</ul><p><a href="../">live view</a></p>`,
      );
  });
  // Only what the command line writes there; no listings, no dotfiles, nothing outside.
  app.use('/results', express.static(resultsDir, { index: false, dotfiles: 'deny', fallthrough: true }));

  const server = await new Promise<Server>((resolveServer, reject) => {
    const s = app.listen(options.port, options.host, (err?: Error) => (err ? reject(err) : resolveServer(s)));
  });
  const address = server.address() as AddressInfo;
  return { server, url: `http://${address.address}:${address.port}` };
}
