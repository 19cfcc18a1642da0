import sinon from 'sinon';
import { FlexibleAttemptLimiter } from '../../src/infrastructure/rate-limit/flexible-attempt-limiter.js';
import { schemaPerSuite } from '../support/postgres.js';
import { redisSuite } from '../support/redis.js';
import { attemptLimiterContract } from './attempt-limiter.contract.js';

describe('FlexibleAttemptLimiter in memory', () => {
  let clock: sinon.SinonFakeTimers;
  // The memory store reads Date.now and expires keys with setTimeout: a fake clock ends a window without waiting.
  beforeEach(() => { clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date', 'setTimeout', 'clearTimeout'] }); });
  afterEach(() => clock.restore());

  attemptLimiterContract('FlexibleAttemptLimiter (memory)', () => ({
    make: (perMinute, name) => new FlexibleAttemptLimiter(perMinute, name),
    endWindow: async () => { clock.tick(60_001); },
  }));
});

describe('FlexibleAttemptLimiter on Redis (real Redis)', function () {
  const redis = redisSuite('limiter');
  const { prefix } = redis;

  let run = 0;
  attemptLimiterContract('FlexibleAttemptLimiter (Redis)', () => {
    // A prefix per test: counts never leak from one test into the next.
    const testPrefix = `${prefix}${++run}:`;
    return {
      make: (perMinute, name) => new FlexibleAttemptLimiter(perMinute, name, { connection: redis.connection, keyPrefix: testPrefix }),
      // The window is the key's TTL: deleting the key is what its expiry does.
      endWindow: async (name, key) => { await redis.client.del(`${testPrefix}${name}:${key}`); },
    };
  });
});

describe('FlexibleAttemptLimiter on PostgreSQL (real PostgreSQL)', function () {

  const schema = schemaPerSuite({ migrated: true });

  let run = 0;
  attemptLimiterContract('FlexibleAttemptLimiter (PostgreSQL)', () => {
    const testPrefix = `run${++run}:`;
    return {
      make: (perMinute, name) => new FlexibleAttemptLimiter(perMinute, name, { pool: schema().pool, tableName: 'rate_limits', keyPrefix: testPrefix }),
      // The window is the row's `expire`: deleting the row is what the window's end does.
      endWindow: async (name, key) => { await schema().pool.query('DELETE FROM rate_limits WHERE key = $1', [`${testPrefix}${name}:${key}`]); },
    };
  });
});
