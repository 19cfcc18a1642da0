import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { call } from '../support/harness.js';
import { spawnService } from '../support/spawn-service.js';

/** Every file under `dir`, at any depth (Node keeps one subfolder per version and user). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => entry.name);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Metafile {
  outputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
}

/**
 * The files of the bundle that every start loads (esbuild's metafile of the build): dist/main.js, the chunk it
 * imports the service from, and what that chunk imports in turn — not the chunks loaded only on demand.
 */
function bundleFilesLoadedAtStart(): string[] {
  const { outputs } = JSON.parse(readFileSync(path.join(root, 'dist/bundle/metafile.json'), 'utf8')) as Metafile;
  const loaded = new Set<string>();
  const visit = (file: string, kinds: readonly string[]): void => {
    if (loaded.has(file)) return;
    loaded.add(file);
    for (const imported of outputs[file]?.imports ?? []) if (!imported.external && kinds.includes(imported.kind)) visit(imported.path, ['import-statement']);
  };
  // main.js imports the service dynamically, after it has turned the cache on.
  visit('dist/main.js', ['import-statement', 'dynamic-import']);
  return [...loaded];
}

/** dist/main.js turns on Node's compile cache, where Node has one (>= 22.1), and honours Node's own variables. */
describe('compile cache (compiled service, separate process)', function () {
  this.timeout(30_000);
  let dir: string;

  before(function () {
    if (!('enableCompileCache' in module)) {
      console.warn(`\n!!! SKIPPED: "${this.test?.parent?.fullTitle()}" — Node ${process.version} has no compile cache (>= 22.1 has).\n`);
      this.skip();
    }
    dir = mkdtempSync(path.join(os.tmpdir(), 'compile-cache-'));
  });
  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  const startAndStop = async (env: Record<string, string>): Promise<void> => {
    const service = await spawnService(env, 15_000, 'compiled');
    try {
      expect((await call(`${service.baseUrl}/`)).status).to.equal(200);
    } finally {
      expect(await service.stop()).to.equal(0);
    }
  };

  it('writes the cache to NODE_COMPILE_CACHE', async () => {
    const cache = path.join(dir, 'on');
    await startAndStop({ NODE_COMPILE_CACHE: cache });
    // Not only the entry point: every file of the bundle that a start loads (one cache entry per module).
    const atStart = bundleFilesLoadedAtStart();
    expect(atStart.length).to.be.greaterThan(2);
    expect(filesUnder(cache).length).to.be.at.least(atStart.length);
  });

  it('writes nothing with NODE_DISABLE_COMPILE_CACHE=1', async () => {
    const cache = path.join(dir, 'off');
    await startAndStop({ NODE_COMPILE_CACHE: cache, NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(filesUnder(cache)).to.deep.equal([]);
  });
});
