import { expect } from 'chai';
import sinon from 'sinon';
import { REFRESH_MARGIN_MS } from '../../../src/application/connection-access.js';
import type { AtlassianCredentials } from '../../../src/application/ports/atlassian-credentials.js';
import type { OAuthTokens } from '../../../src/application/ports/atlassian-oauth-gateway.js';
import { deadlineAfter, type Deadline } from '../../../src/domain/deadline.js';
import { AppError, UpstreamUnauthorizedError } from '../../../src/domain/errors.js';
import type { Product } from '../../../src/domain/product.js';
import type { ApiTokenConnection, Connection, OAuthConnection } from '../../../src/domain/session.js';
import { sessionIdOf } from '../../../src/domain/session-token.js';
import { InMemorySessionStore } from '../../../src/infrastructure/session/in-memory-session-store.js';
import { expectAppError, FixedClock, makeConnectionAccess, SequenceTokenGenerator, START_OF_TEST, TEST_DEADLINE_MS } from '../../support/port-fakes.js';
import { apiTokenConnection, oauthConnection } from '../../support/connections.js';

const SESSION_TTL_SECONDS = 3600;
const GRANTED: OAuthTokens = {
  accessToken: 'access-2',
  refreshToken: 'refresh-2',
  expiresInSeconds: 3600,
  scopes: ['read:jira-work'],
};

function makeSut() {
  const clock = new FixedClock();
  const store = new InMemorySessionStore(clock, SESSION_TTL_SECONDS);
  const tokens = new SequenceTokenGenerator();
  const { access: sut, oauth } = makeConnectionAccess(store, clock);
  oauth.refresh.resolves(GRANTED);
  /** The upstream call ConnectionAccess runs; answers 'result' unless a test says otherwise. */
  const call = sinon.stub<[AtlassianCredentials, Connection, Deadline], Promise<string>>().resolves('result');

  /** A live session holding the given connections; answers its token. */
  async function session(...connections: Connection[]): Promise<string> {
    const token = tokens.sessionToken();
    await store.create(sessionIdOf(token));
    for (const connection of connections) await store.putConnection(sessionIdOf(token), connection);
    return token;
  }

  return { sut, store, clock, oauth, call, session };
}

/** The access token a call received, or undefined when it got API-token credentials. */
function accessTokenOf(credentials: AtlassianCredentials | undefined): string | undefined {
  return credentials?.kind === 'oauth' ? credentials.accessToken : undefined;
}

