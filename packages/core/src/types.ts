/**
 * What travels between stages. A message is what a platform would see: an envelope of
 * facts the server knows, and a payload that is either readable content or real
 * ciphertext, plus the franking commitment and (under client-side scanning) a safety
 * voucher. Ground truth never appears here; it lives in the evaluation ledger.
 */

import type { MetadataRule } from './metadata/rules';
import type { Route } from './routes';
import type { Media, Surface } from './vocabulary';

/** Simulated time is in seconds since the start of the run. */
export const HOUR = 3600;
export const DAY = 24 * HOUR;

export interface Envelope {
  /** Message id, unique in a run and increasing with simulated time. */
  id: number;
  /** Simulated send time, seconds since the run started. */
  t: number;
  surface: Surface;
  sender: number;
  /** Recipient account; -1 for public posts and profile photos. */
  recipient: number;
  media: Media;
  /** Payload size in bytes as the server sees it. */
  size: number;
  /** The payload is end-to-end encrypted: the server holds only ciphertext. */
  encrypted: boolean;
  /** Declared age group of the sender and recipient, as the platform knows them. */
  senderMinor: boolean;
  recipientMinor: boolean;
  /** Sender and recipient are contacts (connected); false for public surfaces. */
  connected: boolean;
  /** Age of the sender's account at send time, in days (the platform knows when it was created). */
  senderAccountAgeDays: number;
}

/** A message as the scanner receives it. */
export interface Message {
  envelope: Envelope;
  /** Encoded content (‖ franking key) when readable; nonce ‖ ciphertext ‖ tag when encrypted. */
  payload: Uint8Array;
  /** Franking commitment to the plaintext (HMAC under the per-message franking key), or null without franking. */
  commitment: Uint8Array | null;
  /** Client-side scanning safety voucher, or null. */
  voucher: Uint8Array | null;
}

/** Decoded readable content: what a classifier or a human reviewer could look at. */
export type Content = { media: 'image'; hash: Uint8Array; quality: number; score: number; look: number } | { media: 'text'; score: number; look: number };

/**
 * A recipient's report of a message. The recipient holds the plaintext and hands it
 * over, so this works whatever the encryption; with franking it also hands over the
 * franking key and the platform's countersignature, so the platform can verify the
 * message was really sent.
 */
export interface UserReport {
  /** Event id: reports take ids from the same counter as messages, in stream order. */
  id: number;
  /** Id of the reported message. */
  messageId: number;
  /** Simulated time of the report. */
  t: number;
  reporter: number;
  /** Account that sent the reported message. */
  reported: number;
  /** Recipient of the reported message (-1 for a public post), as countersigned. */
  recipient: number;
  /** Send time of the reported message, as countersigned. */
  sentAt: number;
  surface: Surface;
  /** The reported content, as plaintext bytes (without the franking key). */
  content: Uint8Array;
  /** Franking: the per-message key, the commitment and the platform's tag; empty without franking. */
  frankingKey: Uint8Array;
  commitment: Uint8Array;
  tag: Uint8Array;
}

/** A user blocking another: visible to the platform, whatever the encryption. */
export interface Block {
  /** Event id, from the same counter as messages, in stream order. */
  id: number;
  t: number;
  blocker: number;
  blocked: number;
}

/** One batch of the generator's output, covering a span of simulated time. */
export interface Batch {
  run: string;
  /** 0, 1, 2, ... in simulated-time order; the last batch has `final: true` and may be empty. */
  seq: number;
  final: boolean;
  messages: Message[];
  reports: UserReport[];
  blocks: Block[];
}

/** What the scanner receives: messages, never user reports or ground truth. */
export interface ScanBatch {
  run: string;
  seq: number;
  final: boolean;
  messages: Message[];
}

/** What the metadata detector receives: envelopes, user reports and blocks, never payloads. */
export interface EnvelopeBatch {
  run: string;
  seq: number;
  final: boolean;
  envelopes: Envelope[];
  reports: UserReport[];
  blocks: Block[];
}

export interface Detection {
  route: Route;
  /** The account the detection is about. */
  account: number;
  /** Simulated time of the detection (of the triggering message, report or voucher). */
  t: number;
  /** The message behind it: the matched or reported message, or for a pattern the message that completed it (-1 when a block or report did). */
  messageId: number;
  /**
   * Id of the stream event that caused it (message, report or block). Event ids follow
   * the generator's stream order, so sorting by it reproduces that order however the
   * stream was cut into batches: this is what keeps the reporter's order, and so the
   * result, independent of batching.
   */
  event: number;
  /**
   * What a reviewer would have to go on: the content's look (explicitness, 0..1) for
   * content routes; for the metadata route, the rule's count as a multiple of its
   * threshold.
   */
  evidence: number;
  /** For metadata detections, the rule that fired. */
  rule?: MetadataRule;
  /** For hash matches, the index of the bank entry the image matched (what makes reports of one viral image bundle). */
  bankEntry?: number;
}

export interface ScanCounts {
  messages: number;
  encrypted: number;
  scanned: number;
  unscannable: number;
  /** Messages in batches that could not be processed and went to a dead-letter queue. */
  deadLettered: number;
  /** Safety vouchers received, and how many of them matched (their share was learned). */
  vouchers: number;
  vouchersMatched: number;
}

/** A voucher whose share the scanner learned (its image matched the bank); the inner payload stays sealed. */
export interface VoucherMatch {
  account: number;
  t: number;
  messageId: number;
  /** Always the message id: the voucher travels with its message. */
  event: number;
  /** The Shamir share, encoded (see css.ts). */
  share: string;
  /** The sealed evidence, openable only with the account's secret. */
  inner: Uint8Array;
}

/** The scanner's output for one batch. */
export interface ScanResult {
  run: string;
  seq: number;
  final: boolean;
  detections: Detection[];
  vouchers: VoucherMatch[];
  counts: ScanCounts;
}

/** The metadata detector's output for one batch; user reports are passed on for the reporter to verify. */
export interface MetadataResult {
  run: string;
  seq: number;
  final: boolean;
  detections: Detection[];
  reports: UserReport[];
}
