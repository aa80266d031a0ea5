/**
 * Jobs that cannot be forged. Anyone who can write to Redis can add a job to a queue;
 * only a holder of the deployment's job key (BLINDSPOT_JOB_KEY, given to the services
 * and the command line in their environment, never stored in Redis) can add one the
 * services will act on. Three things are authenticated, each under its own key derived
 * from the job key (HKDF-SHA256):
 *
 *   - **Job ids.** A job's id is its plain id (`run.hop.seq`, keys.ts) followed by a tag
 *     only a key holder can compute. A forger cannot take the id of a batch still to
 *     come and so have the real batch refused as a duplicate; re-adding a real batch
 *     after a crash gives the same id, so the queue still drops the repeat.
 *   - **Job data.** Every job carries `auth`, an HMAC of its queue, its id and its data.
 *     A job without it, or with one that does not match, is dead-lettered as forged
 *     and counted against no run.
 *   - **Run definitions.** The scenario, file and options a command stores for a run
 *     carry an HMAC too; a service refuses a run whose definition was changed.
 *   - **Results.** The reporter's result document carries one; the command waiting on
 *     the run refuses a result that was written or changed by anyone else.
 *
 * What is not authenticated: the stages' own state in Redis (inboxes, windows, review
 * state, results). Redis ACL users keep each service to what it needs.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { QueueName } from './keys';

/** Bytes of a job key: 256 bits, written as hex. */
export const JOB_KEY_BYTES = 32;

/** What to do about a missing job key, in every message that asks for one. */
export const JOB_KEY_REMEDY = 'set it to the same 64 hex digits for every service and the command line, e.g. export BLINDSPOT_JOB_KEY=$(openssl rand -hex 32)';

/** What is wrong with a job key as written, or null. Never quotes it. */
export function jobKeyProblem(value: string): string | null {
  if (value === '') return `is empty; ${JOB_KEY_REMEDY}`;
  if (!/^[0-9a-fA-F]+$/.test(value)) return `must be hex digits only; ${JOB_KEY_REMEDY}`;
  if (value.length < JOB_KEY_BYTES * 2) return `must be at least ${JOB_KEY_BYTES * 2} hex digits (${JOB_KEY_BYTES} bytes); ${JOB_KEY_REMEDY}`;
  if (value.length % 2 !== 0) return `must be an even number of hex digits; ${JOB_KEY_REMEDY}`;
  return null;
}

/** A fresh job key, for a command line that starts its own services. */
export function newJobKey(): string {
  return randomBytes(JOB_KEY_BYTES).toString('hex');
}

/** Why a job was refused as forged. */
export class ForgedJobError extends Error {
  override name = 'ForgedJobError';
}

/** The field every job's data carries its authenticator in. */
export const AUTH_FIELD = 'auth';

/** Hex digits of an id's tag: 96 bits, so short that logs never show a run of hex long enough to pass for key material. */
const TAG_HEX = 24;

function derive(key: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, 'blindspot job authenticator', purpose, 32));
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class JobAuthenticator {
  private readonly idKey: Buffer;
  private readonly dataKey: Buffer;
  private readonly runKey: Buffer;
  private readonly resultKey: Buffer;

  /** `hexKey`: the deployment's job key (checked with jobKeyProblem). */
  constructor(hexKey: string) {
    const problem = jobKeyProblem(hexKey);
    if (problem) throw new Error(`BLINDSPOT_JOB_KEY ${problem}`);
    const key = Buffer.from(hexKey, 'hex');
    this.idKey = derive(key, 'job id');
    this.dataKey = derive(key, 'job data');
    this.runKey = derive(key, 'run definition');
    this.resultKey = derive(key, 'run result');
  }

  /** The id a job with plain id `plain` is added under. */
  jobId(plain: string): string {
    return `${plain}.${createHmac('sha256', this.idKey).update(plain).digest('hex').slice(0, TAG_HEX)}`;
  }

  private mac(queue: QueueName, id: string, json: string): string {
    return createHmac('sha256', this.dataKey).update(`${queue}\n${id}\n`).update(json).digest('base64');
  }

  /** `data` with its authenticator, for queue `queue` under id `id` (as jobId returned it). */
  sign<T extends object>(queue: QueueName, id: string, data: T): T & { [AUTH_FIELD]: string } {
    return { ...data, [AUTH_FIELD]: this.mac(queue, id, JSON.stringify(data)) };
  }

  /**
   * The job's data without its authenticator, if the authenticator matches its queue,
   * id and data; else ForgedJobError. The data is compared as BullMQ stored it: the
   * JSON it was added as, parsed, keeps its keys in order and its numbers exact.
   */
  verify(queue: QueueName, id: string | undefined, data: unknown): unknown {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new ForgedJobError('forged job: its data is not an object');
    const { [AUTH_FIELD]: auth, ...rest } = data as Record<string, unknown>;
    if (typeof auth !== 'string') throw new ForgedJobError('forged job: it carries no authenticator');
    if (id === undefined || !equal(auth, this.mac(queue, id, JSON.stringify(rest))))
      throw new ForgedJobError('forged job: its authenticator does not match its queue, id and data (added without the job key, or altered since)');
    return rest;
  }

  private resultMac(run: string, json: string): string {
    return createHmac('sha256', this.resultKey).update(`${run}\n`).update(json).digest('base64');
  }

  /** A run's result document as JSON, with its authenticator as its last field. */
  signResult(run: string, doc: object): string {
    return JSON.stringify({ ...doc, [AUTH_FIELD]: this.resultMac(run, JSON.stringify(doc)) });
  }

  /** The result document stored for `run` (as signResult wrote it), without its authenticator; else ForgedJobError. */
  verifyResult(run: string, json: string): unknown {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new ForgedJobError(`the result stored for run ${run} is not JSON`);
    }
    const { [AUTH_FIELD]: auth, ...doc } = (parsed ?? {}) as Record<string, unknown>;
    if (typeof auth !== 'string' || !equal(auth, this.resultMac(run, JSON.stringify(doc))))
      throw new ForgedJobError(
        `the result stored for run ${run} is not authenticated by the job key: written by something other than a reporter holding the key, or altered since`,
      );
    return doc;
  }

  /** The authenticator of a run's stored definition (the strings as stored). */
  runDefinition(run: string, scenario: string, file: string, options: string): string {
    const h = createHmac('sha256', this.runKey);
    for (const part of [run, scenario, file, options]) h.update(`${Buffer.byteLength(part)}:`).update(part);
    return h.digest('base64');
  }

  /** Whether `auth` authenticates the run's stored definition. */
  verifyRunDefinition(run: string, scenario: string, file: string, options: string, auth: string | null): boolean {
    return auth !== null && equal(auth, this.runDefinition(run, scenario, file, options));
  }
}
