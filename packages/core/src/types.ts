/**
 * What travels between stages. A message is what a platform would see: an envelope of
 * facts the server knows, and a payload that is either readable content or real
 * ciphertext. Ground truth never appears here; it lives in the evaluation ledger.
 */

export type SurfaceName = 'dm' | 'public';
export type Media = 'image' | 'text';

/** Simulated time is in seconds since the start of the run. */
export const HOUR = 3600;
export const DAY = 24 * HOUR;

export interface Envelope {
  /** Message id, unique in a run and increasing with simulated time. */
  id: number;
  /** Simulated send time, seconds since the run started. */
  t: number;
  surface: SurfaceName;
  sender: number;
  /** Recipient account; -1 for a public post. */
  recipient: number;
  media: Media;
  /** Payload size in bytes as the server sees it. */
  size: number;
  /** The payload is end-to-end encrypted: the server holds only ciphertext. */
  encrypted: boolean;
  /** Declared age group of the sender and recipient, as the platform knows them. */
  senderMinor: boolean;
  recipientMinor: boolean;
  /** Sender and recipient are contacts (connected); false for public posts. */
  connected: boolean;
}

/** A message as the scanner receives it: envelope plus payload bytes. */
export interface Message {
  envelope: Envelope;
  /** Encoded content when readable; nonce ‖ ciphertext ‖ tag when encrypted. */
  payload: Uint8Array;
}

/** Decoded readable content: what a classifier or a human reviewer could look at. */
export type Content =
  | { media: 'image'; hash: Uint8Array; look: number }
  | { media: 'text'; look: number };

/**
 * A recipient's report of a message. Under E2EE the recipient holds the plaintext
 * and hands it over with the report, so this works whatever the encryption.
 */
export interface UserReport {
  /** Id of the reported message. */
  messageId: number;
  /** Simulated time of the report. */
  t: number;
  reporter: number;
  /** Account that sent the reported message. */
  reported: number;
  surface: SurfaceName;
  /** The reported content, as plaintext bytes. */
  content: Uint8Array;
}

/** One batch of the generator's output, covering a span of simulated time. */
export interface Batch {
  run: string;
  /** 0, 1, 2, ... in simulated-time order; the last batch has `final: true` and may be empty. */
  seq: number;
  final: boolean;
  messages: Message[];
  reports: UserReport[];
}

/** What the scanner receives: messages, never user reports or ground truth. */
export interface ScanBatch {
  run: string;
  seq: number;
  final: boolean;
  messages: Message[];
}

/** What the metadata detector receives: envelopes and user reports, never payloads. */
export interface EnvelopeBatch {
  run: string;
  seq: number;
  final: boolean;
  envelopes: Envelope[];
  reports: UserReport[];
}

export type Route = 'hashMatch' | 'metadata' | 'userReport';
export const ROUTES: readonly Route[] = ['hashMatch', 'metadata', 'userReport'];

export interface Detection {
  route: Route;
  /** The account the detection is about. */
  account: number;
  /** Simulated time of the detection (of the triggering message or report). */
  t: number;
  /**
   * The message behind it: the matched message, the reported message, or for a
   * pattern the message that completed it. With `t` and the route this places every
   * detection at its event's position in the generator's stream, which is what makes
   * the reporter's order independent of how the stream was cut into batches.
   */
  messageId: number;
  /**
   * What a reviewer would have to go on: the content's explicitness score for content
   * routes, the number of unconnected minors for the metadata route.
   */
  evidence: number;
}

export interface ScanCounts {
  messages: number;
  encrypted: number;
  scanned: number;
  unscannable: number;
  /** Messages in batches that could not be processed and went to a dead-letter queue. */
  deadLettered: number;
}

/** The scanner's output for one batch. */
export interface ScanResult {
  run: string;
  seq: number;
  final: boolean;
  detections: Detection[];
  counts: ScanCounts;
}

/** The metadata detector's output for one batch. */
export interface MetadataResult {
  run: string;
  seq: number;
  final: boolean;
  detections: Detection[];
}
