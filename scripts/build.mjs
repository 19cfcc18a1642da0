// Compiles src/ into dist/ with tsc, then bundles that output with esbuild so that `node dist/main.js` loads a
// handful of files instead of a few hundred modules (docs/operations.md#production-build). `--if-stale` builds
// only when dist/ is missing or older than its sources, so `npm start` on a fresh clone builds once and later
// starts skip the compiler.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const stamp = path.join(dist, '.build-stamp');
const inputs = ['src', 'scripts/build.mjs', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

function newestMtime(target) {
  const stats = statSync(target);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

function isStale() {
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  return inputs.some((input) => existsSync(path.join(root, input)) && newestMtime(path.join(root, input)) > built);
}

if (process.argv.includes('--if-stale') && !isStale()) process.exit(0);

// A clean output: a module deleted from src/ must not live on in dist/.
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
process.stderr.write('Building dist/ from src/ (tsc -p tsconfig.build.json)\n');
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
process.stderr.write('Bundling dist/main.js and what it imports (esbuild) into dist/main.js + dist/bundle/\n');
await bundle();
writeFileSync(stamp, `${new Date().toISOString()}\n`);

/**
 * Bundles the compiled service from its entry point. The bundle's dist/main.js replaces tsc's (the same bootstrap:
 * it turns on the compile cache, then imports the service), and everything it imports lands in chunks in
 * dist/bundle/; each dynamic import (store drivers, OpenTelemetry SDK, body parser, rate limiter, API docs) keeps a
 * chunk of its own that loads only when the code asks for it. tsc's other files stay in dist/, unused at run time.
 */
async function bundle() {
  const esbuild = createRequire(import.meta.url)('esbuild');
  const result = await esbuild.build({
    entryPoints: [path.join(dist, 'main.js')],
    outdir: dist,
    entryNames: '[name]',
    chunkNames: 'bundle/[name]-[hash]',
    allowOverwrite: true,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    // Chained through tsc's maps, so a mapped stack names the TypeScript source (node --enable-source-maps). The
    // sources' text stays out of the maps: a stack needs only their names, lines and columns.
    sourcemap: true,
    sourcesContent: false,
    // Less text to read and hash at each start (about 25 ms of it); identifiers stay, so an unmapped stack still
    // names the functions.
    minifyWhitespace: true,
    minifySyntax: true,
    // Off: keeping names wraps every named function and class in a `__name()` call that redefines its `name`, and
    // the closures made per request paid it on every request (about 4 % of a listing's CPU, docs/performance.md).
    // Without it esbuild renames only identifiers that clash between modules (pg's Client becomes Client2); nothing
    // reads those names at run time: error classes set `name` themselves, and node-fetch's error classes keep theirs
    // (test/unit/bundle-names.test.ts).
    keepNames: false,
    legalComments: 'eof',
    external: [
      // Read files beside themselves at run time (the API docs' static assets): they stay in node_modules.
      'koa2-swagger-ui',
      'swagger-ui-dist',
      // Optional: pg loads pg-native only when asked to, and cloudflare:sockets only on Cloudflare Workers.
      'pg-native',
      'cloudflare:sockets',
    ],
    // The CommonJS packages in the bundle call require() for Node's built-in modules; an ES module has none.
    banner: { js: "import { createRequire as __bundleCreateRequire } from 'node:module';\nconst require = __bundleCreateRequire(import.meta.url);" },
    absWorkingDir: root,
    metafile: true,
    logLevel: 'warning',
  });
  // Which chunk holds which module: for esbuild's bundle analyser, and for the test that proves the store drivers
  // stay out of the chunks a start loads (test/integration/store-driver-loading.test.ts).
  writeFileSync(path.join(dist, 'bundle', 'metafile.json'), JSON.stringify(result.metafile));
}
