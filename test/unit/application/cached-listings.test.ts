import { expect } from 'chai';
import sinon from 'sinon';
import { ListProjects } from '../../../src/application/use-cases/list-projects.js';
import { DisconnectProduct } from '../../../src/application/use-cases/disconnect-product.js';
import { EndSession } from '../../../src/application/use-cases/end-session.js';
import { listingKey } from '../../../src/application/cached-listings.js';
import { AppError, RetryableError } from '../../../src/domain/errors.js';
import type { Project } from '../../../src/domain/listing.js';
import type { Connection } from '../../../src/domain/session.js';
import { sessionIdOf } from '../../../src/domain/session-token.js';
import { InMemoryListingCache } from '../../../src/infrastructure/listing-cache/in-memory-listing-cache.js';
import { InMemorySessionStore } from '../../../src/infrastructure/session/in-memory-session-store.js';
import { apiTokenConnection, oauthConnection } from '../../support/connections.js';
import {
  expectAppError,
  FixedClock,
  makeCachedListings,
  makeConnectionAccess,
  SequenceTokenGenerator,
  START_OF_TEST,
  stubJiraGateway,
  TEST_DEADLINE_MS,
} from '../../support/port-fakes.js';
import type { ListingCacheSettings } from '../../../src/application/cached-listings.js';

const OLD: Project[] = [{ id: '1', key: 'OLD', name: 'Old' }];
const NEW: Project[] = [{ id: '2', key: 'NEW', name: 'New' }];
const TTL = 60_000;
const STALE = 600_000;

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets queued promise callbacks (a background refresh) run to their end. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function makeSut(settings: Partial<ListingCacheSettings> = {}) {
  const clock = new FixedClock();
  const store = new InMemorySessionStore(clock, 86_400);
  const tokens = new SequenceTokenGenerator();
  const jira = stubJiraGateway();
  jira.listProjects.resolves(OLD);
  const { access, oauth } = makeConnectionAccess(store, clock);
  oauth.refresh.resolves({ accessToken: 'access-2', refreshToken: 'refresh-2', expiresInSeconds: 3600, scopes: ['read:jira-work'] });
  const cache = new InMemoryListingCache(clock, 1024 * 1024);
  const { listings, answers } = makeCachedListings(store, clock, access, settings, cache);
  const sut = new ListProjects(listings, jira);

  async function session(connection: Connection = apiTokenConnection('jira')): Promise<string> {
    const token = tokens.sessionToken();
    await store.create(sessionIdOf(token));
    await store.putConnection(sessionIdOf(token), connection);
    return token;
  }
  /** A second instance: its own CachedListings (own in-process flights), the same store and cache. */
  function otherInstance() {
    const other = makeCachedListings(store, clock, makeConnectionAccess(store, clock).access, settings, cache);
    return new ListProjects(other.listings, jira);
  }

  return { sut, clock, store, jira, cache, answers, session, otherInstance };
}

