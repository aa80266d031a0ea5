/**
 * Job payloads on the queues: one zod schema per job, parsed at the boundary so a
 * malformed job is refused with a reason (and dead-lettered) instead of corrupting a
 * stage. Bytes travel as base64. JSON keeps numbers exact, so a batch decodes to
 * exactly what was encoded.
 */
import { z } from 'zod';
import type { EnvelopeBatch, MetadataResult, ScanBatch, ScanResult, UserReport, Envelope } from '@blindspot/core';

const runId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const seq = z.int().min(0);
const account = z.int().min(0);
const time = z.number().min(0);
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);

export const envelopeSchema = z.strictObject({
  id: z.int().min(0),
  t: time,
  surface: z.enum(['dm', 'public']),
  sender: account,
  recipient: z.int().min(-1),
  media: z.enum(['image', 'text']),
  size: z.int().min(0),
  encrypted: z.boolean(),
  senderMinor: z.boolean(),
  recipientMinor: z.boolean(),
  connected: z.boolean(),
});

const reportSchema = z.strictObject({
  messageId: z.int().min(0),
  t: time,
  reporter: account,
  reported: account,
  surface: z.enum(['dm', 'public']),
  content: base64,
});

const detectionSchema = z.strictObject({
  route: z.enum(['hashMatch', 'metadata', 'userReport']),
  account,
  t: time,
  messageId: z.int().min(0),
  evidence: z.number(),
});

export const runJobSchema = z.strictObject({ run: runId });

export const scanJobSchema = z.strictObject({
  run: runId,
  seq,
  final: z.boolean(),
  messages: z.array(z.strictObject({ e: envelopeSchema, p: base64 })),
});

export const metadataJobSchema = z.strictObject({
  run: runId,
  seq,
  final: z.boolean(),
  envelopes: z.array(envelopeSchema),
  reports: z.array(reportSchema),
});

const countsSchema = z.strictObject({
  messages: z.int().min(0),
  encrypted: z.int().min(0),
  scanned: z.int().min(0),
  unscannable: z.int().min(0),
  deadLettered: z.int().min(0),
});

export const reportJobSchema = z.discriminatedUnion('source', [
  z.strictObject({ source: z.literal('scan'), run: runId, seq, final: z.boolean(), detections: z.array(detectionSchema), counts: countsSchema }),
  z.strictObject({ source: z.literal('metadata'), run: runId, seq, final: z.boolean(), detections: z.array(detectionSchema) }),
]);

export type ScanJob = z.output<typeof scanJobSchema>;
export type MetadataJob = z.output<typeof metadataJobSchema>;
export type ReportJob = z.output<typeof reportJobSchema>;

const toB64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

export function encodeScanJob(batch: ScanBatch): ScanJob {
  return { run: batch.run, seq: batch.seq, final: batch.final, messages: batch.messages.map((m) => ({ e: m.envelope, p: toB64(m.payload) })) };
}

export function decodeScanJob(job: ScanJob): ScanBatch {
  return { run: job.run, seq: job.seq, final: job.final, messages: job.messages.map((m) => ({ envelope: m.e as Envelope, payload: fromB64(m.p) })) };
}

export function encodeMetadataJob(batch: EnvelopeBatch): MetadataJob {
  return {
    run: batch.run,
    seq: batch.seq,
    final: batch.final,
    envelopes: batch.envelopes,
    reports: batch.reports.map((r) => ({ ...r, content: toB64(r.content) })),
  };
}

export function decodeMetadataJob(job: MetadataJob): EnvelopeBatch {
  return {
    run: job.run,
    seq: job.seq,
    final: job.final,
    envelopes: job.envelopes as Envelope[],
    reports: job.reports.map((r): UserReport => ({ ...r, content: fromB64(r.content) })),
  };
}

export function encodeScanResult(r: ScanResult): ReportJob {
  return { source: 'scan', ...r };
}

export function encodeMetadataResult(r: MetadataResult): ReportJob {
  return { source: 'metadata', ...r };
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
