/**
 * `pnpm service <name>`: starts one service in the foreground, configured from the
 * environment. Compose and operators on other machines use this same entry point.
 */
export {};

const SERVICES = ['generator', 'scanner', 'metadata-detector', 'reporter', 'dashboard'];
const name = process.argv[2];
if (!name || !SERVICES.includes(name)) {
  process.stderr.write(`usage: pnpm service <${SERVICES.join('|')}>\n${name ? `unknown service "${name}"\n` : ''}`);
  process.exit(2);
}
await import(`./${name}/src/main.ts`);
