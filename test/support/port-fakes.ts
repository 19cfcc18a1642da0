import { expect } from 'chai';
import sinon from 'sinon';
import type { AtlassianOAuthGateway } from '../../src/application/ports/atlassian-oauth-gateway.js';
import type { Clock } from '../../src/application/ports/clock.js';
import type { ConfluenceGateway } from '../../src/application/ports/confluence-gateway.js';
import type { JiraGateway } from '../../src/application/ports/jira-gateway.js';
import type { TokenGenerator } from '../../src/application/ports/token-generator.js';
import { AppError, type ErrorCode } from '../../src/domain/errors.js';
import type { SessionStore } from '../../src/application/ports/session-store.js';
import type { Logger } from '../../src/application/ports/logger.js';
import { ConnectionAccess } from '../../src/application/connection-access.js';
import { TokenRefresher, type RefreshSettings } from '../../src/application/token-refresher.js';
import { InMemoryLock } from '../../src/infrastructure/lock/in-memory-lock.js';
import { CachedListings, type ListingCacheSettings } from '../../src/application/cached-listings.js';
import type { ListingCache } from '../../src/application/ports/listing-cache.js';
import { InMemoryListingCache } from '../../src/infrastructure/listing-cache/in-memory-listing-cache.js';

/** 2025-01-01T00:00:00Z: a fixed, readable starting point. */
export const START_OF_TEST = Date.UTC(2025, 0, 1);

/** A clock that moves only when a test moves it. */
export class FixedClock implements Clock {
  constructor(private current: number = START_OF_TEST) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(ms: number): void {
    this.current = ms;
  }
}

/**
 * Predictable tokens that still pass the domain's format checks: session tokens and states are 43 base64url
 * characters, like 32 random bytes, so `isWellFormedSessionToken` accepts them.
 */
export class SequenceTokenGenerator implements TokenGenerator {
  private sessions = 0;
  private states = 0;
  private ids = 0;
  private verifiers = 0;
  private completions = 0;

  sessionToken(): string {
    return `session${String(++this.sessions).padStart(36, '0')}`;
  }

  oauthState(): string {
    return `state${String(++this.states).padStart(38, '0')}`;
  }

  pkceVerifier(): string {
    return `verifier${String(++this.verifiers).padStart(35, '0')}`;
  }

  oauthCompletion(): string {
    return `completion${String(++this.completions).padStart(33, '0')}`;
  }

  id(): string {
    return `id-${++this.ids}`;
  }
}

/**
 * A port whose every method is a typed sinon stub: `resolves`, `returns` and `callsFake` are checked against the
 * method's signature, and the object is still usable wherever the port is expected.
 */
export type StubbedPort<T> = T & {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? sinon.SinonStub<A, R> : never;
};

export function stubOAuthGateway(): StubbedPort<AtlassianOAuthGateway> {
  return {
    isConfigured: sinon.stub(),
    authorizationUrl: sinon.stub(),
    exchangeCode: sinon.stub(),
    refresh: sinon.stub(),
    accessibleResources: sinon.stub(),
  };
}

export function stubJiraGateway(): StubbedPort<JiraGateway> {
  return { verifyCredentials: sinon.stub(), listProjects: sinon.stub() };
}

export function stubConfluenceGateway(): StubbedPort<ConfluenceGateway> {
  return { verifyCredentials: sinon.stub(), listSpaces: sinon.stub() };
}

/** Awaits a promise that must reject with an AppError of `code`, and returns that error for further checks. */
export async function expectAppError(promise: Promise<unknown>, code: ErrorCode): Promise<AppError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a rejection with code "${code}"`).to.be.instanceOf(AppError);
  expect((caught as AppError).code).to.equal(code);
  return caught as AppError;
}

/** A logger that keeps what it is told, for assertions, and prints nothing. */
export function silentLogger(): Logger & { lines: { level: string; args: unknown[] }[] } {
  const lines: { level: string; args: unknown[] }[] = [];
  const at = (level: string) => (...args: unknown[]) => void lines.push({ level, args });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as Logger & { lines: typeof lines };
}

export const FAST_REFRESH: RefreshSettings = { lockTtlMs: 5_000, waitTimeoutMs: 2_000, pollIntervalMs: 5 };

/** The UPSTREAM_DEADLINE_MS of ConnectionAccess in unit tests: each request's deadline is the clock's now plus this. */
export const TEST_DEADLINE_MS = 30_000;

/** ConnectionAccess with a real TokenRefresher over the given store and a stubbed OAuth gateway. */
export function makeConnectionAccess(store: SessionStore, clock: Clock, oauth = stubOAuthGateway()) {
  const refresher = new TokenRefresher(store, oauth, new InMemoryLock(clock), new SequenceTokenGenerator(), clock, silentLogger(), FAST_REFRESH);
  return { access: new ConnectionAccess(store, refresher, clock, TEST_DEADLINE_MS), refresher, oauth };
}

/** The defaults of LISTING_CACHE_TTL_SECONDS and LISTING_STALE_SECONDS, with a short poll for cross-instance waits. */
export const LISTING_SETTINGS: ListingCacheSettings = { ttlMs: 60_000, staleMs: 600_000, leaseTtlMs: 5_000, waitTimeoutMs: 2_000, pollIntervalMs: 5 };

/** CachedListings over the given store and access, with the real in-memory cache and counted answers. */
export function makeCachedListings(
  store: SessionStore,
  clock: Clock,
  access: ConnectionAccess,
  settings: Partial<ListingCacheSettings> = {},
  cache: ListingCache = new InMemoryListingCache(clock, 64 * 1024 * 1024),
) {
  const answers: { product: string; outcome: string }[] = [];
  const metrics = { listingCacheAnswer: (answer: { product: string; outcome: string }) => void answers.push(answer) };
  return { listings: new CachedListings(store, access, cache, clock, metrics, { ...LISTING_SETTINGS, ...settings }), cache, answers };
}