describe('ConnectionAccess', () => {
  describe('loading the connection', () => {
    it('answers missing_session without a token, without a call', async () => {
      const { sut, call } = makeSut();

      await expectAppError(sut.run(undefined, 'jira', call), 'missing_session');

      expect(call.called).to.equal(false);
    });

    it('answers invalid_session for an unknown token', async () => {
      const { sut, call } = makeSut();

      await expectAppError(sut.run('u'.repeat(43), 'jira', call), 'invalid_session');
    });

    it('answers not_connected when the session has no connection for the product, without a call', async () => {
      const { sut, call, session } = makeSut();
      const token = await session(oauthConnection('confluence'));

      await expectAppError(sut.run(token, 'jira', call), 'not_connected');

      expect(call.called).to.equal(false);
    });

    it('answers what the call answers, and hands it the stored connection', async () => {
      const { sut, call, session } = makeSut();
      const connection = oauthConnection('jira');
      const token = await session(connection);

      expect(await sut.run(token, 'jira', call)).to.equal('result');
      expect(call.firstCall.args[1]).to.deep.equal(connection);
    });
  });

  describe('refreshing before the call', () => {
    it('does not refresh a token with more than 60 s left', async () => {
      const { sut, clock, oauth, call, session } = makeSut();
      const token = await session(oauthConnection('jira', { accessTokenExpiresAt: clock.now() + REFRESH_MARGIN_MS + 1_000 }));

      await sut.run(token, 'jira', call);

      expect(oauth.refresh.called).to.equal(false);
      expect(accessTokenOf(call.firstCall.args[0])).to.equal('access-1');
    });

    it('refreshes a token with less than 60 s left, and calls with the new one', async () => {
      const { sut, clock, oauth, call, session } = makeSut();
      const token = await session(oauthConnection('jira', { accessTokenExpiresAt: clock.now() + REFRESH_MARGIN_MS - 1 }));

      await sut.run(token, 'jira', call);

      // The token call ends by the request's deadline.
      expect(oauth.refresh.calledOnceWithExactly('jira', 'refresh-1', deadlineAfter(clock.now(), TEST_DEADLINE_MS))).to.equal(true);
      expect(call.calledOnce).to.equal(true);
      expect(accessTokenOf(call.firstCall.args[0])).to.equal('access-2');
    });

    it('refreshes an expired token, and calls with the new one', async () => {
      const { sut, clock, oauth, call, session } = makeSut();
      const token = await session(oauthConnection('jira', { accessTokenExpiresAt: clock.now() - 1 }));

      await sut.run(token, 'jira', call);

      expect(oauth.refresh.calledOnce).to.equal(true);
      expect(accessTokenOf(call.firstCall.args[0])).to.equal('access-2');
    });

    it('refreshes a token that expires while the session is idle', async () => {
      const { sut, clock, oauth, call, session } = makeSut();
      const token = await session(oauthConnection('jira', { accessTokenExpiresAt: clock.now() + 120_000 }));
      clock.advance(61_000);

      await sut.run(token, 'jira', call);

      expect(oauth.refresh.calledOnce).to.equal(true);
    });

    it('lets reauth_required through without a call when the refresh is refused', async () => {
      const { sut, clock, oauth, call, session } = makeSut();
      oauth.refresh.rejects(new AppError('invalid_grant', 'refresh token revoked'));
      const token = await session(oauthConnection('jira', { accessTokenExpiresAt: clock.now() - 1 }));

      await expectAppError(sut.run(token, 'jira', call), 'reauth_required');

      expect(call.called).to.equal(false);
    });
  });

  describe('one deadline per request', () => {
    it('gives the call, the token refresh and the repeat after it the deadline made when the request started', async () => {
      const { sut, clock, oauth, call, session } = makeSut();
      const token = await session(oauthConnection('jira'));
      const deadline = deadlineAfter(clock.now(), TEST_DEADLINE_MS);
      // Time passes during each step: none of them may start the wait afresh.
      call.onFirstCall().callsFake(async () => {
        clock.advance(10_000);
        throw new UpstreamUnauthorizedError(false);
      });
      oauth.refresh.callsFake(async () => {
        clock.advance(10_000);
        return GRANTED;
      });
      call.onSecondCall().resolves('second try');

      expect(await sut.run(token, 'jira', call)).to.equal('second try');

      expect(call.firstCall.args[2]).to.equal(deadline);
      expect(oauth.refresh.firstCall.args[2]).to.equal(deadline);
      expect(call.secondCall.args[2]).to.equal(deadline);
    });

    it('answers upstream_timeout without a refresh when a 401 comes after the deadline', async () => {
      const { sut, clock, oauth, call, session } = makeSut();
      const token = await session(oauthConnection('jira'));
      call.onFirstCall().callsFake(async () => {
        clock.advance(TEST_DEADLINE_MS);
        throw new UpstreamUnauthorizedError(false);
      });

      await expectAppError(sut.run(token, 'jira', call), 'upstream_timeout');

      expect(oauth.refresh.called).to.equal(false);
      expect(call.callCount).to.equal(1);
    });

    it('answers upstream_timeout without repeating the call when the refresh ends after the deadline', async () => {
      const { sut, clock, oauth, call, session } = makeSut();
      const token = await session(oauthConnection('jira'));
      call.onFirstCall().rejects(new UpstreamUnauthorizedError(false));
      oauth.refresh.callsFake(async () => {
        clock.advance(TEST_DEADLINE_MS);
        return GRANTED;
      });

      await expectAppError(sut.run(token, 'jira', call), 'upstream_timeout');

      expect(oauth.refresh.calledOnce).to.equal(true);
      expect(call.callCount).to.equal(1);
    });

    it('does not start a due refresh once the deadline has passed', async () => {
      const { sut, clock, oauth, call, session, store } = makeSut();
      const token = await session(oauthConnection('jira', { accessTokenExpiresAt: clock.now() + REFRESH_MARGIN_MS - 1 }));
      // The store is slow: the session arrives after the request's deadline.
      const get = store.get.bind(store);
      sinon.stub(store, 'get').callsFake(async (id) => {
        const found = await get(id);
        clock.advance(TEST_DEADLINE_MS);
        return found;
      });

      await expectAppError(sut.run(token, 'jira', call), 'upstream_timeout');

      expect(oauth.refresh.called).to.equal(false);
      expect(call.called).to.equal(false);
    });
  });

  describe('a 401 from Atlassian', () => {
    it('refreshes once and retries the call once with the new token', async () => {
      const { sut, oauth, call, session } = makeSut();
      call.onFirstCall().rejects(new UpstreamUnauthorizedError(false));
      call.onSecondCall().resolves('second try');
      const token = await session(oauthConnection('jira'));

      expect(await sut.run(token, 'jira', call)).to.equal('second try');

      expect(oauth.refresh.calledOnce).to.equal(true);
      expect(call.callCount).to.equal(2);
      expect(accessTokenOf(call.firstCall.args[0])).to.equal('access-1');
      expect(accessTokenOf(call.secondCall.args[0])).to.equal('access-2');
    });

    it('lets a second 401 through after exactly one refresh', async () => {
      const { sut, oauth, call, session } = makeSut();
      const second = new UpstreamUnauthorizedError(false);
      call.onFirstCall().rejects(new UpstreamUnauthorizedError(false));
      call.onSecondCall().rejects(second);
      const token = await session(oauthConnection('jira'));

      const error = await expectAppError(sut.run(token, 'jira', call), 'upstream_unauthorized');

      expect(error).to.equal(second);
      expect(oauth.refresh.calledOnce).to.equal(true);
      expect(call.callCount).to.equal(2);
    });

    it('does not refresh on a scope mismatch', async () => {
      const { sut, oauth, call, session } = makeSut();
      call.rejects(new UpstreamUnauthorizedError(true));
      const token = await session(oauthConnection('jira'));

      await expectAppError(sut.run(token, 'jira', call), 'upstream_unauthorized');

      expect(oauth.refresh.called).to.equal(false);
      expect(call.callCount).to.equal(1);
    });

    it('does not refresh an API-token connection', async () => {
      const { sut, oauth, call, session } = makeSut();
      call.rejects(new UpstreamUnauthorizedError(false));
      const token = await session(apiTokenConnection('jira'));

      await expectAppError(sut.run(token, 'jira', call), 'upstream_unauthorized');

      expect(oauth.refresh.called).to.equal(false);
      expect(call.callCount).to.equal(1);
    });

    it('does not retry on other upstream errors', async () => {
      const { sut, oauth, call, session } = makeSut();
      call.rejects(new AppError('upstream_error', 'Atlassian failed'));
      const token = await session(oauthConnection('jira'));

      await expectAppError(sut.run(token, 'jira', call), 'upstream_error');

      expect(oauth.refresh.called).to.equal(false);
      expect(call.callCount).to.equal(1);
    });
  });

  describe('credentials', () => {
    it('passes an OAuth connection as its cloudId and access token', async () => {
      const { sut, call, session } = makeSut();
      const token = await session(oauthConnection('jira'));

      await sut.run(token, 'jira', call);

      expect(call.firstCall.args[0]).to.deep.equal({ kind: 'oauth', cloudId: 'cloud-acme', accessToken: 'access-1' });
    });

    it('passes a site-routed API-token connection without a gateway cloudId', async () => {
      const { sut, call, session } = makeSut();
      const token = await session(apiTokenConnection('confluence', { site: { id: 'cloud-acme', url: 'https://acme.atlassian.net' } }));

      await sut.run(token, 'confluence', call);

      expect(call.firstCall.args[0]).to.deep.equal({
        kind: 'api_token',
        host: 'acme.atlassian.net',
        email: 'ada@example.com',
        apiToken: 'api-token-1',
      });
    });

    it('passes a gateway-routed API-token connection with its cloudId', async () => {
      const { sut, call, session } = makeSut();
      const token = await session(
        apiTokenConnection('confluence', { route: 'gateway', site: { id: 'cloud-acme', url: 'https://acme.atlassian.net' } }),
      );

      await sut.run(token, 'confluence', call);

      expect(call.firstCall.args[0]).to.deep.equal({
        kind: 'api_token',
        host: 'acme.atlassian.net',
        email: 'ada@example.com',
        apiToken: 'api-token-1',
        gatewayCloudId: 'cloud-acme',
      });
    });

    // A stored record is data, not a proof: what would reach a URL is validated again when read.
    const unusable: [string, Connection][] = [
      ['an API-token connection whose site is not an Atlassian Cloud site', apiTokenConnection('jira', { site: { url: 'https://evil.example.com' } })],
      ['an API-token connection whose site URL carries a port', apiTokenConnection('jira', { site: { url: 'https://acme.atlassian.net:8443' } })],
      [
        'a gateway-routed API-token connection whose cloudId is a path',
        apiTokenConnection('jira', { route: 'gateway', site: { id: '../../admin', url: 'https://acme.atlassian.net' } }),
      ],
      ['an OAuth connection whose cloudId is a path', oauthConnection('jira', { site: { id: 'x/../../evil', url: 'https://acme.atlassian.net' } })],
      ['an OAuth connection without a cloudId', oauthConnection('jira', { site: { url: 'https://acme.atlassian.net' } })],
    ];
    for (const [name, connection] of unusable) {
      it(`answers reauth_required, without a call, for ${name}`, async () => {
        const { sut, call, session } = makeSut();
        const token = await session(connection);

        await expectAppError(sut.run(token, 'jira', call), 'reauth_required');

        expect(call.called).to.equal(false);
      });
    }
  });
});
