import { expect } from 'chai';
import type { Clock } from '../../src/application/ports/clock.js';
import type { SessionStore } from '../../src/application/ports/session-store.js';
import type { Product } from '../../src/domain/product.js';
import type { Connection, OAuthCompletion, OAuthConnection, PendingOAuth, Session } from '../../src/domain/session.js';
import { completionIdOf, sessionIdOf, stateIdOf } from '../../src/domain/session-token.js';

/**
 * What one adapter gives the contract. `advance` lets time pass for the store without sleeping: an adapter on a
 * fake clock moves it; one whose backend keeps its own TTLs (Redis) also shortens every TTL it set by as much.
 */
export interface SessionStoreFixture {
  readonly store: SessionStore;
  /** The clock the store reads; the suite uses it to write absolute times such as PendingOAuth.expiresAt. */
  readonly clock: Clock;
  readonly advance: (ms: number) => Promise<void>;
  /** Idle TTL of a session with a connection. */
  readonly ttlSeconds: number;
  /** TTL of a session without one; shorter than `ttlSeconds` (the suite relies on 1.2 × it being shorter). */
  readonly emptyTtlSeconds: number;
  /** Absolute lifetime; a few idle TTLs, so the suite can outlive it by reading. */
  readonly maxAgeSeconds: number;
  readonly cleanup?: () => Promise<void>;
}

