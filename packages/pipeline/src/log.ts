/**
 * Logging: pino JSON on stdout with the service name on every line. Payloads, content,
 * report evidence and key material are redacted wherever they appear in a log object.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT_PATHS = [
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

export type LogFormat = 'json' | 'pretty';

/**
 * JSON lines, unless `format` is pretty: then pino-pretty's readable lines, for a
 * developer at a terminal. Redaction happens before either.
 */
export function createLogger(service: string, level: string, format: LogFormat = 'json'): Logger {
  return pino({
    name: 'blindspot',
    level,
    base: { service, pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(format === 'pretty'
      ? {
          transport: {
            target: 'pino-pretty',
            options: {
              colorize: process.stdout.isTTY === true,
              translateTime: 'SYS:HH:MM:ss.l',
              ignore: 'pid,hostname,name,service',
              messageFormat: '[{service}] {msg}',
            },
          },
        }
      : {}),
  });
}
