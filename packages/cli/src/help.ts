/** Usage text, rendered from the command table: the general one and each verb's own. */
import { help as helpOption } from './options';
import type { OptionDef } from './args';
import type { Command } from './commands/command';

/** `  --seed <n>   text`, help lines aligned in a second column. */
function optionLines(defs: readonly OptionDef<unknown>[]): string[] {
  const heads = defs.map((d) => `${d.short ? `-${d.short}, ` : ''}--${d.name}${d.takes ? ` ${d.takes}` : ''}`);
  const width = Math.max(...heads.map((h) => h.length)) + 2;
  return defs.flatMap((d, i) => {
    const [first, ...more] = d.help.split('\n');
    return [`  ${(heads[i] as string).padEnd(width)}${first}`, ...more.map((m) => `  ${' '.repeat(width)}${m}`)];
  });
}

export function verbUsage(command: Command): string {
  const defs = [...Object.values(command.options), helpOption];
  return [
    `usage: ${command.usage.map((u, i) => `${i === 0 ? '' : '       '}blindspot ${u}`).join('\n')}`,
    '',
    command.about ?? `${command.summary.charAt(0).toUpperCase()}${command.summary.slice(1)}.`,
    '',
    'options:',
    ...optionLines(defs),
  ].join('\n');
}

export function generalUsage(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'usage: blindspot <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    "Run 'blindspot help <command>' (or 'blindspot <command> --help') for its options.",
    'Exit status: 0 done; 1 the run failed (Redis unreachable, a service died, timeout);',
    '2 bad input (scenario file or arguments), refused before anything starts.',
  ].join('\n');
}

/** The line under a usage error that says where the full usage is. */
export function pointer(verb: string | undefined): string {
  return verb ? `run 'blindspot help ${verb}' for its usage` : "run 'blindspot help' for the list of commands";
}
