/**
 * Job payloads on the queues: one zod schema per job, parsed at the boundary so a
 * malformed job is refused with a reason (and dead-lettered) instead of corrupting a
 * stage. The bulk of a batch (its messages, or its envelopes) travels in the compact
 * binary layout of `@blindspot/core`'s codec, as one base64 string, and is checked
 * field by field as it is decoded; the rare rest (user reports, blocks, detections) is
 * JSON with bytes as base64. Both keep numbers exact, so a batch decodes to exactly
 * what was encoded.
 */
import { z } from 'zod';
import { fromBase64, toBase64 } from '@blindspot/core';
import {
  CodecError,
  METADATA_RULES,
  ROUTES,
  SURFACES,
  decodeEnvelopes,
  decodeMessages,
  encodeEnvelopes,
  type EnvelopeBatch,
  type MetadataResult,
  type ScanBatch,
  type ScanResult,
  type UserReport,
} from '@blindspot/core';

/** A run id as run ids are made (orchestrate.ts) and as keys and job ids may carry it. */
export const runIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const runId = runIdSchema;
const seq = z.int().min(0);
const account = z.int().min(0);
const time = z.number().min(0);
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);
const surface = z.enum(SURFACES);
const route = z.enum(ROUTES);

const reportSchema = z.strictObject({
  id: z.int().min(0),
  messageId: z.int().min(0),
  t: time,
  reporter: account,
  reported: account,
  recipient: z.int().min(-1),
  sentAt: time,
  surface,
  content: base64,
  frankingKey: base64,
  commitment: base64,
  tag: base64,
});

const blockSchema = z.strictObject({ id: z.int().min(0), t: time, blocker: account, blocked: account });

const detectionSchema = z.strictObject({
  route,
  account,
  t: time,
  messageId: z.int().min(-1),
  event: z.int().min(0),
  evidence: z.number(),
  rule: z.enum(METADATA_RULES).optional(),
  bankEntry: z.int().min(0).optional(),
});

const voucherMatchSchema = z.strictObject({
  account,
  t: time,
  messageId: z.int().min(0),
  event: z.int().min(0),
  share: z.string().regex(/^[0-9a-f]{64}$/),
  inner: base64,
});

/** A generation job: run `run`'s group `group` (0 when the run has one). */
export const runJobSchema = z.strictObject({ run: runId, group: z.int().min(0).max(63).optional() });

export const scanJobSchema = z.strictObject({
  run: runId,
  seq,
  final: z.boolean(),
  /** The messages in the codec's binary layout, base64. */
  messages: base64,
});

export const metadataJobSchema = z.strictObject({
  run: runId,
  seq,
  final: z.boolean(),
  /** The envelopes in the codec's binary layout, base64. */
  envelopes: base64,
  reports: z.array(reportSchema),
  blocks: z.array(blockSchema),
});

const countsSchema = z.strictObject({
  messages: z.int().min(0),
  encrypted: z.int().min(0),
  scanned: z.int().min(0),
  unscannable: z.int().min(0),
  deadLettered: z.int().min(0),
  vouchers: z.int().min(0),
  vouchersMatched: z.int().min(0),
});

export const reportJobSchema = z.discriminatedUnion('source', [
  z.strictObject({
    source: z.literal('scan'),
    run: runId,
    seq,
    final: z.boolean(),
    detections: z.array(detectionSchema),
    vouchers: z.array(voucherMatchSchema),
    counts: countsSchema,
  }),
  z.strictObject({
    source: z.literal('metadata'),
    run: runId,
    seq,
    final: z.boolean(),
    detections: z.array(detectionSchema),
    reports: z.array(reportSchema),
  }),
]);

