import { expect } from 'chai';
import sinon from 'sinon';
import type { OAuthTokens } from '../../../src/application/ports/atlassian-oauth-gateway.js';
import { TokenRefresher, type RefreshSettings } from '../../../src/application/token-refresher.js';
import { AppError, RetryableError } from '../../../src/domain/errors.js';
import type { Product } from '../../../src/domain/product.js';
import type { Connection, OAuthConnection } from '../../../src/domain/session.js';
import { sessionIdOf } from '../../../src/domain/session-token.js';
import { InMemoryLock } from '../../../src/infrastructure/lock/in-memory-lock.js';
import { InMemorySessionStore } from '../../../src/infrastructure/session/in-memory-session-store.js';
import {
  expectAppError,
  FAST_REFRESH,
  FixedClock,
  SequenceTokenGenerator,
  silentLogger,
  START_OF_TEST,
  stubOAuthGateway,
} from '../../support/port-fakes.js';
import { apiTokenConnection, oauthConnection } from '../../support/connections.js';

const SESSION_TTL_SECONDS = 3600;
const GRANTED: OAuthTokens = {
  accessToken: 'access-2',
  refreshToken: 'refresh-2',
  expiresInSeconds: 3600,
  scopes: ['read:jira-work', 'offline_access'],
};

/** What the user's new OAuth login leaves in the store: same product, new tokens, a version nobody refreshed. */
function reconnection(product: Product): OAuthConnection {
  return oauthConnection(product, { version: 'reconnected', accessToken: 'access-new-login', refreshToken: 'refresh-new-login' });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function makeSut(settings: RefreshSettings = FAST_REFRESH) {
  const clock = new FixedClock();
  const store = new InMemorySessionStore(clock, SESSION_TTL_SECONDS);
  const lock = new InMemoryLock(clock);
  const tokens = new SequenceTokenGenerator();
  const logger = silentLogger();
  const oauth = stubOAuthGateway();
  oauth.refresh.resolves(GRANTED);
  const sut = new TokenRefresher(store, oauth, lock, tokens, clock, logger, settings);

  /** Another process sharing the store and the lock, with its own in-process flights. */
  const otherInstance = () => new TokenRefresher(store, oauth, lock, new SequenceTokenGenerator(), clock, silentLogger(), settings);

  /** A live session holding the given connections; answers its id. */
  async function session(...connections: Connection[]): Promise<string> {
    const sessionId = sessionIdOf(tokens.sessionToken());
    await store.create(sessionId);
    for (const connection of connections) await store.putConnection(sessionId, connection);
    return sessionId;
  }

  async function stored(sessionId: string, product: Product): Promise<Connection | undefined> {
    return (await store.get(sessionId))?.connections[product];
  }

  return { sut, store, lock, clock, logger, oauth, otherInstance, session, stored };
}

describe('TokenRefresher', () => {
  describe('a successful refresh', () => {
    it('stores the new access token, the rotated refresh token, the new expiry and a new version, and answers them', async () => {
      const { sut, clock, session, stored } = makeSut();
      const stale = oauthConnection('jira');
      const sessionId = await session(stale);
      clock.advance(1_000);

      const refreshed = await sut.refresh(sessionId, stale);

      expect(refreshed).to.deep.include({
        method: 'oauth',
        accessToken: 'access-2',
        refreshToken: 'refresh-2',
        accessTokenExpiresAt: START_OF_TEST + 1_000 + 3600 * 1000,
        scopes: ['read:jira-work', 'offline_access'],
      });
      expect(refreshed.version).to.not.equal('v1');
      expect(await stored(sessionId, 'jira')).to.deep.equal(refreshed);
    });

    it('keeps the site and the connection time of the refreshed connection', async () => {
      const { sut, session } = makeSut();
      const stale = oauthConnection('jira');
      const sessionId = await session(stale);

      const refreshed = await sut.refresh(sessionId, stale);

      expect(refreshed.site).to.deep.equal(stale.site);
      expect(refreshed.connectedAt).to.equal(stale.connectedAt);
    });

    it('calls Atlassian once with the product and the old refresh token', async () => {
      const { sut, oauth, session } = makeSut();
      const stale = oauthConnection('confluence');
      const sessionId = await session(stale);

      await sut.refresh(sessionId, stale);

      expect(oauth.refresh.calledOnceWithExactly('confluence', 'refresh-1')).to.equal(true);
    });

    it('keeps the previous scopes when the answer lists none', async () => {
      const { sut, oauth, session } = makeSut();
      oauth.refresh.resolves({ ...GRANTED, scopes: [] });
      const stale = oauthConnection('jira');
      const sessionId = await session(stale);

      const refreshed = await sut.refresh(sessionId, stale);

      expect(refreshed).to.have.deep.property('scopes', ['read:jira-work']);
    });

    it('keeps the old refresh token, and warns, when the answer carries no refresh_token', async () => {
      const { sut, oauth, logger, session, stored } = makeSut();
      oauth.refresh.resolves({ accessToken: 'access-2', expiresInSeconds: 3600, scopes: GRANTED.scopes });
      const stale = oauthConnection('jira');
      const sessionId = await session(stale);

      const refreshed = await sut.refresh(sessionId, stale);

      expect(refreshed).to.deep.include({ accessToken: 'access-2', refreshToken: 'refresh-1' });
      expect(await stored(sessionId, 'jira')).to.deep.include({ accessToken: 'access-2', refreshToken: 'refresh-1' });
      expect(logger.lines.filter((line) => line.level === 'warn')).to.have.length(1);
    });

    it('leaves the other product untouched', async () => {
      const { sut, session, stored } = makeSut();
      const stale = oauthConnection('jira');
      const confluence = oauthConnection('confluence', { accessToken: 'wiki-access' });
      const sessionId = await session(stale, confluence);

      await sut.refresh(sessionId, stale);

      expect(await stored(sessionId, 'confluence')).to.deep.equal(confluence);
    });
  });

  describe('single flight', () => {
    it('makes one upstream call for 20 concurrent refreshes of one connection, and answers all with its result', async () => {
      const { sut, oauth, session, stored } = makeSut();
      oauth.refresh.callsFake(async () => {
        await delay(20);
        return GRANTED;
      });
      const stale = oauthConnection('jira');
      const sessionId = await session(stale);

      const results = await Promise.all(Array.from({ length: 20 }, () => sut.refresh(sessionId, stale)));

      expect(oauth.refresh.callCount).to.equal(1);
      const current = await stored(sessionId, 'jira');
      for (const result of results) expect(result).to.deep.equal(current);
    });

    it('hands concurrent callers in one process the same promise', async () => {
      const { sut, session } = makeSut();
      const stale = oauthConnection('jira');
      const sessionId = await session(stale);

      const first = sut.refresh(sessionId, stale);
      const second = sut.refresh(sessionId, stale);

      expect(second).to.equal(first);
      await first;
    });

    it('refreshes two products of one session independently', async () => {
      const { sut, oauth, session } = makeSut();
      const jira = oauthConnection('jira');
      const confluence = oauthConnection('confluence', { refreshToken: 'wiki-refresh' });
      const sessionId = await session(jira, confluence);

      await Promise.all([sut.refresh(sessionId, jira), sut.refresh(sessionId, confluence)]);

      expect(oauth.refresh.callCount).to.equal(2);
      expect(oauth.refresh.calledWith('jira', 'refresh-1')).to.equal(true);
      expect(oauth.refresh.calledWith('confluence', 'wiki-refresh')).to.equal(true);
    });

    it('makes one upstream call across two instances sharing the store and the lock; the waiter answers the refreshed connection', async () => {
      const { sut, oauth, otherInstance, session, stored } = makeSut();
      oauth.refresh.callsFake(async () => {
        await delay(30);
        return GRANTED;
      });
      const other = otherInstance();
      const stale = oauthConnection('jira');
      const sessionId = await session(stale);

      const [ours, theirs] = await Promise.all([sut.refresh(sessionId, stale), other.refresh(sessionId, stale)]);

      expect(oauth.refresh.callCount).to.equal(1);
      const current = await stored(sessionId, 'jira');
      expect(current).to.have.property('accessToken', 'access-2');
      expect(ours).to.deep.equal(current);
      expect(theirs).to.deep.equal(current);
    });

    it('answers the current connection without an upstream call when it is already newer than the stale one', async () => {
      const { sut, oauth, session } = makeSut();
      const current = oauthConnection('jira', { version: 'v2', accessToken: 'access-2' });
      const sessionId = await session(current);

      const result = await sut.refresh(sessionId, oauthConnection('jira'));

      expect(result).to.deep.equal(current);
      expect(oauth.refresh.called).to.equal(false);
    });

    it('starts a new flight once the previous one has finished', async () => {
      const { sut, oauth, session } = makeSut();
      oauth.refresh.onSecondCall().resolves({ ...GRANTED, accessToken: 'access-3', refreshToken: 'refresh-3' });
      const stale = oauthConnection('jira');
      const sessionId = await session(stale);

      const first = await sut.refresh(sessionId, stale);
      if (first.method !== 'oauth') throw new Error('expected an OAuth connection');
      const second = await sut.refresh(sessionId, first);

      expect(oauth.refresh.callCount).to.equal(2);
      expect(oauth.refresh.secondCall.args).to.deep.equal(['jira', 'refresh-2']);
      expect(second).to.have.property('accessToken', 'access-3');
    });

    it('releases the lease after a failed refresh, so the next refresh can run', async () => {
      const { sut, oauth, session } = makeSut();
      oauth.refresh.onFirstCall().rejects(new AppError('upstream_timeout', 'no answer'));
      const stale = oauthConnection('jira');
      const sessionId = await session(stale);
      await expectAppError(sut.refresh(sessionId, stale), 'upstream_unavailable');

      const refreshed = await sut.refresh(sessionId, stale);

      expect(refreshed).to.have.property('accessToken', 'access-2');
      expect(oauth.refresh.callCount).to.equal(2);
    });
  });

  describe('refusals and failures', () => {
    it('answers reauth_required when Atlassian refuses the refresh token, and drops only that connection', async () => {
      const { sut, oauth, store, session } = makeSut();
      oauth.refresh.rejects(new AppError('invalid_grant', 'refresh token revoked'));
      const stale = oauthConnection('jira');
      const confluence = oauthConnection('confluence');
      const sessionId = await session(stale, confluence);

      await expectAppError(sut.refresh(sessionId, stale), 'reauth_required');

      const after = await store.get(sessionId);
      expect(after?.connections.jira).to.equal(undefined);
      expect(after?.connections.confluence).to.deep.equal(confluence);
    });

    it('keeps a reconnection made while a refused refresh was in flight, and answers it', async () => {
      const { sut, oauth, store, session, stored } = makeSut();
      const stale = oauthConnection('jira');
      const sessionId = await session(stale);
      oauth.refresh.callsFake(async () => {
        await store.putConnection(sessionId, reconnection('jira'));
        throw new AppError('invalid_grant', 'refresh token revoked');
      });

      const result = await sut.refresh(sessionId, stale);

      expect(await stored(sessionId, 'jira')).to.deep.equal(reconnection('jira'));
      expect(result).to.deep.equal(reconnection('jira'));
    });

    for (const code of ['upstream_timeout', 'upstream_error'] as const) {
      it(`answers upstream_unavailable with a retry delay on ${code}, and keeps the credentials`, async () => {
        const { sut, oauth, session, stored } = makeSut();
        oauth.refresh.rejects(new AppError(code, 'Atlassian did not answer'));
        const stale = oauthConnection('jira');
        const sessionId = await session(stale);

        const error = await expectAppError(sut.refresh(sessionId, stale), 'upstream_unavailable');

        expect(error).to.be.instanceOf(RetryableError);
        expect((error as RetryableError).retryAfterSeconds).to.be.greaterThan(0);
        expect(await stored(sessionId, 'jira')).to.deep.equal(stale);
      });
    }

    it('answers upstream_unavailable for a fault that is not an AppError, and keeps the credentials', async () => {
      const { sut, oauth, session, stored } = makeSut();
      oauth.refresh.rejects(new TypeError('fetch failed'));
      const stale = oauthConnection('jira');
      const sessionId = await session(stale);

      await expectAppError(sut.refresh(sessionId, stale), 'upstream_unavailable');

      expect(await stored(sessionId, 'jira')).to.deep.equal(stale);
    });

    it('rethrows rate_limited as it is', async () => {
      const { sut, oauth, session, stored } = makeSut();
      const rateLimited = new RetryableError('rate_limited', 'Atlassian is rate limiting.', 30);
      oauth.refresh.rejects(rateLimited);
      const stale = oauthConnection('jira');
      const sessionId = await session(stale);

      const error = await expectAppError(sut.refresh(sessionId, stale), 'rate_limited');

      expect(error).to.equal(rateLimited);
      expect(await stored(sessionId, 'jira')).to.deep.equal(stale);
    });

    it('answers reauth_required and drops the connection without an upstream call when no refresh token is stored', async () => {
      const { sut, oauth, session, stored } = makeSut();
      const { refreshToken: _unused, ...withoutRefreshToken } = oauthConnection('jira');
      const stale: OAuthConnection = withoutRefreshToken;
      const sessionId = await session(stale);

      await expectAppError(sut.refresh(sessionId, stale), 'reauth_required');

      expect(await stored(sessionId, 'jira')).to.equal(undefined);
      expect(oauth.refresh.called).to.equal(false);
    });
  });

  describe('races with the user', () => {
    it('keeps a reconnection made while the refresh was in flight, and answers it', async () => {
      const { sut, oauth, store, session, stored } = makeSut();
      const stale = oauthConnection('jira');
      const sessionId = await session(stale);
      oauth.refresh.callsFake(async () => {
        await store.putConnection(sessionId, reconnection('jira'));
        return GRANTED;
      });

      const result = await sut.refresh(sessionId, stale);

      expect(await stored(sessionId, 'jira')).to.deep.equal(reconnection('jira'));
      expect(result).to.deep.equal(reconnection('jira'));
    });

    it('answers invalid_session when the session is gone', async () => {
      const { sut, oauth, store, session } = makeSut();
      const stale = oauthConnection('jira');
      const sessionId = await session(stale);
      await store.delete(sessionId);

      await expectAppError(sut.refresh(sessionId, stale), 'invalid_session');

      expect(oauth.refresh.called).to.equal(false);
    });

    it('answers invalid_session, and does not bring the session back, when the user logs out during the refresh', async () => {
      const { sut, oauth, store, session } = makeSut();
      const stale = oauthConnection('jira');
      const sessionId = await session(stale);
      oauth.refresh.callsFake(async () => {
        await store.delete(sessionId);
        return GRANTED;
      });

      await expectAppError(sut.refresh(sessionId, stale), 'invalid_session');

      expect(await store.get(sessionId)).to.equal(undefined);
    });

    it('answers reauth_required when the connection is gone', async () => {
      const { sut, oauth, session } = makeSut();
      const sessionId = await session(oauthConnection('confluence'));

      await expectAppError(sut.refresh(sessionId, oauthConnection('jira')), 'reauth_required');

      expect(oauth.refresh.called).to.equal(false);
    });
  });

  describe('waiting for a lease held elsewhere', () => {
    it('answers upstream_unavailable at once when the wait timeout is zero', async () => {
      const { sut, lock, oauth, session, stored } = makeSut({ ...FAST_REFRESH, waitTimeoutMs: 0 });
      const stale = oauthConnection('jira');
      const sessionId = await session(stale);
      expect(await lock.tryAcquire(`refresh:${sessionId}:jira`, 3_600_000)).to.be.a('function');

      const error = await expectAppError(sut.refresh(sessionId, stale), 'upstream_unavailable');

      expect((error as RetryableError).retryAfterSeconds).to.be.greaterThan(0);
      expect(oauth.refresh.called).to.equal(false);
      expect(await stored(sessionId, 'jira')).to.deep.equal(stale);
    });

    it('keeps polling until the wait timeout has passed on the clock, then answers upstream_unavailable', async () => {
      const { sut, lock, clock, oauth, session } = makeSut();
      const stale = oauthConnection('jira');
      const sessionId = await session(stale);
      await lock.tryAcquire(`refresh:${sessionId}:jira`, 3_600_000);
      const attempts = sinon.spy(lock, 'tryAcquire');
      let settled = false;
      const refreshing = sut.refresh(sessionId, stale).finally(() => {
        settled = true;
      });
      refreshing.catch(() => undefined); // handled below; avoids an unhandled-rejection warning meanwhile

      // The event to wait for: it has found the lease held and polled it again, still within its wait.
      while (attempts.callCount < 3) await delay(1);
      expect(settled, 'still waiting before the timeout').to.equal(false);
      clock.advance(FAST_REFRESH.waitTimeoutMs);

      await expectAppError(refreshing, 'upstream_unavailable');
      expect(oauth.refresh.called).to.equal(false);
    });
  });
});
