/** Vitest global setup: one Redis for the integration project, shared through `inject('redisUrl')`. */
import type { TestProject } from 'vitest/node';
import type {} from 'vitest';
import { obtainRedis } from './redis';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const redis = await obtainRedis();
  process.stderr.write(`integration tests use Redis at ${redis.url} (${redis.kind})\n`);
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
  };
}