export function sessionStoreContract(name: string, make: () => Promise<SessionStoreFixture>): void {
  describe(`SessionStore contract: ${name}`, () => {
    let fixture: SessionStoreFixture;
    let store: SessionStore;
    let ttlMs: number;
    let emptyTtlMs: number;
    let maxAgeMs: number;
    let ids = 0;

    /** A fresh session id shaped like the real ones (a hash of a token). */
    function newId(): string {
      return sessionIdOf(`contract-${name}-${process.pid}-${Date.now()}-${++ids}`);
    }

    function connection(product: Product, version: string, accessToken = `access-${version}`): OAuthConnection {
      return {
        product,
        method: 'oauth',
        site: { id: 'cloud-acme', url: 'https://acme.atlassian.net', name: 'Acme' },
        connectedAt: fixture.clock.now(),
        version,
        accessToken,
        refreshToken: `refresh-${version}`,
        accessTokenExpiresAt: fixture.clock.now() + 3_600_000,
        scopes: ['read:jira-work', 'offline_access'],
      };
    }

    function pending(sessionId: string, expiresInMs: number): PendingOAuth {
      return {
        stateId: stateIdOf(`state-${newId()}`),
        product: 'jira',
        sessionId,
        sessionToken: `token-of-${sessionId}`,
        preferredSite: 'acme.atlassian.net',
        codeVerifier: `verifier-of-${sessionId}`,
        expiresAt: fixture.clock.now() + expiresInMs,
      };
    }

    function completion(sessionId: string, expiresInMs: number): OAuthCompletion {
      const site = { id: 'cloud-acme', url: 'https://acme.atlassian.net', name: 'Acme' };
      return {
        completionId: completionIdOf(`completion-${newId()}`),
        sessionId,
        connection: connection('jira', `v-${sessionId}`),
        site,
        sites: [site, { id: 'cloud-beta', url: 'https://beta.atlassian.net', name: 'Beta' }],
        expiresAt: fixture.clock.now() + expiresInMs,
      };
    }

    beforeEach(async () => {
      fixture = await make();
      store = fixture.store;
      ttlMs = fixture.ttlSeconds * 1000;
      emptyTtlMs = fixture.emptyTtlSeconds * 1000;
      maxAgeMs = fixture.maxAgeSeconds * 1000;
    });

    afterEach(async () => {
      await fixture.cleanup?.();
    });

    describe('sessions', () => {
      it('answers undefined for an absent session', async () => {
        expect(await store.get(newId())).to.equal(undefined);
      });

      it('returns a created session from get', async () => {
        const id = newId();
        const before = fixture.clock.now();

        const created = await store.create(id);
        const read = await store.get(id);

        expect(created).to.deep.include({ id, connections: {} });
        expect(created.createdAt).to.be.at.least(before - 1000);
        expect(read).to.deep.include({ id, createdAt: created.createdAt, endsAt: created.createdAt + maxAgeMs, connections: {} });
        // Without a connection the session has the short TTL from its creation, not the idle one.
        expect(read?.expiresAt).to.be.closeTo(created.createdAt + emptyTtlMs, 100);
      });

      it('deletes a session', async () => {
        const id = newId();
        await store.create(id);
        await store.putConnection(id, connection('jira', 'v1'));

        await store.delete(id);

        expect(await store.get(id)).to.equal(undefined);
      });

      it('deletes an absent session without complaint', async () => {
        await store.delete(newId());
      });

      it('forgets a session left idle for its TTL', async () => {
        const id = newId();
        await store.create(id);
        await store.putConnection(id, connection('jira', 'v1'));

        await fixture.advance(ttlMs * 1.2);

        expect(await store.get(id)).to.equal(undefined);
      });

      it('extends the idle expiry on every get', async () => {
        const id = newId();
        await store.create(id);
        await store.putConnection(id, connection('jira', 'v1'));

        await fixture.advance(ttlMs * 0.6);
        expect(await store.get(id), 'read before expiry').to.not.equal(undefined);
        await fixture.advance(ttlMs * 0.6);

        // 1.2 TTL after the last write: only the extension by the first get keeps it.
        expect((await store.get(id))?.connections.jira?.version).to.equal('v1');
      });
    });

    describe('lifetimes: empty sessions are short-lived, every session has an end', () => {
      it('forgets a session without a connection after the short TTL, and reading it does not extend it', async () => {
        const id = newId();
        await store.create(id);

        await fixture.advance(emptyTtlMs * 0.6);
        expect(await store.get(id), 'read before the short TTL').to.not.equal(undefined);
        await fixture.advance(emptyTtlMs * 0.6);

        expect(await store.get(id)).to.equal(undefined);
      });

      it('gives a session the idle TTL once it holds a connection', async () => {
        const id = newId();
        await store.create(id);
        await store.putConnection(id, connection('jira', 'v1'));

        await fixture.advance(emptyTtlMs * 1.2);

        const session = await store.get(id);
        expect(session?.connections.jira?.version).to.equal('v1');
        expect(session?.expiresAt).to.be.closeTo(fixture.clock.now() + ttlMs, 100);
      });

      it('falls back to the short TTL when the last connection is removed', async () => {
        const id = newId();
        await store.create(id);
        await store.putConnection(id, connection('jira', 'v1'));
        expect(await store.removeConnection(id, 'jira')).to.equal(true);

        await fixture.advance(emptyTtlMs * 1.2);

        expect(await store.get(id)).to.equal(undefined);
      });

      it('a new flow for an empty session lets it live the short TTL from now, and no longer', async () => {
        const id = newId();
        await store.create(id);
        await fixture.advance(emptyTtlMs * 0.6);

        await store.putPendingOAuth(pending(id, emptyTtlMs / 2));
        await fixture.advance(emptyTtlMs * 0.6);
        expect(await store.get(id), 'within the short TTL of the new flow').to.not.equal(undefined);
        await fixture.advance(emptyTtlMs * 0.6);

        expect(await store.get(id)).to.equal(undefined);
      });

      it('ends a session at its maximum age however active, and never reports an expiry past that end', async () => {
        const id = newId();
        const created = await store.create(id);
        await store.putConnection(id, connection('jira', 'v1'));

        let last: Session | undefined;
        while (fixture.clock.now() + ttlMs * 0.6 < created.endsAt) {
          await fixture.advance(ttlMs * 0.6);
          last = await store.get(id);
          expect(last, 'a used session before its end').to.not.equal(undefined);
          expect(last!.endsAt).to.equal(created.createdAt + maxAgeMs);
          expect(last!.expiresAt).to.be.at.most(last!.endsAt);
        }
        expect(last?.expiresAt, 'the last read before the end expires at the end').to.be.closeTo(created.endsAt, 50);
        await fixture.advance(created.endsAt - fixture.clock.now() + 1);

        expect(await store.get(id)).to.equal(undefined);
        expect(await store.putConnection(id, connection('jira', 'v2'))).to.equal(false);
        expect(await store.get(id)).to.equal(undefined);
      });
    });

    describe('connections', () => {
      it('stores a connection in a created session', async () => {
        const id = newId();
        await store.create(id);

        const jira = connection('jira', 'v1');
        expect(await store.putConnection(id, jira)).to.equal(true);

        const session = await store.get(id);
        expect(session?.id).to.equal(id);
        expect(session?.connections.jira).to.deep.equal(jira);
      });

      it('does not create a session when a connection is put for an absent id', async () => {
        const id = newId();

        expect(await store.putConnection(id, connection('jira', 'v1'))).to.equal(false);

        expect(await store.get(id)).to.equal(undefined);
      });

      it('does not bring back a deleted session: a write after logout is refused', async () => {
        const id = newId();
        await store.create(id);
        await store.putConnection(id, connection('jira', 'v1'));
        await store.delete(id);

        expect(await store.putConnection(id, connection('confluence', 'c1'))).to.equal(false);
        expect(await store.putConnection(id, connection('jira', 'v2'), { expectedVersion: 'v1' })).to.equal(false);
        expect(await store.removeConnection(id, 'jira')).to.equal(false);
        await store.putPendingOAuth(pending(id, 60_000));

        expect(await store.get(id)).to.equal(undefined);
      });

      it('does not bring back an expired session', async () => {
        const id = newId();
        await store.create(id);
        await fixture.advance(emptyTtlMs * 1.2);

        expect(await store.putConnection(id, connection('jira', 'v1'))).to.equal(false);

        expect(await store.get(id)).to.equal(undefined);
      });

      it('keeps one product when the other is put', async () => {
        const id = newId();
        await store.create(id);

        await store.putConnection(id, connection('jira', 'j1'));
        await store.putConnection(id, connection('confluence', 'c1'));

        const session = await store.get(id);
        expect(session?.connections.jira?.version).to.equal('j1');
        expect(session?.connections.confluence?.version).to.equal('c1');
      });

      it('replaces the connection of the same product', async () => {
        const id = newId();
        await store.create(id);
        await store.putConnection(id, connection('jira', 'v1'));

        await store.putConnection(id, connection('jira', 'v2'));

        expect((await store.get(id))?.connections.jira?.version).to.equal('v2');
      });

      it('removes one product and keeps the other', async () => {
        const id = newId();
        await store.create(id);
        await store.putConnection(id, connection('jira', 'j1'));
        await store.putConnection(id, connection('confluence', 'c1'));

        expect(await store.removeConnection(id, 'jira')).to.equal(true);

        const session = await store.get(id);
        expect(session?.connections.jira).to.equal(undefined);
        expect(session?.connections.confluence?.version).to.equal('c1');
      });

      it('removes a connection of an absent session without complaint or creating it', async () => {
        const id = newId();

        expect(await store.removeConnection(id, 'jira')).to.equal(false);

        expect(await store.get(id)).to.equal(undefined);
      });
    });

    describe('compare-and-set', () => {
      it('writes when the expected version matches', async () => {
        const id = newId();
        await store.create(id);
        await store.putConnection(id, connection('jira', 'v1'));

        const written = await store.putConnection(id, connection('jira', 'v2', 'refreshed'), { expectedVersion: 'v1' });

        expect(written).to.equal(true);
        expect((await store.get(id))?.connections.jira).to.deep.include({ version: 'v2', accessToken: 'refreshed' });
      });

      it('does not write when the expected version differs', async () => {
        const id = newId();
        await store.create(id);
        await store.putConnection(id, connection('jira', 'v1'));
        await store.putConnection(id, connection('jira', 'v2'));

        const written = await store.putConnection(id, connection('jira', 'v3', 'stale'), { expectedVersion: 'v1' });

        expect(written).to.equal(false);
        expect((await store.get(id))?.connections.jira).to.deep.include({ version: 'v2', accessToken: 'access-v2' });
      });

      it("compares against the same product's connection only", async () => {
        const id = newId();
        await store.create(id);
        await store.putConnection(id, connection('confluence', 'v1'));

        const written = await store.putConnection(id, connection('jira', 'v2'), { expectedVersion: 'v1' });

        expect(written).to.equal(false);
        expect((await store.get(id))?.connections.jira).to.equal(undefined);
      });

      it('does not write, nor create the session, when a version is expected but there is no connection', async () => {
        const id = newId();

        const written = await store.putConnection(id, connection('jira', 'v1'), { expectedVersion: 'v0' });

        expect(written).to.equal(false);
        expect(await store.get(id)).to.equal(undefined);
      });
    });

    describe('compare-and-remove', () => {
      it('removes when the expected version matches', async () => {
        const id = newId();
        await store.create(id);
        await store.putConnection(id, connection('jira', 'v1'));

        expect(await store.removeConnection(id, 'jira', { expectedVersion: 'v1' })).to.equal(true);

        expect((await store.get(id))?.connections.jira).to.equal(undefined);
      });

      it('keeps a newer connection when the expected version differs', async () => {
        const id = newId();
        await store.create(id);
        await store.putConnection(id, connection('jira', 'v1'));
        await store.putConnection(id, connection('jira', 'v2'));

        expect(await store.removeConnection(id, 'jira', { expectedVersion: 'v1' })).to.equal(false);

        expect((await store.get(id))?.connections.jira?.version).to.equal('v2');
      });
    });

    describe('copies', () => {
      it('returns copies or frozen values: changing a returned session does not change the stored one', async () => {
        const id = newId();
        await store.create(id);
        await store.putConnection(id, connection('jira', 'v1'));

        const first = await store.get(id);
        expect(first).to.not.equal(undefined);
        const connections = first?.connections as Partial<Record<Product, Connection>>;
        try {
          (connections.jira as { accessToken: string }).accessToken = 'tampered';
        } catch (error) {
          // A store may hand out frozen connections instead of copies: then the write itself fails.
          expect(error).to.be.instanceOf(TypeError);
        }
        delete connections.jira;
        connections.confluence = connection('confluence', 'injected');
        (first as { -readonly [K in keyof Session]: Session[K] }).createdAt = 0;

        const second = await store.get(id);
        expect(second?.connections.jira?.version).to.equal('v1');
        expect(second?.connections.jira).to.deep.include({ accessToken: 'access-v1' });
        expect(second?.connections.confluence).to.equal(undefined);
        expect(second?.createdAt).to.not.equal(0);
      });

      it('keeps a copy: changing a connection after putting it does not change the stored one', async () => {
        const id = newId();
        await store.create(id);
        const put = connection('jira', 'v1');
        await store.putConnection(id, put);

        (put as { accessToken: string }).accessToken = 'tampered';
        (put.scopes as string[]).push('write:jira-work');

        expect((await store.get(id))?.connections.jira).to.deep.include({
          accessToken: 'access-v1',
          scopes: ['read:jira-work', 'offline_access'],
        });
      });
    });

    describe('pending OAuth flows', () => {
      it('returns a pending flow once, then never again', async () => {
        const flow = pending(newId(), 60_000);
        await store.putPendingOAuth(flow);

        expect(await store.takePendingOAuth(flow.stateId)).to.deep.equal(flow);
        expect(await store.takePendingOAuth(flow.stateId)).to.equal(undefined);
      });

      it('answers undefined for an unknown state', async () => {
        expect(await store.takePendingOAuth(stateIdOf('never-issued'))).to.equal(undefined);
      });

      it('keeps flows apart', async () => {
        const first = pending(newId(), 60_000);
        const second = pending(newId(), 60_000);
        await store.putPendingOAuth(first);
        await store.putPendingOAuth(second);

        expect((await store.takePendingOAuth(second.stateId))?.sessionId).to.equal(second.sessionId);
        expect((await store.takePendingOAuth(first.stateId))?.sessionId).to.equal(first.sessionId);
      });

      it('forgets an expired flow', async () => {
        // Half a session TTL: at most one second on a real-time adapter.
        const lifetime = Math.min(ttlMs / 2, 1000);
        const flow = pending(newId(), lifetime);
        await store.putPendingOAuth(flow);

        await fixture.advance(lifetime * 1.2);

        expect(await store.takePendingOAuth(flow.stateId)).to.equal(undefined);
      });

      it('does not create a session, nor change a connected one', async () => {
        const absent = newId();
        const present = newId();
        await store.create(present);
        await store.putConnection(present, connection('jira', 'v1'));

        await store.putPendingOAuth(pending(absent, 60_000));
        await store.putPendingOAuth(pending(present, 60_000));

        expect(await store.get(absent)).to.equal(undefined);
        expect(Object.keys((await store.get(present))?.connections ?? {})).to.deep.equal(['jira']);
      });
    });

    describe('OAuth completions', () => {
      it('returns a completion once, then never again', async () => {
        const finished = completion(newId(), 60_000);
        await store.putCompletion(finished);

        expect(await store.takeCompletion(finished.completionId)).to.deep.equal(finished);
        expect(await store.takeCompletion(finished.completionId)).to.equal(undefined);
      });

      it('answers undefined for an unknown completion', async () => {
        expect(await store.takeCompletion(completionIdOf('never-issued'))).to.equal(undefined);
      });

      it('keeps completions apart, and apart from pending flows', async () => {
        const first = completion(newId(), 60_000);
        const second = completion(newId(), 60_000);
        await store.putCompletion(first);
        await store.putCompletion(second);

        expect(await store.takePendingOAuth(first.completionId), 'a completion is not a state').to.equal(undefined);
        expect((await store.takeCompletion(second.completionId))?.sessionId).to.equal(second.sessionId);
        expect((await store.takeCompletion(first.completionId))?.sessionId).to.equal(first.sessionId);
      });

      it('forgets an expired completion', async () => {
        const lifetime = Math.min(ttlMs / 2, 1000);
        const finished = completion(newId(), lifetime);
        await store.putCompletion(finished);

        await fixture.advance(lifetime * 1.2);

        expect(await store.takeCompletion(finished.completionId)).to.equal(undefined);
      });

      it('does not create or touch a session', async () => {
        const absent = newId();
        const present = newId();
        await store.create(present);
        await store.putConnection(present, connection('confluence', 'c1'));

        await store.putCompletion(completion(absent, 60_000));
        await store.putCompletion(completion(present, 60_000));

        expect(await store.get(absent)).to.equal(undefined);
        expect(Object.keys((await store.get(present))?.connections ?? {})).to.deep.equal(['confluence']);
      });
    });
  });
}
