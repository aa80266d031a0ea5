/**
 * The `blindspot` command (`pnpm blindspot <command> ...`); `blindspot help` lists the
 * commands, `blindspot help <command>` shows one command's options. The verbs are in
 * commands/index.ts.
 */
import { main } from './cli';

process.exitCode = await main(process.argv.slice(2));
