import { describe, expect, it } from 'vitest';
import { ConfigError, SERVICES, logLevelSchema, parseDashboardEnv, parseEnv, prefixSchema, problemWith, redisUrlSchema } from './config';

const KEY = 'a1'.repeat(32);
const URL_OK = { REDIS_URL: 'redis://127.0.0.1:6379', BLINDSPOT_JOB_KEY: KEY };

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    parseEnv(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected parseEnv to throw a ConfigError');
}

describe('parseEnv', () => {
  it('applies defaults with only REDIS_URL and BLINDSPOT_JOB_KEY set', () => {
    expect(parseEnv(URL_OK)).toEqual({
      REDIS_URL: 'redis://127.0.0.1:6379',
      BLINDSPOT_JOB_KEY: KEY,
      BLINDSPOT_PREFIX: '{blindspot}',
      BLINDSPOT_PARTITIONS: 1,
      LOG_LEVEL: 'info',
      // pretty at a terminal outside production, else json
      LOG_FORMAT: process.stdout.isTTY && process.env.NODE_ENV !== 'production' ? 'pretty' : 'json',
      WORKER_CONCURRENCY: 1,
      LOCK_DURATION_MS: 30_000,
      STALLED_INTERVAL_MS: 30_000,
      GENERATOR_HIGH_WATER: 64,
      GENERATOR_SEALERS: 0,
      DEAD_LETTER_RETENTION_HOURS: 168,
      DEAD_LETTER_MAX: 10_000,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: 9464,
    });
  });

  it('takes LOG_FORMAT json or pretty, and nothing else', () => {
    expect(parseEnv({ ...URL_OK, LOG_FORMAT: 'pretty' }).LOG_FORMAT).toBe('pretty');
    expect(parseEnv({ ...URL_OK, LOG_FORMAT: 'json' }).LOG_FORMAT).toBe('json');
    expect(problemsOf({ ...URL_OK, LOG_FORMAT: 'xml' }).join('\n')).toMatch(/LOG_FORMAT/);
  });

  it('requires REDIS_URL and BLINDSPOT_JOB_KEY', () => {
    const problems = problemsOf({});
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^REDIS_URL: required/);
    expect(problems[1]).toMatch(/^BLINDSPOT_JOB_KEY: required: the key that authenticates jobs; .*openssl rand -hex 32/);
  });

  it.each([
    ['too short', 'ab'.repeat(31)],
    ['not hex', `${'ab'.repeat(31)}zz`],
    ['an odd number of digits', `${'ab'.repeat(32)}a`],
  ])('refuses a BLINDSPOT_JOB_KEY %s, without quoting it', (_what, key) => {
    const problems = problemsOf({ ...URL_OK, BLINDSPOT_JOB_KEY: key });
    expect(problems).toEqual([expect.stringMatching(/^BLINDSPOT_JOB_KEY: must be .*openssl rand -hex 32/)]);
    expect(problems[0]).not.toContain('abab');
  });

  it.each(['http://127.0.0.1:6379', 'localhost:6379', '', 'redis://', 'redis://has space'])('rejects the non-redis URL %j', (url) => {
    expect(problemsOf({ ...URL_OK, REDIS_URL: url })).toEqual([expect.stringMatching(/^REDIS_URL: /)]);
  });

  it.each(['redis://127.0.0.1:6379', 'rediss://user:pw@cache.example:6380/2', 'redis://redis'])('accepts %j', (url) => {
    expect(parseEnv({ ...URL_OK, REDIS_URL: url }).REDIS_URL).toBe(url);
  });

  // A password with a raw @ (or one that breaks the URL) is refused naming the variable, never quoting the value.
  it.each([
    ['a raw @ in the password', 'redis://:s3cr@t-pw@127.0.0.1:6379', /%40/],
    ['a raw @ in user and password', 'redis://us@r:s3cr@t-pw@127.0.0.1:6379', /%40/],
    ['a stray %', 'redis://:s3cr%zzt-pw@127.0.0.1:6379', /%25/],
    ['a # in the password', 'redis://:s3cr#t-pw@127.0.0.1:6379', /not a valid URL/],
    ['a bad port', 'redis://:s3cret-pw@127.0.0.1:port', /not a valid URL/],
    ['an unclosed IPv6 address', 'redis://:s3cret-pw@[::1', /not a valid URL/],
    ['no host', 'redis://:s3cret-pw@', /names no host|not a valid URL/],
    ['a path that is no database', 'redis://:s3cret-pw@127.0.0.1:6379/s3cret-pw', /database number/],
    ['a control character', 'redis://:s3cret-pw\u0007@127.0.0.1:6379', /control characters/],
  ])('refuses a REDIS_URL with %s, without quoting it', (_what, url, says) => {
    const problems = problemsOf({ ...URL_OK, REDIS_URL: url });
    expect(problems).toEqual([expect.stringMatching(/^REDIS_URL: /)]);
    expect(problems[0]).toMatch(says);
    expect(problems[0]).not.toContain('s3cr');
  });

  it('accepts a percent-encoded password and a database number', () => {
    expect(parseEnv({ ...URL_OK, REDIS_URL: 'redis://:s3cr%40t%25pw@127.0.0.1:6379/3' }).REDIS_URL).toBe('redis://:s3cr%40t%25pw@127.0.0.1:6379/3');
    expect(parseEnv({ ...URL_OK, REDIS_URL: 'redis://[::1]:6379' }).REDIS_URL).toBe('redis://[::1]:6379');
  });

  it.each(['not a host', '  ', 'http://x', '999.1.1.1', '127.0.0.1:9464', 'host_name', '-lead', 'a\u001b[2J', 'x'.repeat(254)])(
    'refuses HTTP_HOST and DASHBOARD_HOST %j, naming the variable',
    (host) => {
      expect(problemsOf({ ...URL_OK, HTTP_HOST: host })).toEqual([expect.stringMatching(/^HTTP_HOST: must be an IP address or a host name/)]);
      expect(() => parseDashboardEnv({ ...URL_OK, DASHBOARD_HOST: host })).toThrow(/DASHBOARD_HOST: must be an IP address or a host name/);
    },
  );

  it.each(['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost', 'metrics.internal', 'redis'])('accepts HTTP_HOST %j', (host) => {
    expect(parseEnv({ ...URL_OK, HTTP_HOST: host }).HTTP_HOST).toBe(host);
  });

  it.each(['blindspot', '{}', '{a b}', 'x{blindspot}', '{blindspot}x', '{a}{b}'])('rejects the prefix %j (not a hash tag)', (prefix) => {
    expect(problemsOf({ ...URL_OK, BLINDSPOT_PREFIX: prefix })).toEqual([expect.stringMatching(/^BLINDSPOT_PREFIX: .*hash tag/)]);
  });

  it('accepts a prefix in braces', () => {
    expect(parseEnv({ ...URL_OK, BLINDSPOT_PREFIX: '{run-7.test_A}' }).BLINDSPOT_PREFIX).toBe('{run-7.test_A}');
  });

  it('coerces numeric strings to numbers', () => {
    const cfg = parseEnv({
      ...URL_OK,
      WORKER_CONCURRENCY: '4',
      LOCK_DURATION_MS: '60000',
      STALLED_INTERVAL_MS: '1000',
      GENERATOR_HIGH_WATER: '1000000',
    });
    expect(cfg.WORKER_CONCURRENCY).toBe(4);
    expect(cfg.LOCK_DURATION_MS).toBe(60_000);
    expect(cfg.STALLED_INTERVAL_MS).toBe(1_000);
    expect(cfg.GENERATOR_HIGH_WATER).toBe(1_000_000);
    expect(typeof cfg.WORKER_CONCURRENCY).toBe('number');
  });

  it.each([
    ['WORKER_CONCURRENCY', '0'],
    ['WORKER_CONCURRENCY', '65'],
    ['WORKER_CONCURRENCY', '1.5'],
    ['WORKER_CONCURRENCY', 'four'],
    ['LOCK_DURATION_MS', '999'],
    ['STALLED_INTERVAL_MS', '600001'],
    ['GENERATOR_HIGH_WATER', '-1'],
  ])('rejects %s=%j', (name, value) => {
    expect(problemsOf({ ...URL_OK, [name]: value })).toEqual([expect.stringMatching(new RegExp(`^${name}: `))]);
  });

  it('accepts every log level and rejects others', () => {
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
      expect(parseEnv({ ...URL_OK, LOG_LEVEL: level }).LOG_LEVEL).toBe(level);
    }
    expect(problemsOf({ ...URL_OK, LOG_LEVEL: 'verbose' })).toEqual([expect.stringMatching(/^LOG_LEVEL: /)]);
  });

  it('ignores unrelated variables', () => {
    const cfg = parseEnv({ ...URL_OK, PATH: '/usr/bin', HOME: undefined });
    expect(Object.keys(cfg)).not.toContain('PATH');
  });

  it('lists every problem at once, each with its variable name', () => {
    let caught: unknown;
    try {
      parseEnv({
        REDIS_URL: 'http://nope',
        BLINDSPOT_PREFIX: 'bare',
        LOG_LEVEL: 'loud',
        WORKER_CONCURRENCY: '0',
        LOCK_DURATION_MS: 'soon',
        STALLED_INTERVAL_MS: '5',
        GENERATOR_HIGH_WATER: '2000000',
        BLINDSPOT_JOB_KEY: 'short',
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const err = caught as ConfigError;
    expect(err.name).toBe('ConfigError');
    const names = err.problems.map((p) => p.split(':')[0]).sort();
    expect(names).toEqual(
      [
        'BLINDSPOT_JOB_KEY',
        'BLINDSPOT_PREFIX',
        'GENERATOR_HIGH_WATER',
        'LOCK_DURATION_MS',
        'LOG_LEVEL',
        'REDIS_URL',
        'STALLED_INTERVAL_MS',
        'WORKER_CONCURRENCY',
      ].sort(),
    );
    // The message names them all too, one per line.
    for (const p of err.problems) expect(err.message).toContain(p);
    expect(err.message.split('\n')).toHaveLength(err.problems.length + 1);
  });

  it('knows the four services', () => {
    expect([...SERVICES].sort()).toEqual(['generator', 'metadata-detector', 'reporter', 'scanner']);
  });
});

describe('the rules the command line shares', () => {
  it('say what is wrong with a --redis, --prefix or --log-level value in one line, as for the environment', () => {
    expect(problemWith(redisUrlSchema, 'redis://127.0.0.1:6379')).toBeNull();
    expect(problemWith(redisUrlSchema, 'http://127.0.0.1:6379')).toBe('must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379');
    expect(problemWith(prefixSchema, '{team-a}')).toBeNull();
    expect(problemWith(prefixSchema, 'team-a')).toMatch(/^must be a Redis hash tag such as \{blindspot\}/);
    expect(problemWith(logLevelSchema, 'debug')).toBeNull();
    expect(problemWith(logLevelSchema, 'loud')).toBe('must be one of fatal, error, warn, info, debug, trace, silent');
    expect(problemsOf({ ...URL_OK, REDIS_URL: 'redis://h', LOG_LEVEL: 'loud' })).toEqual([
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent',
    ]);
  });
});
