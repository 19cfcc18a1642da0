import { expect } from 'chai';
import sinon from 'sinon';
import { ConnectionAccess } from '../../../src/application/connection-access.js';
import type { AtlassianCredentials } from '../../../src/application/ports/atlassian-credentials.js';
import { TokenAnswerLostError, type OAuthTokens } from '../../../src/application/ports/atlassian-oauth-gateway.js';
import { ROTATED_TOKEN_SAFE_REUSE_MS, TokenRefresher, type RefreshSettings } from '../../../src/application/token-refresher.js';
import { AppError } from '../../../src/domain/errors.js';
import type { Connection, OAuthConnection } from '../../../src/domain/session.js';
import { sessionIdOf } from '../../../src/domain/session-token.js';
import { InMemoryLock } from '../../../src/infrastructure/lock/in-memory-lock.js';
import { InMemorySessionStore } from '../../../src/infrastructure/session/in-memory-session-store.js';
import { storeUnavailable } from '../../../src/infrastructure/store-unavailable.js';
import { expectAppError, FAST_REFRESH, FixedClock, SequenceTokenGenerator, silentLogger, stubOAuthGateway, TEST_DEADLINE_MS } from '../../support/port-fakes.js';
import { oauthConnection } from '../../support/connections.js';

/**
 * A rotated refresh token is never lost (issue 11, point 8): a refresh whose answer was lost is retried in the
 * background with the same token, inside Atlassian's reuse leeway; tokens the store did not take are kept in
 * memory, used, and written in the background. Timers are sinon's fake ones, moved with the FixedClock.
 */

const DELAYS = [5_000, 15_000, 40_000];
const ALL_DELAYS = DELAYS.reduce((sum, delay) => sum + delay, 0);
const SETTINGS: RefreshSettings = { ...FAST_REFRESH, retryDelaysMs: DELAYS };
const GRANTED: OAuthTokens = { accessToken: 'access-2', refreshToken: 'refresh-2', expiresInSeconds: 3600, scopes: ['read:jira-work'] };
const lost = () => new TokenAnswerLostError('upstream_timeout', 'Atlassian did not answer in time.');

function makeSut() {
  const clock = new FixedClock();
  const store = new InMemorySessionStore(clock, 7 * 86_400);
  const tokens = new SequenceTokenGenerator();
  const logger = silentLogger();
  const oauth = stubOAuthGateway();
  oauth.refresh.resolves(GRANTED);
  const put = sinon.stub(store, 'putConnection').callThrough();
  const sut = new TokenRefresher(store, oauth, new InMemoryLock(clock), tokens, clock, logger, SETTINGS);
  const timers = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });

  /** Moves the timers and the clock together, a second at a time, letting every attempt that falls due run to its end. */
  async function elapse(ms: number): Promise<void> {
    for (let left = ms; left > 0; left -= 1_000) {
      const step = Math.min(left, 1_000);
      clock.advance(step);
      await timers.tickAsync(step);
    }
  }

  async function session(connection: Connection): Promise<string> {
    const sessionId = sessionIdOf(tokens.sessionToken());
    await store.create(sessionId);
    await store.putConnection(sessionId, connection);
    put.resetHistory();
    return sessionId;
  }

  async function stored(sessionId: string): Promise<Connection | undefined> {
    return (await store.get(sessionId))?.connections.jira;
  }

  return { sut, store, put, clock, tokens, oauth, logger, timers, elapse, session, stored };
}

type Sut = ReturnType<typeof makeSut>;

