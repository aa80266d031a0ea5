/** The command table: every verb of `blindspot`, in the order help lists them. */
import { UsageError, closest } from '../args';
import { aclCommand } from './acl';
import { generalUsage, verbUsage } from '../help';
import { defineCommand, type Command } from './command';
import { newCommand, validateCommand } from './files';
import { loadCommand } from './load';
import { compareCommand, runCommand } from './simulate';
import { calibrateCommand } from './calibrate';
import { sensitivityCommand } from './sensitivity';
import { sweepCommand } from './sweep';

const helpCommand = defineCommand({
  name: 'help',
  summary: "show the list of commands, or one command's options",
  usage: ['help [<command>]'],
  operands: { min: 0, max: 1, problem: 'help takes at most one command, e.g. blindspot help run' },
  options: {},
  async run(_v, [verb], { stdout }) {
    if (verb === undefined) {
      stdout.write(`${generalUsage(COMMANDS)}\n`);
      return 0;
    }
    stdout.write(`${verbUsage(commandNamed(verb))}\n`);
    return 0;
  },
});

export const COMMANDS: readonly Command[] = [
  runCommand,
  compareCommand,
  sweepCommand,
  sensitivityCommand,
  calibrateCommand,
  loadCommand,
  validateCommand,
  newCommand,
  aclCommand,
  helpCommand,
];

/** The verb called `name`, or a UsageError that suggests the nearest one. */
export function commandNamed(name: string): Command {
  const found = COMMANDS.find((c) => c.name === name);
  if (found) return found;
  const near = closest(
    name,
    COMMANDS.map((c) => c.name),
  );
  throw new UsageError(undefined, [`unknown command "${name}"${near ? `; did you mean ${near}?` : ''}`]);
}
