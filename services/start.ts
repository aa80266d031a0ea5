/**
 * `pnpm service <name>`: starts one service in the foreground, configured from the
 * environment. Compose and operators on other machines use this same entry point.
 */
import { STAGES } from '@blindspot/core';

/** The pipeline's stages, and the dashboard beside them. */
const SERVICES: readonly string[] = [...STAGES, 'dashboard'];
const name = process.argv[2];
if (!name || !SERVICES.includes(name)) {
  process.stderr.write(`usage: pnpm service <${SERVICES.join('|')}>\n${name ? `unknown service "${name}"\n` : ''}`);
  process.exit(2);
}
await import(`./${name}/src/main.ts`);