describe('TokenRefresher: a rotated refresh token is never lost', () => {
  let sut: Sut;
  afterEach(() => sut.timers.restore());

  describe('the token call lost its answer (timeout, broken connection)', () => {
    it('answers 503 at once, then retries in the background with the same refresh token and stores the rotated tokens', async () => {
      sut = makeSut();
      sut.oauth.refresh.onFirstCall().rejects(lost());
      const stale = oauthConnection('jira');
      const sessionId = await sut.session(stale);

      await expectAppError(sut.sut.refresh(sessionId, stale), 'upstream_unavailable');
      expect(sut.oauth.refresh.callCount).to.equal(1);

      await sut.elapse(DELAYS[0]! - 1);
      expect(sut.oauth.refresh.callCount, 'not before the first delay').to.equal(1);
      await sut.elapse(1);

      expect(sut.oauth.refresh.callCount).to.equal(2);
      expect(sut.oauth.refresh.secondCall.args).to.deep.equal(['jira', 'refresh-1']);
      expect(await sut.stored(sessionId)).to.deep.include({ accessToken: 'access-2', refreshToken: 'refresh-2' });
      await sut.elapse(10 * 60_000);
      expect(sut.oauth.refresh.callCount, 'the chain ended with the success').to.equal(2);
    });

    it('makes at most one background attempt per configured delay, all within the delays, then stops', async () => {
      sut = makeSut();
      sut.oauth.refresh.rejects(lost());
      const stale = oauthConnection('jira');
      const sessionId = await sut.session(stale);

      await expectAppError(sut.sut.refresh(sessionId, stale), 'upstream_unavailable');
      await sut.elapse(ALL_DELAYS);
      expect(sut.oauth.refresh.callCount).to.equal(1 + DELAYS.length);
      await sut.elapse(60 * 60_000);

      expect(sut.oauth.refresh.callCount).to.equal(1 + DELAYS.length);
      expect(sut.oauth.refresh.getCalls().every((call) => call.args[1] === 'refresh-1')).to.equal(true);
      expect(await sut.stored(sessionId)).to.deep.equal(stale);
    });

    it('a request during the background chain makes its own attempt but does not start a second chain', async () => {
      sut = makeSut();
      sut.oauth.refresh.rejects(lost());
      const stale = oauthConnection('jira');
      const sessionId = await sut.session(stale);

      await expectAppError(sut.sut.refresh(sessionId, stale), 'upstream_unavailable');
      await sut.elapse(1_000);
      await expectAppError(sut.sut.refresh(sessionId, stale), 'upstream_unavailable');
      await sut.elapse(60 * 60_000);

      expect(sut.oauth.refresh.callCount).to.equal(2 + DELAYS.length);
    });

    it('ends the chain when Atlassian refuses the grant: the connection is dropped, nothing more is sent', async () => {
      sut = makeSut();
      sut.oauth.refresh.onFirstCall().rejects(lost());
      sut.oauth.refresh.onSecondCall().rejects(new AppError('invalid_grant', 'refused'));
      const stale = oauthConnection('jira');
      const sessionId = await sut.session(stale);

      await expectAppError(sut.sut.refresh(sessionId, stale), 'upstream_unavailable');
      await sut.elapse(60 * 60_000);

      expect(sut.oauth.refresh.callCount).to.equal(2);
      expect(await sut.stored(sessionId)).to.equal(undefined);
    });

    it('an answered failure (a 5xx, a refused client) is not retried in the background: Atlassian did not rotate', async () => {
      sut = makeSut();
      sut.oauth.refresh.rejects(new AppError('upstream_error', 'Atlassian answered with status 500.'));
      const stale = oauthConnection('jira');
      const sessionId = await sut.session(stale);

      await expectAppError(sut.sut.refresh(sessionId, stale), 'upstream_unavailable');
      await sut.elapse(60 * 60_000);

      expect(sut.oauth.refresh.callCount).to.equal(1);
    });

    it('does not replay a token whose answer was lost once the reuse leeway is near: reauth_required, no upstream call', async () => {
      sut = makeSut();
      sut.oauth.refresh.rejects(lost());
      const stale = oauthConnection('jira');
      const sessionId = await sut.session(stale);
      await expectAppError(sut.sut.refresh(sessionId, stale), 'upstream_unavailable');
      await sut.elapse(ALL_DELAYS);
      const sent = sut.oauth.refresh.callCount;

      await sut.elapse(ROTATED_TOKEN_SAFE_REUSE_MS - ALL_DELAYS);
      await expectAppError(sut.sut.refresh(sessionId, stale), 'reauth_required');

      expect(sut.oauth.refresh.callCount, 'the old refresh token was not sent again').to.equal(sent);
      expect(await sut.stored(sessionId)).to.equal(undefined);
    });

    it('before the leeway is near, a request still retries with the old token (Atlassian honours it)', async () => {
      sut = makeSut();
      sut.oauth.refresh.rejects(lost());
      const stale = oauthConnection('jira');
      const sessionId = await sut.session(stale);
      await expectAppError(sut.sut.refresh(sessionId, stale), 'upstream_unavailable');
      await sut.elapse(ROTATED_TOKEN_SAFE_REUSE_MS - 1);
      sut.oauth.refresh.resolves(GRANTED);

      const refreshed = await sut.sut.refresh(sessionId, stale);

      expect(refreshed).to.have.property('accessToken', 'access-2');
      expect(sut.oauth.refresh.lastCall.args).to.deep.equal(['jira', 'refresh-1']);
    });
  });

  describe('the store failed to take the new tokens', () => {
    it('answers the new tokens, keeps them in memory for this process, and stores them on a background attempt', async () => {
      sut = makeSut();
      const stale = oauthConnection('jira');
      const sessionId = await sut.session(stale);
      sut.put.onFirstCall().rejects(storeUnavailable());

      const refreshed = await sut.sut.refresh(sessionId, stale);

      expect(refreshed).to.deep.include({ accessToken: 'access-2', refreshToken: 'refresh-2' });
      const before = (await sut.stored(sessionId))!;
      expect(before).to.deep.equal(stale);
      expect(sut.sut.current(sessionId, before)).to.deep.equal(refreshed);
      await sut.elapse(DELAYS[0]!);
      expect(await sut.stored(sessionId)).to.deep.equal(refreshed);
      expect(sut.sut.current(sessionId, refreshed)).to.deep.equal(refreshed);
    });

    it('meanwhile, a refresh of the stored (older) connection answers the held tokens and never re-sends the old refresh token', async () => {
      sut = makeSut();
      const stale = oauthConnection('jira');
      const sessionId = await sut.session(stale);
      sut.put.rejects(storeUnavailable());
      const refreshed = await sut.sut.refresh(sessionId, stale);

      const again = await Promise.all([sut.sut.refresh(sessionId, stale), sut.sut.refresh(sessionId, stale)]);

      expect(again).to.deep.equal([refreshed, refreshed]);
      expect(sut.oauth.refresh.callCount).to.equal(1);
    });

    it('retries the write a bounded number of times; after that the tokens stay in use in this process', async () => {
      sut = makeSut();
      const stale = oauthConnection('jira');
      const sessionId = await sut.session(stale);
      sut.put.rejects(storeUnavailable());
      const refreshed = await sut.sut.refresh(sessionId, stale);

      await sut.elapse(60 * 60_000);

      expect(sut.put.callCount).to.equal(1 + DELAYS.length);
      expect(sut.sut.current(sessionId, stale)).to.deep.equal(refreshed);
      expect(sut.logger.lines.some((line) => line.level === 'error')).to.equal(true);
    });

    it('refreshing the held tokens sends their refresh token and writes against the version the store still has', async () => {
      sut = makeSut();
      sut.oauth.refresh.onSecondCall().resolves({ ...GRANTED, accessToken: 'access-3', refreshToken: 'refresh-3' });
      const stale = oauthConnection('jira');
      const sessionId = await sut.session(stale);
      sut.put.onFirstCall().rejects(storeUnavailable());
      const held = (await sut.sut.refresh(sessionId, stale)) as OAuthConnection;

      const next = await sut.sut.refresh(sessionId, held);

      expect(sut.oauth.refresh.secondCall.args).to.deep.equal(['jira', 'refresh-2']);
      expect(sut.put.secondCall.args[2]).to.deep.equal({ expectedVersion: 'v1' });
      expect(await sut.stored(sessionId)).to.deep.equal(next);
      await sut.elapse(60 * 60_000);
      expect(await sut.stored(sessionId), 'the background write does not overwrite the newer tokens').to.deep.equal(next);
    });

    it('a reconnection made meanwhile wins: the held tokens are dropped, not written over it', async () => {
      sut = makeSut();
      const stale = oauthConnection('jira');
      const sessionId = await sut.session(stale);
      sut.put.onFirstCall().rejects(storeUnavailable());
      await sut.sut.refresh(sessionId, stale);
      const reconnected = oauthConnection('jira', { version: 'reconnected', accessToken: 'access-new-login' });
      await sut.store.putConnection(sessionId, reconnected);

      await sut.elapse(60 * 60_000);

      expect(await sut.stored(sessionId)).to.deep.equal(reconnected);
      expect(sut.sut.current(sessionId, reconnected)).to.deep.equal(reconnected);
    });

    it('close() stops the background attempts and tries once more to store the held tokens', async () => {
      sut = makeSut();
      const stale = oauthConnection('jira');
      const sessionId = await sut.session(stale);
      sut.put.onFirstCall().rejects(storeUnavailable());
      const refreshed = await sut.sut.refresh(sessionId, stale);

      await sut.sut.close();

      expect(await sut.stored(sessionId)).to.deep.equal(refreshed);
      const writes = sut.put.callCount;
      await sut.elapse(60 * 60_000);
      expect(sut.put.callCount).to.equal(writes);
    });
  });

  describe('ConnectionAccess while refreshed tokens are only in memory', () => {
    it("every request of the session in this process uses the held tokens, not the store's", async () => {
      sut = makeSut();
      const expired = oauthConnection('jira', { accessTokenExpiresAt: sut.clock.now() - 1 });
      const token = sut.tokens.sessionToken();
      const sessionId = sessionIdOf(token);
      await sut.store.create(sessionId);
      await sut.store.putConnection(sessionId, expired);
      sut.put.resetHistory();
      sut.put.rejects(storeUnavailable());
      const access = new ConnectionAccess(sut.store, sut.sut, sut.clock, TEST_DEADLINE_MS);
      const seen: string[] = [];
      const call = async (credentials: AtlassianCredentials) => {
        if (credentials.kind === 'oauth') seen.push(credentials.accessToken);
        return 'ok';
      };

      await access.run(token, 'jira', call);
      await access.run(token, 'jira', call);

      expect(seen).to.deep.equal(['access-2', 'access-2']);
      expect(sut.oauth.refresh.callCount).to.equal(1);
      expect(await sut.stored(sessionId)).to.have.property('accessToken', 'access-1');
    });
  });
});
