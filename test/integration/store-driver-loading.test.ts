import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { call } from '../support/harness.js';
import { schemaPerSuite } from '../support/postgres.js';
import { REDIS_URL, requireRedis, uniquePrefix } from '../support/redis.js';
import { spawnService } from '../support/spawn-service.js';

const probe = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), '../support/loaded-packages-probe.mjs')).href;

/**
 * The compiled service (as production runs it) loads the driver of its own store only: pg and node-redis cost tens
 * to hundreds of milliseconds of every start. A probe preloaded into the process lists the packages it loaded: in
 * the bundle, those whose code is in a chunk it loaded (a driver made eager would land in a chunk every start loads).
 */
describe('store drivers load only for their store (compiled service, separate process)', function () {
  this.timeout(30_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'loaded-packages-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts the compiled service with `env`, asks GET /, stops it, and answers the packages it loaded. */
  async function packagesLoaded(label: string, env: Record<string, string>): Promise<string[]> {
    const file = path.join(dir, `${label}.json`);
    const service = await spawnService({ ...env, NODE_OPTIONS: `--import=${probe}`, LOADED_PACKAGES_FILE: file }, 15_000, 'compiled');
    try {
      expect((await call(`${service.baseUrl}/`)).status).to.equal(200);
    } finally {
      expect(await service.stop()).to.equal(0);
    }
    return JSON.parse(readFileSync(file, 'utf8')) as string[];
  }

  it('memory store: neither pg nor node-redis', async () => {
    const loaded = await packagesLoaded('memory', { SESSION_STORE: 'memory' });
    // The probe sees CommonJS packages the service imports (else the absences below would prove nothing).
    expect(loaded).to.include('koa');
    expect(loaded).not.to.include('pg');
    expect(loaded).not.to.include('@redis/client');
  });

  it('Redis store: node-redis, not pg', async function () {
    await requireRedis(this);
    const loaded = await packagesLoaded('redis', {
      SESSION_STORE: 'redis',
      REDIS_URL,
      REDIS_KEY_PREFIX: uniquePrefix('driver-loading'),
      SESSION_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    });
    expect(loaded).to.include('@redis/client');
    expect(loaded).not.to.include('pg');
  });

  describe('PostgreSQL store', () => {
    const schema = schemaPerSuite();

    it('pg, not node-redis', async () => {
      const loaded = await packagesLoaded('postgres', {
        SESSION_STORE: 'postgres',
        DATABASE_URL: schema().url,
        SESSION_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      });
      expect(loaded).to.include('pg');
      expect(loaded).not.to.include('@redis/client');
    });
  });
});
