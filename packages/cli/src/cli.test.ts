/** The dispatcher and its messages; nothing here gets as far as running a scenario. */
import { describe, expect, it } from 'vitest';
import { main } from './cli';
import { COMMANDS } from './commands';

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { write: (s: string) => (stdout += s) }, { write: (s: string) => (stderr += s) });
  return { code, stdout, stderr, lines: stderr.trim().split('\n') };
}

describe('help', () => {
  it('--help, -h and help print the list of commands, with every verb in it', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^usage: blindspot <command> \[options\]/);
      for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c.name} +\\S`, 'm'));
    }
  });

  it.each(COMMANDS.map((c) => c.name))('%s: <verb> --help and help <verb> print its own usage', async (verb) => {
    const [a, b] = await Promise.all([cli(verb, '--help'), cli('help', verb)]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toMatch(new RegExp(`^usage: blindspot ${verb}\\b`));
    expect(a.stdout).toMatch(/^ {2}-h, --help +show this help$/m);
    const command = COMMANDS.find((c) => c.name === verb);
    for (const def of Object.values(command?.options ?? {})) expect(a.stdout).toContain(`--${def.name}`);
  });

  it('shows only the options a verb takes', async () => {
    const validate = await cli('help', 'validate');
    expect(validate.stdout).toContain('--json');
    expect(validate.stdout).not.toContain('--redis');
    expect((await cli('help', 'sweep')).stdout).toContain('--set <path>=<values>');
    expect((await cli('help', 'run')).stdout).not.toContain('--set');
  });

  it('no arguments at all: the list of commands on stderr, exit 2', async () => {
    const r = await cli();
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^usage: blindspot <command>/);
  });
});

describe('usage errors: one line and a pointer', () => {
  it('suggests the verb meant', async () => {
    expect((await cli('rn', 'x.yaml')).lines).toEqual(['unknown command "rn"; did you mean run?', "run 'blindspot help' for the list of commands"]);
    expect((await cli('comapre')).lines[0]).toBe('unknown command "comapre"; did you mean compare?');
    expect((await cli('frobnicate')).lines[0]).toBe('unknown command "frobnicate"');
    expect((await cli('help', 'swep')).lines[0]).toBe('unknown command "swep"; did you mean sweep?');
  });

  it('suggests the option meant, and says nothing else about that command line', async () => {
    const r = await cli('run', 'scenarios/plaintext.yaml', '--sede', '3');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.lines).toEqual(['unknown option --sede; did you mean --seed?', "run 'blindspot help run' for its usage"]);
    expect((await cli('compare', 'a.yaml', 'b.yaml', '--jsno')).lines[0]).toBe('unknown option --jsno; did you mean --json?');
    expect((await cli('run', 'a.yaml', '--colour')).lines[0]).toBe('unknown option --colour');
  });

  it("names the verbs an option belongs to when it is another verb's", async () => {
    expect((await cli('run', 'a.yaml', '--set', 'seed=1,2')).lines).toEqual(['--set is only for sweep', "run 'blindspot help run' for its usage"]);
    expect((await cli('validate', 'a.yaml', '--redis', 'redis://x')).lines[0]).toBe('--redis is only for run, compare, load');
    expect((await cli('sweep', 'a.yaml', '--set', 'seed=1,2', '--redis', 'redis://x')).lines[0]).toBe(
      'sweep runs embedded, in parallel on this machine; --redis is not supported',
    );
  });

  it('checks every number, the Redis URL, the prefix and the log level before any work', async () => {
    const r = await cli(
      'run',
      'does-not-matter.yaml',
      '--seed',
      '-1',
      '--batch-size',
      'lots',
      '--timeout',
      '0',
      '--redis',
      'http://127.0.0.1:6379',
      '--prefix',
      'blindspot',
      '--log-level',
      'loud',
    );
    expect(r.code).toBe(2);
    expect(r.lines).toEqual([
      '--seed must be a whole number from 0 to 9007199254740991, got "-1"',
      '--batch-size must be a whole number from 1 to 1000000, got "lots"',
      '--redis must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379',
      '--prefix blindspot: must be a Redis hash tag such as {blindspot}, so all keys of a deployment share a Cluster slot',
      '--timeout must be a positive number of seconds, got "0"',
      '--log-level loud: must be one of fatal, error, warn, info, debug, trace, silent',
      "run 'blindspot help run' for its usage",
    ]);
    const load = await cli('load', 'x.yaml', '--redis', 'redis://h', '--min-messages-per-second', 'fast', '--max-redis-mb', '-3', '--replicas', 'scaner=2');
    expect(load.lines.slice(0, -1)).toEqual([
      '--replicas: unknown service "scaner" (services: generator, scanner, metadata-detector, reporter)',
      '--min-messages-per-second must be a number, 0 or more, got "fast"',
      '--max-redis-mb must be a number, 0 or more, got "-3"',
    ]);
  });

  it('refuses a bad BLINDSPOT_PREFIX as the default of --prefix', async () => {
    const before = process.env.BLINDSPOT_PREFIX;
    process.env.BLINDSPOT_PREFIX = 'no-tag';
    try {
      expect((await cli('run', 'a.yaml')).lines[0]).toMatch(/^BLINDSPOT_PREFIX=no-tag \(the default of --prefix\): must be a Redis hash tag/);
    } finally {
      if (before === undefined) delete process.env.BLINDSPOT_PREFIX;
      else process.env.BLINDSPOT_PREFIX = before;
    }
  });

  it('counts operands and checks options that need one another', async () => {
    expect((await cli('run')).lines[0]).toBe('run takes exactly one scenario file');
    expect((await cli('compare', 'a.yaml')).lines[0]).toBe('compare takes two or more scenario files');
    expect((await cli('sweep', 'a.yaml')).lines[0]).toBe('sweep needs at least one --set <field.path>=<v1>,<v2>,...');
    expect((await cli('load', 'a.yaml')).lines[0]).toBe('load runs over BullMQ: give --redis <url>');
    expect((await cli('run', 'a.yaml', '--external-services')).lines[0]).toBe('--external-services needs --redis <url>');
    expect((await cli('run', 'a.yaml', '--replicas', 'scanner=2')).lines[0]).toBe('--replicas needs --redis <url>');
    expect((await cli('run', 'a.yaml', '--seed', '1', '--seed', '2')).lines[0]).toBe('--seed is given twice (1 and 2); give it once');
    expect((await cli('run', 'a.yaml', '--out')).lines[0]).toBe('--out needs a value: --out <dir>');
  });

  it.each(['', ' ', '1e400', '-1', '1.5', '0x10', '9007199254740992'])('refuses --seed %j in every verb that takes it, naming --seed', async (seed) => {
    for (const argv of [
      ['run', 'a.yaml'],
      ['compare', 'a.yaml', 'b.yaml'],
      ['sweep', 'a.yaml', '--set', 'detection.userReports.probability=0.1,0.2'],
      ['load', 'a.yaml', '--redis', 'redis://127.0.0.1:1'],
    ]) {
      const r = await cli(...argv, '--seed', seed);
      expect(r.code, argv[0]).toBe(2);
      expect(r.lines[0], argv[0]).toBe(`--seed must be a whole number from 0 to 9007199254740991, got ${JSON.stringify(seed)}`);
      // The same through --seed=
      expect((await cli(...argv, `--seed=${seed}`)).code, argv[0]).toBe(2);
    }
  });

  it('never quotes a --redis value back, which may hold a password', async () => {
    const r = await cli('run', 'a.yaml', '--redis', 'redis://:s3cret@x@127.0.0.1:6379');
    expect(r.code).toBe(2);
    expect(r.lines[0]).toBe('--redis holds more than one @: write an @ in the password (or user name) as %40');
    const twice = await cli('run', 'a.yaml', '--redis', 'redis://:s3cret@127.0.0.1:6379', '--redis', 'redis://:0ther@127.0.0.1:6379');
    expect(twice.code).toBe(2);
    expect(twice.stderr).not.toMatch(/s3cret|0ther/);
  });

  it('takes options before the verb too', async () => {
    expect((await cli('--seed', '3', 'rn')).lines[0]).toBe('unknown command "rn"; did you mean run?');
    expect((await cli('--json', 'validate', '--help')).stdout).toMatch(/^usage: blindspot validate/);
  });
});