/** What the dead-letter queue holds: where the refused job came from, why, its size and digest (dead-letters.ts). */
export const deadLetterJobSchema = z.strictObject({
  queue: z.string(),
  jobId: z.string().optional(),
  run: runId.nullable(),
  /** Refused for its authenticator (not the run's), rather than malformed. */
  forged: z.boolean(),
  reason: z.string(),
  /** Bytes of the refused job's data, as JSON. */
  bytes: z.int().min(0),
  /** SHA-256 of the refused job's data, as JSON, hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export type DeadLetter = z.output<typeof deadLetterJobSchema>;

export type ScanJob = z.output<typeof scanJobSchema>;
export type MetadataJob = z.output<typeof metadataJobSchema>;
export type ReportJob = z.output<typeof reportJobSchema>;

/** Bytes as base64, without copying them. */

type WireReport = z.output<typeof reportSchema>;

function encodeReport(r: UserReport): WireReport {
  return { ...r, content: toBase64(r.content), frankingKey: toBase64(r.frankingKey), commitment: toBase64(r.commitment), tag: toBase64(r.tag) };
}

function decodeReport(r: WireReport): UserReport {
  return { ...r, content: fromBase64(r.content), frankingKey: fromBase64(r.frankingKey), commitment: fromBase64(r.commitment), tag: fromBase64(r.tag) };
}

/** Runs a codec decoder, turning its CodecError into the MalformedJobError the services dead-letter. */
function decoded<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof CodecError) throw new MalformedJobError(`malformed ${what} job: ${err.message}`);
    throw err;
  }
}

/** A scan job from messages already in the codec's layout (as the sealing threads return them). */
export function scanJobOfEncoded(batch: Omit<ScanBatch, 'messages'>, messages: Uint8Array): ScanJob {
  return { run: batch.run, seq: batch.seq, final: batch.final, messages: toBase64(messages) };
}

export function decodeScanJob(job: ScanJob): ScanBatch {
  return { run: job.run, seq: job.seq, final: job.final, messages: decoded('scan', () => decodeMessages(fromBase64(job.messages))) };
}

export function encodeMetadataJob(batch: EnvelopeBatch): MetadataJob {
  return {
    run: batch.run,
    seq: batch.seq,
    final: batch.final,
    envelopes: toBase64(encodeEnvelopes(batch.envelopes)),
    reports: batch.reports.map(encodeReport),
    blocks: batch.blocks,
  };
}

export function decodeMetadataJob(job: MetadataJob): EnvelopeBatch {
  return {
    run: job.run,
    seq: job.seq,
    final: job.final,
    envelopes: decoded('metadata', () => decodeEnvelopes(fromBase64(job.envelopes))),
    reports: job.reports.map(decodeReport),
    blocks: job.blocks,
  };
}

export function encodeScanResult(r: ScanResult): ReportJob {
  return { source: 'scan', ...r, vouchers: r.vouchers.map((v) => ({ ...v, inner: toBase64(v.inner) })) };
}

export function encodeMetadataResult(r: MetadataResult): ReportJob {
  return { source: 'metadata', ...r, reports: r.reports.map(encodeReport) };
}

/** The reporter's inputs from a report-queue job. */
export function decodeScanResult(job: Extract<ReportJob, { source: 'scan' }>): ScanResult {
  const { source: _source, ...rest } = job;
  return { ...rest, vouchers: job.vouchers.map((v) => ({ ...v, inner: fromBase64(v.inner) })) } as ScanResult;
}

export function decodeMetadataResult(job: Extract<ReportJob, { source: 'metadata' }>): MetadataResult {
  const { source: _source, ...rest } = job;
  return { ...rest, reports: job.reports.map(decodeReport) } as MetadataResult;
}

export class MalformedJobError extends Error {
  override name = 'MalformedJobError';
}

/** Parses job data with `schema`, or throws MalformedJobError naming the first few problems. */
export function parseJob<T>(schema: z.ZodType<T>, data: unknown, what: string): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(job)'}: ${i.message}`);
  throw new MalformedJobError(`malformed ${what} job: ${issues.join('; ')}`);
}
