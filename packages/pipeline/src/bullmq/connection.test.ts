import { describe, expect, it } from 'vitest';
import { redactUrl, redactor, redactorForUrl, safeMessage } from './connection';

describe('redaction of Redis credentials', () => {
  it('replaces a password as typed, percent-decoded and percent-encoded', () => {
    const redact = redactorForUrl('redis://:pa%40ss%3Aw0rd@127.0.0.1:6379');
    expect(redact('AUTH pa@ss:w0rd failed')).toBe('AUTH *** failed');
    expect(redact('url redis://:pa%40ss%3Aw0rd@127.0.0.1:6379')).toBe('url redis://:***@127.0.0.1:6379');
    expect(redact('nothing secret here')).toBe('nothing secret here');
  });

  it('also knows a password given as a query parameter, and redactUrl hides both', () => {
    const url = 'redis://user:one@h:6379/0?password=two&db=1';
    expect(redactorForUrl(url)('one two')).toBe('*** ***');
    expect(redactUrl(url)).toBe('redis://user:***@h:6379/0?password=***&db=1');
  });

  it('replaces a secret that contains another one whole', () => {
    expect(redactor(['ab', 'abcd'])('xabcdx ab')).toBe('x***x ***');
  });

  it('takes only the message of an error, never the command and its arguments', () => {
    const err = Object.assign(new Error('WRONGPASS invalid username-password pair'), { command: { name: 'auth', args: ['hunter2'] } });
    expect(safeMessage(err, redactor(['hunter2']))).toBe('WRONGPASS invalid username-password pair');
    expect(safeMessage('plain hunter2', redactor(['hunter2']))).toBe('plain ***');
  });
});
