/**
 * Bundles a worker thread's TypeScript entry, and everything it imports, into one ESM
 * file of plain JavaScript (for threads.ts, which runs this in a child process when its
 * cached bundle is missing or stale):
 *
 *   node worker-bundle.mjs <entry.ts> <out.mjs>
 *
 * Beside the bundle it writes `<out.mjs>.json`: the node version it was built for and
 * the SHA-256 of every input as read here (each source file; the package.json and
 * tsconfig files of the folders holding them, which steer resolution and transpiling;
 * esbuild's package.json; this file), by which threads.ts knows the bundle is still
 * current. Node's built-ins stay imports. Each module's `import.meta.url` becomes its own source file's URL, so
 * what a module finds next to itself (the native kernels' .node file, a worker entry)
 * it still finds from the bundle. A plain .mjs file: it runs in a bare node, no tsx.
 * On failure it prints why on stderr and exits with 1.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx', '.json': 'json' };

/** Lets a CommonJS dependency inside the ESM bundle require node's built-ins. */
const BANNER = "import { createRequire as __bundleCreateRequire } from 'node:module';\nconst require = __bundleCreateRequire(import.meta.url);";

async function main(entry, out) {
  /** Path → SHA-256 of the bytes the bundle was built from. */
  const inputs = {};
  const read = (path) => {
    const bytes = readFileSync(path);
    inputs[path] = createHash('sha256').update(bytes).digest('hex');
    return bytes;
  };
  read(fileURLToPath(import.meta.url));
  read(createRequire(import.meta.url).resolve('esbuild/package.json'));
  const ownUrl = {
    name: 'own-import-meta-url',
    setup(build) {
      build.onLoad({ filter: /\.([cm]?[jt]s|[jt]sx|json)$/ }, (args) => {
        const text = read(args.path).toString('utf8');
        const url = JSON.stringify(pathToFileURL(args.path).href);
        return { contents: text.replace(/\bimport\.meta\.url\b/g, url), loader: LOADERS[extname(args.path)] ?? 'js' };
      });
    },
  };
  const suffix = `.${process.pid}.tmp`;
  mkdirSync(dirname(out), { recursive: true, mode: 0o700 });
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile: `${out}${suffix}`,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    banner: { js: BANNER },
    plugins: [ownUrl],
    logLevel: 'silent',
    metafile: true,
  });
  const folders = new Set();
  for (const input of Object.keys(result.metafile.inputs)) {
    for (let dir = dirname(join(process.cwd(), input)); !folders.has(dir); dir = dirname(dir)) {
      folders.add(dir);
      if (existsSync(join(dir, 'package.json'))) read(join(dir, 'package.json'));
      let names = [];
      try {
        names = readdirSync(dir);
      } catch {}
      for (const name of names) if (/^tsconfig.*\.json$/.test(name)) read(join(dir, name));
      if (dirname(dir) === dir) break;
    }
  }
  writeFileSync(`${out}.json${suffix}`, `${JSON.stringify({ node: process.version, entry, inputs }, null, 1)}\n`);
  // The bundle first, then what says it is current: a reader never takes a half-written file.
  renameSync(`${out}${suffix}`, out);
  renameSync(`${out}.json${suffix}`, `${out}.json`);
}

const [entry, out] = process.argv.slice(2);
if (!entry || !out) {
  process.stderr.write('usage: node worker-bundle.mjs <entry.ts> <out.mjs>\n');
  process.exit(2);
}
main(entry, out).catch((err) => {
  const errors = err?.errors?.length
    ? err.errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ''}${e.text}`).join('\n')
    : String(err?.stack ?? err);
  process.stderr.write(`${errors}\n`);
  process.exit(1);
});
