import type { Queue } from 'bullmq';
import { JobAuthenticator } from '@blindspot/pipeline/authenticator';
import type { QueueName } from '@blindspot/pipeline/bullmq';
/** The job key the integration tests' services and commands share (vitest.config.ts sets it). */
export function jobKey(): string {
  const key = process.env.BLINDSPOT_JOB_KEY;
  if (!key) throw new Error('BLINDSPOT_JOB_KEY is not set: run the integration tests through vitest (vitest.config.ts sets it)');
  return key;
}

/** Adds a job signed with the tests' job key, as a service would: what an insider (or a bug) could enqueue. */
export async function addSigned(queue: Queue, name: string, data: object, plainId: string): Promise<string> {
  const auth = new JobAuthenticator(jobKey());
  const id = auth.jobId(plainId);
  await queue.add(name, auth.sign(queue.name as QueueName, id, data), { jobId: id });
  return id;
}
