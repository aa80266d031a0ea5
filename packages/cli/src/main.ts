/**
 * The `blindspot` command (`pnpm blindspot <command> ...`); `blindspot help` lists the
 * commands, `blindspot help <command>` shows one command's options. The verbs are in
 * commands/index.ts.
 */
import { main } from './cli';

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Once the command is done, nothing may hold it open: not a Redis client still retrying a
// server that went away or refuses its password, nor a queue waiting on one. Output is
// written by then (stdout and stderr are synchronous for files and pipes on Linux); the
// timer does not itself keep the process alive.
setTimeout(() => process.exit(code), 2_000).unref();
