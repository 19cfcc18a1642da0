// Preloaded (`--import`) into a service process that a test spawns: when the process exits, it writes the names of
// the npm packages the process loaded, sorted, as JSON to the file named by LOADED_PACKAGES_FILE. It reads
// require's cache, which holds every CommonJS module, also one imported from ESM (pg, koa, node-redis and the
// other heavy packages are CommonJS). Plain JavaScript: it runs in the compiled service, without tsx.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const target = process.env['LOADED_PACKAGES_FILE'];

process.on('exit', () => {
  if (target === undefined) return;
  const names = new Set();
  for (const file of Object.keys(require.cache)) {
    // The last node_modules/ in the path names the package, also for one nested in another's node_modules.
    const name = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1];
    if (name !== undefined) names.add(name);
  }
  writeFileSync(target, JSON.stringify([...names].sort()));
});
