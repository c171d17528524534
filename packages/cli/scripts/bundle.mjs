/**
 * The CLI and core as a few files (dist/bundle/), made from the compiled modules in dist/ by
 * esbuild. Why: Node loads ES modules one by one (resolve, stat, read, compile, link), and
 * `scan2print convert` loads about 300 of them (core, zod with its 60 locales, commander) on the
 * main thread before any work starts, and each pool worker ~75. On the 2-core bench machine a
 * convert of a missing folder took 0.46-0.67 s from the modules and 0.36-0.52 s from the bundle;
 * a convert of the phantom head 0.32 s less (bench/results/convert.md). bin/choose-entry.js runs
 * the bundle when it is at least as new as the last compile, else the modules.
 *
 * Not bundled: packages that load files of their own by path (the codecs' and manifold's
 * WebAssembly), and @scan2print/server: the server imports core from its own package, so a
 * command that uses it next to a bundled copy of core would hold two copies (two ScanError
 * classes). Such commands run from the modules (bin/choose-entry.js); in the bundle the server
 * is a module that says so, so a command that reaches it without that routing fails loudly.
 *
 * Written to a fresh folder, then put in place: a command started during a build runs the
 * modules, never half a bundle (one already running from the old bundle may not find a chunk it
 * loads late, as one running from dist/ may not while tsc rewrites it: rebuild, run again).
 */
import { build } from 'esbuild';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(pkg, 'dist/bundle');
const next = `${out}.next-${process.pid}`;

const EXTERNAL = ['@cornerstonejs/*', 'dcmjs-codecs', 'manifold-3d'];

/** @scan2print/server inside the bundle: an error that names the cause, on first load. */
const serverStub = {
  name: 'server-stub',
  setup(b) {
    b.onResolve({ filter: /^@scan2print\/server$/ }, () => ({ path: 'server', namespace: 'server-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'server-stub' }, () => ({
      contents: "throw new Error('scan2print: this command uses @scan2print/server and runs from dist/main.js, not the bundle (bin/choose-entry.js)');",
      loader: 'js',
    }));
  },
};

rmSync(next, { recursive: true, force: true });
await build({
  // The pool's workers too (node-pool.ts finds worker-entry.js beside it): each loads ~75 modules
  // when it starts, while the main thread reads the input. Both share the chunks, and a task's
  // module still loads on a worker's first run of it (core/parallel/task-modules.ts).
  entryPoints: { main: join(pkg, 'dist/main.js'), 'worker-entry': join(pkg, 'dist/pool/worker-entry.js') },
  outdir: next,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  plugins: [serverStub],
  // Bundled CommonJS (commander, dcmjs) calls require() for Node's own modules.
  banner: { js: "import { createRequire as __s2pRequire } from 'node:module'; const require = __s2pRequire(import.meta.url);" },
  logLevel: 'warning',
});
if (existsSync(out)) rmSync(out, { recursive: true, force: true });
renameSync(next, out);
