import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { call } from '../support/harness.js';
import { spawnService } from '../support/spawn-service.js';

/** Every file under `dir`, at any depth (Node keeps one subfolder per version and user). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => entry.name);
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
    // Far more than the entry point: the service's modules and its dependencies.
    expect(filesUnder(cache).length).to.be.greaterThan(100);
  });

  it('writes nothing with NODE_DISABLE_COMPILE_CACHE=1', async () => {
    const cache = path.join(dir, 'off');
    await startAndStop({ NODE_COMPILE_CACHE: cache, NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(filesUnder(cache)).to.deep.equal([]);
  });
});
