// Builds the native kernels with node-gyp at install. Node's own headers (they come
// with node, in <prefix>/include/node) are used where they exist, so nothing is
// downloaded. A machine that cannot build the kernels (no compiler, as in a slim
// container image) still installs: every kernel has a JavaScript twin that gives the
// same bytes, and `pnpm bench` says which one ran.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

const gyp = process.env.npm_config_node_gyp;
const prefix = join(dirname(process.execPath), '..');
const headers = existsSync(join(prefix, 'include', 'node', 'node_api.h'));
const args = ['rebuild', ...(headers && !process.env.npm_config_nodedir ? [`--nodedir=${prefix}`] : [])];
const r = gyp ? spawnSync(process.execPath, [gyp, ...args], { stdio: 'inherit' }) : spawnSync('node-gyp', args, { stdio: 'inherit' });
if (r.status !== 0) {
  // Nothing half-built is left behind: a build folder means the kernels are there (a test holds them loaded then).
  rmSync(new URL('./build', import.meta.url), { recursive: true, force: true });
  console.warn(
    `@blindspot/native: the native kernels were not built (${r.error ? r.error.message : `node-gyp exited with ${r.status}`}); ` +
      'the JavaScript kernels run instead, with the same results, more slowly. Install python3, make and g++ and run `pnpm -C packages/native run install` to build them.',
  );
}
