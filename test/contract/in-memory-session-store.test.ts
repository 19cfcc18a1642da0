import { expect } from 'chai';
import { sessionIdOf, stateIdOf } from '../../src/domain/session-token.js';
import type { ApiTokenConnection } from '../../src/domain/session.js';
import { InMemorySessionStore } from '../../src/infrastructure/session/in-memory-session-store.js';
import { FixedClock } from '../support/port-fakes.js';
import { sessionStoreContract } from './session-store.contract.js';

sessionStoreContract('InMemorySessionStore', async () => {
  const clock = new FixedClock();
  const limits = { ttlSeconds: 60, emptyTtlSeconds: 20, maxAgeSeconds: 200 };
  return {
    store: new InMemorySessionStore(clock, limits.ttlSeconds, limits),
    clock,
    advance: async (ms: number) => clock.advance(ms),
    ...limits,
  };
});

describe('InMemorySessionStore: size bound (MEMORY_STORE_MAX_SESSIONS)', () => {
  const id = (name: string) => sessionIdOf(`bound-${name}`);
  const connection: ApiTokenConnection = {
    product: 'jira',
    method: 'api_token',
    site: { url: 'https://acme.atlassian.net' },
    connectedAt: 0,
    version: 'v1',
    email: 'ada@example.com',
    apiToken: 'token',
    route: 'site',
  };

  function makeStore(maxSessions: number) {
    const clock = new FixedClock();
    return { clock, store: new InMemorySessionStore(clock, 3600, { emptyTtlSeconds: 720, maxSessions }) };
  }

  it('evicts sessions without a connection first, oldest first, and keeps connected ones', async () => {
    const { store, clock } = makeStore(3);
    await store.create(id('connected'));
    await store.putConnection(id('connected'), connection);
    await store.create(id('empty-1'));
    clock.advance(1);
    await store.create(id('empty-2'));

    await store.create(id('new-1'));
    await store.create(id('new-2'));

    expect(store.size).to.equal(3);
    expect(await store.get(id('connected'))).to.not.equal(undefined);
    expect(await store.get(id('empty-1'))).to.equal(undefined);
    expect(await store.get(id('empty-2'))).to.equal(undefined);
    expect(await store.get(id('new-1'))).to.not.equal(undefined);
    expect(await store.get(id('new-2'))).to.not.equal(undefined);
  });

  it('with only connected sessions, evicts the least recently used', async () => {
    const { store } = makeStore(2);
    for (const name of ['a', 'b']) {
      await store.create(id(name));
      await store.putConnection(id(name), connection);
    }
    await store.get(id('a'));

    await store.create(id('c'));

    expect(await store.get(id('a'))).to.not.equal(undefined);
    expect(await store.get(id('b'))).to.equal(undefined);
    expect(await store.get(id('c'))).to.not.equal(undefined);
  });

  it('100,000 anonymous starts hold at most the bound, and a connected session survives them', async () => {
    const { store } = makeStore(1_000);
    await store.create(id('user'));
    await store.putConnection(id('user'), connection);

    for (let i = 0; i < 100_000; i++) {
      const sessionId = id(`anonymous-${i}`);
      await store.create(sessionId);
      await store.putPendingOAuth({
        stateId: stateIdOf(`state-${i}`),
        product: 'jira',
        sessionId,
        sessionToken: `token-${i}`,
        expiresAt: Number.MAX_SAFE_INTEGER,
      });
    }

    expect(store.size).to.equal(1_000);
    expect((await store.get(id('user')))?.connections.jira?.version).to.equal('v1');
  });

  it('forgets the anonymous sessions once their short TTL has passed', async () => {
    const { store, clock } = makeStore(100_000);
    for (let i = 0; i < 1_000; i++) await store.create(id(`anonymous-${i}`));

    clock.advance(720_001);
    // Each write sweeps a batch of expired entries; a few writes clear them all.
    for (let i = 0; i < 20; i++) await store.create(id(`later-${i}`));

    expect(store.size).to.equal(20);
  });
});
