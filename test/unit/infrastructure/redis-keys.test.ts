import { expect } from 'chai';
import { RedisLock } from '../../../src/infrastructure/lock/redis-lock.js';
import { RedisQuotaBlocks } from '../../../src/infrastructure/quota/redis-quota-blocks.js';
import type { RedisArg, RedisConnection, RedisScript } from '../../../src/infrastructure/redis/redis-connection.js';
import { FixedClock } from '../../support/port-fakes.js';

/** Records what the adapters send and under which routing key: the Cluster rules are about exactly that. */
function recordingConnection(reply: (args: readonly RedisArg[]) => unknown = () => 'OK') {
  const sent: Array<{ key: string | undefined; args: readonly RedisArg[] }> = [];
  const connection: RedisConnection = {
    topology: 'cluster',
    isReady: true,
    command: async <T>(key: string | undefined, args: readonly RedisArg[]) => {
      sent.push({ key, args });
      return reply(args) as T;
    },
    eval: async <T>(_script: RedisScript, keys: readonly string[], args: readonly RedisArg[]) => {
      sent.push({ key: keys[0], args: ['EVALSHA', ...keys, ...args] });
      return 1 as T;
    },
    waitForReplicas: async () => ({ wanted: 0, acknowledged: 0 }),
    connect: async () => undefined,
    ping: async () => undefined,
    close: async () => undefined,
  };
  return { connection, sent };
}

describe('Redis key names under Cluster (hash tags)', () => {
  it("a session's refresh lease carries the session id as its hash tag, routed and released under that key", async () => {
    const { connection, sent } = recordingConnection();
    const release = await new RedisLock(connection, 'app:').tryAcquire('refresh:SESSION-ID:jira', 5_000);
    await release!();
    expect(sent.map((command) => command.key)).to.deep.equal(['app:lock:refresh:{SESSION-ID}:jira', 'app:lock:refresh:{SESSION-ID}:jira']);
    expect(sent[0]!.args.slice(0, 2)).to.deep.equal(['SET', 'app:lock:refresh:{SESSION-ID}:jira']);
  });

  it('the session key and its lease hash to the same slot tag', async () => {
    const { connection, sent } = recordingConnection();
    await new RedisLock(connection, 'app:').tryAcquire('refresh:abc:confluence', 5_000);
    const tag = /\{([^}]*)\}/.exec(sent[0]!.key!)?.[1];
    expect(tag).to.equal('abc');
  });

  it('quota blocks are read with one GET per key, never a multi-key MGET across slots', async () => {
    const clock = new FixedClock(1_000);
    const { connection, sent } = recordingConnection((args) => (args[1] === 'app:quota-block:tenant:c:1' ? '9000' : null));
    const until = await new RedisQuotaBlocks(connection, 'app:', clock).blockedUntil(['global:c', 'tenant:c:1']);
    expect(until).to.equal(9_000);
    expect(sent).to.deep.equal([
      { key: 'app:quota-block:global:c', args: ['GET', 'app:quota-block:global:c'] },
      { key: 'app:quota-block:tenant:c:1', args: ['GET', 'app:quota-block:tenant:c:1'] },
    ]);
  });
});
