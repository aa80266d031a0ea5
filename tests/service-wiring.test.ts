/**
 * A service binds exactly one handler to each queue it consumes, or it does not start:
 * a stage that forgot a queue would otherwise leave jobs waiting forever, and two
 * handlers on one queue would split its jobs between different code.
 */
import { describe, expect, inject, it } from 'vitest';
import { QUEUES, SERVICE_QUEUES, WiringError, startService } from '@blindspot/pipeline/bullmq';
import { uniquePrefix } from './support/redis';
import { jobKey } from './support/job-key';

const env = () => ({
  REDIS_URL: inject('redisUrl'),
  BLINDSPOT_PREFIX: uniquePrefix('wiring'),
  LOG_LEVEL: 'silent',
  HTTP_PORT: '0',
  BLINDSPOT_JOB_KEY: jobKey(),
});
const nothing = async () => undefined;

describe('service wiring', () => {
  it('refuses to start a service that binds no handler to a queue it consumes', async () => {
    await expect(startService('scanner', env(), () => undefined)).rejects.toThrow(new WiringError('scanner binds no handler to queue "scan"'));
  });

  it('refuses a second handler on one queue', async () => {
    const twice = startService('scanner', env(), (ctx) => {
      ctx.work(QUEUES.scan, nothing);
      ctx.work(QUEUES.scan, nothing);
    });
    await expect(twice).rejects.toThrow(/scanner binds two handlers to queue "scan"/);
  });

  it('refuses a handler on a queue the service does not consume', async () => {
    const stray = startService('scanner', env(), (ctx) => {
      ctx.work(QUEUES.scan, nothing);
      ctx.work(QUEUES.report, nothing);
    });
    await expect(stray).rejects.toThrow(/scanner does not consume queue "report"/);
  });

  it('starts a service that binds each of its queues once', async () => {
    const service = await startService('reporter', env(), (ctx) => {
      for (const queue of SERVICE_QUEUES.reporter.consumes) ctx.work(queue, nothing);
    });
    try {
      expect(service.httpUrl).toMatch(/^http:/);
    } finally {
      await service.close();
    }
  });
});
