import { describe, expect, it } from 'vitest';
import { redactUrl, redactUrlsIn, redactor, redactorForUrl, safeMessage } from './redact';

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

describe('redaction of every URL in a text', () => {
  it('replaces the password of any URL, keeping the user name', () => {
    expect(redactUrlsIn('at redis://:s3cret@h:6379 and rediss://me:p@ss@h/0')).toBe('at redis://:***@h:6379 and rediss://me:***@h/0');
    expect(redactUrlsIn('redis://s3cret@h')).toBe('redis://***@h');
    expect(redactUrlsIn('redis://h:6379, no user info')).toBe('redis://h:6379, no user info');
  });

  it('replaces a password given as a query parameter, as redactUrl does', () => {
    const url = 'redis://user:one@h:6379/0?password=two&db=1';
    expect(redactUrlsIn(`--prefix ${url}: must be a hash tag`)).toBe(`--prefix ${redactUrl(url)}: must be a hash tag`);
    expect(redactUrlsIn('got redis://h/?db=0&PASS=two&x=1#f and redis://h/?auth=three')).toBe('got redis://h/?db=0&PASS=***&x=1#f and redis://h/?auth=***');
    // A path normalisation turns redis:// into redis:/ ; the parameter is still found.
    expect(redactUrlsIn('redis:/127.0.0.1:1/?password=two: cannot read scenario')).toBe('redis:/127.0.0.1:1/?password=*** cannot read scenario');
    expect(redactUrlsIn('"redis://h/?password=t;w\'o"" and more')).toBe('"redis://h/?password=*** and more');
    expect(redactUrlsIn('a passport=fine and ?password')).toBe('a passport=fine and ?password');
  });
});