describe('CachedListings (through ListProjects)', () => {
  it('within the TTL answers the cached listing, its Age counting from the upstream read, without an upstream call', async () => {
    const { sut, jira, clock, session, answers } = makeSut();
    const token = await session();
    expect(await sut.execute({ sessionToken: token })).to.deep.include({ projects: OLD, ageSeconds: 0 });
    jira.listProjects.resolves(NEW);
    clock.advance(TTL - 1);

    expect(await sut.execute({ sessionToken: token })).to.deep.include({ projects: OLD, ageSeconds: 59 });
    expect(jira.listProjects.callCount).to.equal(1);
    expect(answers.map((a) => a.outcome)).to.deep.equal(['miss', 'hit']);
  });

  it('after the TTL, within LISTING_STALE_SECONDS: the stale copy at once, and exactly one background refresh for many requests', async () => {
    const { sut, jira, clock, session, answers } = makeSut();
    const token = await session();
    await sut.execute({ sessionToken: token });
    const upstream = deferred<Project[]>();
    jira.listProjects.returns(upstream.promise);
    clock.advance(TTL + 5_000);

    const stale = await Promise.all([1, 2, 3].map(() => sut.execute({ sessionToken: token })));
    for (const answer of stale) expect(answer).to.deep.include({ projects: OLD, ageSeconds: 65 });
    expect((await sut.execute({ sessionToken: token })).projects).to.deep.equal(OLD);
    expect(jira.listProjects.callCount, 'one background refresh').to.equal(2);

    upstream.resolve(NEW);
    await settle();
    expect(await sut.execute({ sessionToken: token })).to.deep.include({ projects: NEW, ageSeconds: 0 });
    expect(jira.listProjects.callCount).to.equal(2);
    expect(answers.map((a) => a.outcome)).to.deep.equal(['miss', 'stale', 'stale', 'stale', 'stale', 'hit']);
  });

  it('a failed background refresh keeps answering the stale copy, and the next stale request tries again', async () => {
    const { sut, jira, clock, session } = makeSut();
    const token = await session();
    await sut.execute({ sessionToken: token });
    jira.listProjects.rejects(new AppError('upstream_error', 'boom'));
    clock.advance(TTL + 1);

    expect((await sut.execute({ sessionToken: token })).projects).to.deep.equal(OLD);
    await settle();
    jira.listProjects.resolves(NEW);
    expect((await sut.execute({ sessionToken: token })).projects).to.deep.equal(OLD);
    await settle();
    expect((await sut.execute({ sessionToken: token })).projects).to.deep.equal(NEW);
    expect(jira.listProjects.callCount).to.equal(3);
  });

  it('past TTL + LISTING_STALE_SECONDS the request waits for a new listing', async () => {
    const { sut, jira, clock, session } = makeSut();
    const token = await session();
    await sut.execute({ sessionToken: token });
    jira.listProjects.resolves(NEW);
    clock.advance(TTL + STALE);

    expect(await sut.execute({ sessionToken: token })).to.deep.include({ projects: NEW, ageSeconds: 0 });
  });

  it('fresh (Cache-Control: no-cache) waits for a new listing even within the TTL', async () => {
    const { sut, jira, clock, session } = makeSut();
    const token = await session();
    await sut.execute({ sessionToken: token });
    jira.listProjects.resolves(NEW);
    clock.advance(1_000);

    expect(await sut.execute({ sessionToken: token, fresh: true })).to.deep.include({ projects: NEW, ageSeconds: 0 });
    expect(jira.listProjects.callCount).to.equal(2);
    // And the new listing is what the cache now answers.
    expect((await sut.execute({ sessionToken: token })).projects).to.deep.equal(NEW);
  });

  it('concurrent requests of one connection in one instance share one upstream listing', async () => {
    const { sut, jira, session } = makeSut();
    const token = await session();
    const upstream = deferred<Project[]>();
    jira.listProjects.returns(upstream.promise);

    const answers = Promise.all(Array.from({ length: 20 }, () => sut.execute({ sessionToken: token })));
    await settle();
    upstream.resolve(NEW);

    for (const answer of await answers) expect(answer.projects).to.deep.equal(NEW);
    expect(jira.listProjects.callCount).to.equal(1);
  });

  it('across instances: the lease holder reads once, the other instance takes its result from the cache', async () => {
    const { sut, jira, session, otherInstance } = makeSut({ pollIntervalMs: 1 });
    const other = otherInstance();
    const token = await session();
    const upstream = deferred<Project[]>();
    jira.listProjects.returns(upstream.promise);

    const first = sut.execute({ sessionToken: token });
    await settle();
    const second = other.execute({ sessionToken: token });
    await new Promise((resolve) => setTimeout(resolve, 10));
    upstream.resolve(NEW);

    expect((await first).projects).to.deep.equal(NEW);
    expect((await second).projects).to.deep.equal(NEW);
    expect(jira.listProjects.callCount).to.equal(1);
  });

  it('a waiter whose lease holder never delivers gives up with upstream_unavailable (503, Retry-After)', async () => {
    const { sut, session, cache, store } = makeSut({ pollIntervalMs: 1, waitTimeoutMs: 20 });
    const token = await session();
    const connection = (await store.get(sessionIdOf(token)))!.connections.jira!;
    await cache.tryLease(listingKey(sessionIdOf(token), connection), 60_000);

    const error = await expectAppError(sut.execute({ sessionToken: token }), 'upstream_unavailable');
    expect(error).to.be.instanceOf(RetryableError);
  });

  it('a waiter stops at its request deadline: it does not read upstream once the deadline has passed', async () => {
    const { sut, jira, clock, session, cache, store } = makeSut();
    const token = await session();
    const connection = (await store.get(sessionIdOf(token)))!.connections.jira!;
    await cache.tryLease(listingKey(sessionIdOf(token), connection), 1_000);
    // The holder takes the whole deadline: by the waiter's next look its lease has lapsed, and so has the deadline.
    const tryLease = cache.tryLease.bind(cache);
    sinon.stub(cache, 'tryLease').callsFake(async (key, ttlMs) => {
      const release = await tryLease(key, ttlMs);
      if (release === undefined) clock.advance(TEST_DEADLINE_MS);
      return release;
    });

    await expectAppError(sut.execute({ sessionToken: token }), 'upstream_unavailable');

    expect(jira.listProjects.called).to.equal(false);
  });

  it('rate_limited: answers any cached copy, even past LISTING_STALE_SECONDS, saying why', async () => {
    const { sut, jira, clock, session, answers } = makeSut();
    const token = await session();
    await sut.execute({ sessionToken: token });
    jira.listProjects.rejects(new RetryableError('rate_limited', 'quota', 1800));
    clock.advance(TTL + STALE + 1_000_000);

    const answer = await sut.execute({ sessionToken: token });
    expect(answer).to.deep.include({ projects: OLD, staleBecause: 'rate_limited', ageSeconds: (TTL + STALE + 1_000_000) / 1000 });
    expect(answers.at(-1)?.outcome).to.equal('stale');
    // Also when the client asked for a fresh one.
    expect(await sut.execute({ sessionToken: token, fresh: true })).to.deep.include({ staleBecause: 'rate_limited' });
  });

  it('rate_limited without a cached copy passes through, Retry-After included', async () => {
    const { sut, jira, session } = makeSut();
    const token = await session();
    jira.listProjects.rejects(new RetryableError('rate_limited', 'quota', 1800));

    const error = await expectAppError(sut.execute({ sessionToken: token }), 'rate_limited');
    expect((error as RetryableError).retryAfterSeconds).to.equal(1800);
  });

  it('other upstream failures are not hidden behind an expired copy', async () => {
    const { sut, jira, clock, session } = makeSut();
    const token = await session();
    await sut.execute({ sessionToken: token });
    jira.listProjects.rejects(new AppError('upstream_unauthorized', 'refused'));
    clock.advance(TTL + STALE);

    await expectAppError(sut.execute({ sessionToken: token }), 'upstream_unauthorized');
  });

  it('a reconnect (new connection version) or a site switch never answers the previous connection\'s listing', async () => {
    const { sut, jira, store, session } = makeSut();
    const token = await session(apiTokenConnection('jira', { version: 'v1' }));
    await sut.execute({ sessionToken: token });
    jira.listProjects.resolves(NEW);

    await store.putConnection(sessionIdOf(token), apiTokenConnection('jira', { version: 'v2' }));
    expect((await sut.execute({ sessionToken: token })).projects).to.deep.equal(NEW);

    jira.listProjects.resolves(OLD);
    await store.putConnection(sessionIdOf(token), apiTokenConnection('jira', { version: 'v2', site: { url: 'https://beta.atlassian.net' } }));
    expect((await sut.execute({ sessionToken: token })).projects).to.deep.equal(OLD);
    expect(jira.listProjects.callCount).to.equal(3);
  });

  it('a token refresh during the read (a new connection version) does not cost the next request a read', async () => {
    const { sut, jira, session } = makeSut();
    const token = await session(oauthConnection('jira', { accessTokenExpiresAt: START_OF_TEST }));
    await sut.execute({ sessionToken: token });
    await sut.execute({ sessionToken: token });
    expect(jira.listProjects.callCount).to.equal(1);
    expect(jira.listProjects.firstCall.args[0]).to.deep.include({ accessToken: 'access-2' });
  });

  it('a reconnect between the cache lookup and the read: the listing goes under the new connection\'s key only', async () => {
    const clock = new FixedClock();
    const store = new InMemorySessionStore(clock, 86_400);
    const token = new SequenceTokenGenerator().sessionToken();
    const id = sessionIdOf(token);
    const before = apiTokenConnection('jira', { version: 'v1' });
    const after = apiTokenConnection('jira', { version: 'v2', connectedAt: START_OF_TEST + 5, site: { url: 'https://beta.atlassian.net' } });
    await store.create(id);
    await store.putConnection(id, before);
    // The user reconnects to another site while this request waits for its lease.
    const cache = new (class extends InMemoryListingCache {
      override async tryLease(key: string, ttlMs: number) {
        await store.putConnection(id, after);
        return super.tryLease(key, ttlMs);
      }
    })(clock, 1024 * 1024);
    const jira = stubJiraGateway();
    jira.listProjects.resolves(NEW);
    const { listings } = makeCachedListings(store, clock, makeConnectionAccess(store, clock).access, {}, cache);

    await new ListProjects(listings, jira).execute({ sessionToken: token });

    expect(jira.listProjects.firstCall.args[1]).to.equal('https://beta.atlassian.net');
    expect(await cache.get(listingKey(id, after))).to.deep.include({ items: NEW });
    expect(await cache.get(listingKey(id, before)), 'nothing under the old connection\'s key').to.equal(undefined);
  });

  it('two sessions of the same account never share a listing', async () => {
    const { sut, jira, session } = makeSut();
    const a = await session();
    const b = await session();
    await sut.execute({ sessionToken: a });
    await sut.execute({ sessionToken: b });
    expect(jira.listProjects.callCount).to.equal(2);
  });

  it('disconnect and logout delete the cached listing', async () => {
    const { sut, store, cache, session } = makeSut();
    const disconnect = new DisconnectProduct(store, cache);
    const logout = new EndSession(store, cache);
    for (const end of [
      (token: string) => disconnect.execute({ sessionToken: token, product: 'jira' }),
      (token: string) => logout.execute({ sessionToken: token }),
    ]) {
      const token = await session();
      const key = listingKey(sessionIdOf(token), (await store.get(sessionIdOf(token)))!.connections.jira!);
      await sut.execute({ sessionToken: token });
      expect(await cache.get(key)).not.to.equal(undefined);
      await end(token);
      expect(await cache.get(key)).to.equal(undefined);
    }
  });

  it('LISTING_CACHE_TTL_SECONDS=0: every request reads from Atlassian and nothing is cached', async () => {
    const { sut, jira, session, cache } = makeSut({ ttlMs: 0 });
    const token = await session();
    await sut.execute({ sessionToken: token });
    await sut.execute({ sessionToken: token });
    expect(jira.listProjects.callCount).to.equal(2);
    expect(cache.size).to.equal(0);
    // Paging still works: a cursor is bound to the listing's content, which each read hashes alike.
    jira.listProjects.resolves([...OLD, ...NEW]);
    const first = await sut.execute({ sessionToken: token, page: { limit: 1 } });
    const second = await sut.execute({ sessionToken: token, page: { limit: 1, cursor: first.nextCursor! } });
    expect(second.projects).to.deep.equal(NEW);
  });

  it('the key holds session, product, connection version and site', () => {
    const base = apiTokenConnection('jira');
    const keys = new Set([
      listingKey('s1', base),
      listingKey('s2', base),
      listingKey('s1', { ...base, product: 'confluence' }),
      listingKey('s1', { ...base, version: 'v2' }),
      listingKey('s1', { ...base, site: { url: 'https://beta.atlassian.net' } }),
      listingKey('s1', { ...base, site: { ...base.site, id: 'cloud-2' } }),
    ]);
    expect(keys.size).to.equal(6);
    expect(listingKey('s1', base)).to.equal(listingKey('s1', { ...base }));
  });
});
