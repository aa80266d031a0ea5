/**
 * The `blindspot` command: finds the verb in the command table, reads its options and
 * runs it. Exit status: 0 done; 1 the run failed (Redis unreachable, a service died,
 * timeout); 2 bad input (scenario file or arguments), before anything was started;
 * 130 (143) interrupted by SIGINT (SIGTERM).
 */
import { InputError, printedProblems } from './load';
import { Interrupted } from './interrupt';
import { UsageError, closest, readOptions, splitArgs } from './args';
import { COMMANDS, commandNamed } from './commands';
import type { Command, Io } from './commands/command';
import { generalUsage, pointer, verbUsage } from './help';
import { help } from './options';
import { redactUrlsIn } from '@blindspot/pipeline/redact';
import { printable } from './output';

type Output = Io['stdout'];

const asksHelp = (args: readonly string[]) => args.some((a) => a === '--help' || a === '-h');

/** Option names that take a value, in any verb: their value is not the verb. */
const VALUED = new Set(
  COMMANDS.flatMap((c) =>
    Object.values(c.options)
      .filter((d) => d.takes !== undefined)
      .map((d) => `--${d.name}`),
  ),
);

/** Where the verb is: the first argument that is neither an option nor an option's value. */
function verbIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return i + 1 < argv.length ? i + 1 : -1;
    if (!arg.startsWith('-')) return i;
    if (VALUED.has(arg)) i++;
  }
  return -1;
}

/** What to say about an option this verb does not take. */
export function explainUnknown(command: Command, typed: string): string {
  const name = typed.replace(/^-+/, '');
  const reason = command.refuse?.[name];
  if (reason) return reason;
  const owners = COMMANDS.filter((c) => c !== command && Object.values(c.options).some((d) => d.name === name)).map((c) => c.name);
  if (owners.length > 0) return `${typed} is only for ${owners.join(', ')}`;
  const near = closest(
    name,
    [...Object.values(command.options), help].map((d) => d.name),
  );
  return `unknown option ${typed}${near ? `; did you mean --${near}?` : ''}`;
}

async function dispatch(argv: readonly string[], stdout: Output, stderr: Output): Promise<number> {
  const at = verbIndex(argv);
  if (at < 0) {
    if (asksHelp(argv)) {
      stdout.write(`${generalUsage(COMMANDS)}\n`);
      return 0;
    }
    if (argv.length === 0) {
      stderr.write(`${generalUsage(COMMANDS)}\n`);
      return 2;
    }
    throw new UsageError(undefined, ['no command given']);
  }
  const command = commandNamed(argv[at] as string);
  const rest = [...argv.slice(0, at), ...argv.slice(at + 1)];
  if (asksHelp(rest)) {
    stdout.write(`${verbUsage(command)}\n`);
    return 0;
  }
  const defs = [...Object.values(command.options), help];
  const split = splitArgs(rest, defs, (typed) => explainUnknown(command, typed));
  // A mistyped option may have swallowed or left over a value: say only that.
  if (split.problems.length > 0) throw new UsageError(command.name, split.problems);
  const problems: string[] = [];
  const values = readOptions(command.options, split.given, problems);
  const { min, max, problem } = command.operands;
  if (split.positionals.length < min || split.positionals.length > max) problems.push(problem);
  if (problems.length === 0) problems.push(...(command.check?.(values, split.positionals) ?? []));
  if (problems.length > 0) throw new UsageError(command.name, problems);
  return command.run(values, split.positionals, { stdout, stderr });
}

export async function main(argv: readonly string[], stdout: Output = process.stdout, rawStderr: Output = process.stderr): Promise<number> {
  // Messages quote what was typed and what files hold: never a control character or a URL's password.
  const stderr: Output = { write: (chunk: string) => rawStderr.write(printable(redactUrlsIn(chunk))) };
  try {
    return await dispatch(argv, stdout, stderr);
  } catch (err) {
    if (err instanceof UsageError) {
      stderr.write(`${[...err.lines, pointer(err.verb)].join('\n')}\n`);
      return 2;
    }
    if (err instanceof InputError) {
      stderr.write(`${printedProblems(err.lines).join('\n')}\n`);
      return 2;
    }
    if (err instanceof Interrupted) {
      stderr.write(`blindspot: ${err.message}\n`);
      return err.exitStatus;
    }
    stderr.write(`blindspot: ${(err as Error).message}\n`);
    return 1;
  }
}
