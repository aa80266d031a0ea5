/**
 * The dashboard process: configured from its environment like the services (exit 2
 * naming every bad variable), stops on SIGTERM or SIGINT within the services' bound.
 */
import { ConfigError, parseDashboardEnv } from '@blindspot/pipeline/config';
import { createLogger } from '@blindspot/pipeline/log';
import {
  PartitionsMismatch,
  Queues,
  SHUTDOWN_BOUND_MS,
  agreePartitions,
  exitOnCrash,
  openRedis,
  redactUrl,
  redactorForUrl,
  safeMessage,
} from '@blindspot/pipeline/bullmq';
import { startDashboard } from './server';

exitOnCrash('dashboard', () => redactorForUrl(process.env.REDIS_URL ?? ''));
let config;
try {
  config = parseDashboardEnv(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`dashboard: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
const log = createLogger('dashboard', config.LOG_LEVEL, config.LOG_FORMAT);
const redis = await openRedis(config.REDIS_URL, 'worker', log);
// It only reads: it checks the deployment's number of partitions, and never records one.
try {
  await agreePartitions(redis, config.BLINDSPOT_PREFIX, config.BLINDSPOT_PARTITIONS, true);
} catch (err) {
  if (!(err instanceof PartitionsMismatch)) throw err;
  process.stderr.write(`dashboard: ${err.message}\n`);
  redis.disconnect();
  process.exit(2);
}
const queues = new Queues(redis, config.BLINDSPOT_PREFIX, undefined, log, !config.DASHBOARD_QUEUE_ACTIONS, config.BLINDSPOT_PARTITIONS);
let started: Awaited<ReturnType<typeof startDashboard>>;
try {
  started = await startDashboard({
    redis,
    queues,
    prefix: config.BLINDSPOT_PREFIX,
    resultsDir: config.RESULTS_DIR,
    host: config.DASHBOARD_HOST,
    port: config.DASHBOARD_PORT,
    queueActions: config.DASHBOARD_QUEUE_ACTIONS,
  });
} catch (err) {
  const reason = (err as NodeJS.ErrnoException).code ?? safeMessage(err, redactorForUrl(config.REDIS_URL));
  process.stderr.write(`dashboard: DASHBOARD_HOST, DASHBOARD_PORT: cannot listen on ${config.DASHBOARD_HOST} port ${config.DASHBOARD_PORT} (${reason})\n`);
  redis.disconnect();
  process.exit(2);
}
const { server, url } = started;
log.info({ redis: redactUrl(config.REDIS_URL), prefix: config.BLINDSPOT_PREFIX, url, results: config.RESULTS_DIR }, 'dashboard started');

let signals = 0;
const stop = (signal: NodeJS.Signals) => {
  if (++signals > 1) process.exit(130);
  log.info({ signal }, 'shutting down');
  setTimeout(() => process.exit(1), SHUTDOWN_BOUND_MS).unref();
  server.closeAllConnections();
  server.close(() => {
    void queues.close().finally(() => {
      redis.disconnect();
      process.exit(0);
    });
  });
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
