import { expect } from 'chai';
import { resolve, TOKENS } from '../../src/composition-root.js';
import { call, startHarness, type Harness } from '../support/harness.js';
import { REDIS_URL, requireRedis, uniquePrefix } from '../support/redis.js';

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('health endpoints for orchestrators', function () {
  this.timeout(20_000);

  describe('with the in-memory store', () => {
    let h: Harness;
    before(async () => {
      h = await startHarness();
    });
    after(() => h.close());

    it('GET /health/live answers 200 without touching any dependency', async () => {
      const res = await call(h.url('/health/live'));
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ status: 'ok' });
    });

    it('GET /health/ready answers 200 when the store answers and the instance is not draining', async () => {
      const res = await call(h.url('/health/ready'));
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ status: 'ready' });
    });

    it('GET / keeps the seed health answer', async () => {
      const res = await call(h.url('/'));
      expect(res.status).to.equal(200);
      expect(res.body.status).to.equal('ok');
      expect(res.body.version).to.be.a('string');
    });
  });

  describe('with Redis', () => {
    let h: Harness;
    before(async function () {
      await requireRedis(this);
      h = await startHarness({ SESSION_STORE: 'redis', REDIS_URL, REDIS_KEY_PREFIX: uniquePrefix('health'), SESSION_ENCRYPTION_KEY: KEY });
    });
    after(() => h?.close());

    it('is ready while Redis answers, and 503 not_ready naming the store once the connection is gone', async () => {
      expect((await call(h.url('/health/ready'))).status).to.equal(200);

      // The service's own client loses its connection; the shared server is untouched.
      await resolve(h.service.container, TOKENS.redis)!.close();
      const res = await call(h.url('/health/ready'));
      expect(res.status).to.equal(503);
      expect(res.body.error.code).to.equal('not_ready');
      expect(res.body.error.failing).to.deep.equal(['session_store']);
      expect(res.body.error.message).to.match(/session store/);
      expect(res.body.error.message, 'names the topology and its state').to.match(/redis single, not connected/);

      const live = await call(h.url('/health/live'));
      expect(live.status, 'liveness must not depend on the store').to.equal(200);
    });
  });
});
