// Preloaded (`--import`) into a service process that a test spawns: when the process exits, it writes the names of
// the npm packages the process loaded, sorted, as JSON to the file named by LOADED_PACKAGES_FILE. Plain
// JavaScript: it runs in the compiled service, without tsx. A package counts as loaded when
// - one of its files is in require's cache (every CommonJS module, also one imported from ESM), or
// - one of its files was loaded through the ES module loader (loaded-modules-hooks.mjs records those), or
// - its code is in a file of the bundle (dist/, per esbuild's metafile.json) that was loaded: in the bundle,
//   pg, node-redis, koa and the others are no files of their own but parts of the chunks that hold them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const metafile = path.join(root, 'dist/bundle/metafile.json');
const target = process.env['LOADED_PACKAGES_FILE'];
const modulesFile = `${target}.modules`;

if (target !== undefined) module.register('./loaded-modules-hooks.mjs', import.meta.url, { data: { file: modulesFile } });

/** The package a file belongs to: the last node_modules/ in its path names it, also for a nested one. */
const packageOf = (file) => /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1];

process.on('exit', () => {
  if (target === undefined) return;
  const names = new Set();
  const add = (file) => {
    const name = packageOf(file);
    if (name !== undefined) names.add(name);
  };
  for (const file of Object.keys(require.cache)) add(file);
  const loaded = existsSync(modulesFile) ? readFileSync(modulesFile, 'utf8').split('\n').filter(Boolean).map((url) => fileURLToPath(url)) : [];
  const outputs = existsSync(metafile) ? JSON.parse(readFileSync(metafile, 'utf8')).outputs : {};
  for (const file of loaded) {
    add(file);
    for (const input of Object.keys(outputs[path.relative(root, file)]?.inputs ?? {})) add(input);
  }
  writeFileSync(target, JSON.stringify([...names].sort()));
});
