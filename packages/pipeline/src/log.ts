/**
 * Logging: pino JSON on stdout with the service name on every line. Payloads, content,
 * report evidence and key material are redacted wherever they appear in a log object.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'payload',
  '*.payload',
  'content',
  '*.content',
  'plain',
  '*.plain',
  'key',
  '*.key',
  'frankingKey',
  '*.frankingKey',
  'commitment',
  '*.commitment',
  'tag',
  '*.tag',
  'voucher',
  '*.voucher',
  'platformKey',
  '*.platformKey',
  'clientSecret',
  '*.clientSecret',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'messages',
  '*.messages',
  'reports',
  '*.reports',
  'envelopes',
  '*.envelopes',
  'data',
  '*.data',
];

export function createLogger(service: string, level: string): Logger {
  return pino({
    name: 'blindspot',
    level,
    base: { service, pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
