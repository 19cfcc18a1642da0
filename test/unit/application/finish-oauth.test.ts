import { expect } from 'chai';
import sinon from 'sinon';
import { FinishOAuth } from '../../../src/application/use-cases/finish-oauth.js';
import type { OAuthConnection } from '../../../src/domain/session.js';
import { completionIdOf, sessionIdOf } from '../../../src/domain/session-token.js';
import { InMemorySessionStore } from '../../../src/infrastructure/session/in-memory-session-store.js';
import { expectAppError, FixedClock, SequenceTokenGenerator } from '../../support/port-fakes.js';

const SESSION_TTL_SECONDS = 3600;
const COMPLETION_TTL_MS = 120_000;
const ACME = { id: 'cloud-acme', url: 'https://acme.atlassian.net', name: 'Acme' };
const BETA = { id: 'cloud-beta', url: 'https://beta.atlassian.net', name: 'Beta' };

function makeSut() {
  const clock = new FixedClock();
  const store = new InMemorySessionStore(clock, SESSION_TTL_SECONDS);
  const tokens = new SequenceTokenGenerator();
  const sut = new FinishOAuth(store, clock);

  async function session(): Promise<{ sessionToken: string; sessionId: string }> {
    const sessionToken = tokens.sessionToken();
    await store.create(sessionIdOf(sessionToken));
    return { sessionToken, sessionId: sessionIdOf(sessionToken) };
  }

  /** What CompleteOAuth leaves behind with bindToBrowser: a grant waiting for the session that started the flow. */
  async function finished(sessionId: string): Promise<{ completion: string; connection: OAuthConnection }> {
    const completion = tokens.oauthCompletion();
    const connection: OAuthConnection = {
      product: 'jira',
      method: 'oauth',
      site: ACME,
      connectedAt: clock.now(),
      version: tokens.id(),
      accessToken: 'access-1',
      refreshToken: 'refresh-1',
      accessTokenExpiresAt: clock.now() + 3_600_000,
      scopes: ['read:jira-work', 'offline_access'],
    };
    await store.putCompletion({
      completionId: completionIdOf(completion),
      sessionId,
      connection,
      site: ACME,
      sites: [ACME, BETA],
      expiresAt: clock.now() + COMPLETION_TTL_MS,
    });
    return { completion, connection };
  }

  return { sut, store, clock, session, finished };
}

describe('FinishOAuth', () => {
  describe('the session that started the flow', () => {
    it('gets the grant attached, and the answer of the JSON callback', async () => {
      const { sut, store, session, finished } = makeSut();
      const { sessionToken, sessionId } = await session();
      const { completion, connection } = await finished(sessionId);

      const output = await sut.execute({ completion, sessionToken });

      expect(output).to.deep.equal({ sessionToken, product: 'jira', site: ACME, sites: [ACME, BETA] });
      expect((await store.get(sessionId))?.connections.jira).to.deep.equal(connection);
    });

    it("keeps the session's other product", async () => {
      const { sut, store, session, finished } = makeSut();
      const { sessionToken, sessionId } = await session();
      await store.putConnection(sessionId, { product: 'confluence', method: 'api_token', site: { url: 'https://acme.atlassian.net' },
        connectedAt: 0, version: 'c1', email: 'a@example.com', apiToken: 'secret', route: 'site' });
      const { completion } = await finished(sessionId);

      await sut.execute({ completion, sessionToken });

      expect(Object.keys((await store.get(sessionId))?.connections ?? {}).sort()).to.deep.equal(['confluence', 'jira']);
    });
  });

  describe('invalid_completion', () => {
    it('for a value never issued', async () => {
      const { sut, session } = makeSut();
      const { sessionToken } = await session();

      await expectAppError(sut.execute({ completion: 'never-issued', sessionToken }), 'invalid_completion');
    });

    it('for a value used once already', async () => {
      const { sut, session, finished } = makeSut();
      const { sessionToken, sessionId } = await session();
      const { completion } = await finished(sessionId);
      await sut.execute({ completion, sessionToken });

      await expectAppError(sut.execute({ completion, sessionToken }), 'invalid_completion');
    });

    it('once the completion TTL has passed, and nothing is attached', async () => {
      const { sut, store, clock, session, finished } = makeSut();
      const { sessionToken, sessionId } = await session();
      const { completion } = await finished(sessionId);
      clock.advance(COMPLETION_TTL_MS);

      await expectAppError(sut.execute({ completion, sessionToken }), 'invalid_completion');

      expect((await store.get(sessionId))?.connections).to.deep.equal({});
    });
  });

  describe('completion_session_mismatch (the sign-in was started elsewhere)', () => {
    it('for another session: nothing is attached to either, and the completion is burnt', async () => {
      const { sut, store, session, finished } = makeSut();
      const starter = await session();
      const other = await session();
      const { completion } = await finished(starter.sessionId);

      await expectAppError(sut.execute({ completion, sessionToken: other.sessionToken }), 'completion_session_mismatch');

      expect((await store.get(other.sessionId))?.connections).to.deep.equal({});
      expect((await store.get(starter.sessionId))?.connections).to.deep.equal({});
      await expectAppError(sut.execute({ completion, sessionToken: starter.sessionToken }), 'invalid_completion');
    });

    it('without a session token, and the completion is burnt', async () => {
      const { sut, session, finished } = makeSut();
      const starter = await session();
      const { completion } = await finished(starter.sessionId);

      await expectAppError(sut.execute({ completion }), 'completion_session_mismatch');

      await expectAppError(sut.execute({ completion, sessionToken: starter.sessionToken }), 'invalid_completion');
    });

    it('for a malformed session token', async () => {
      const { sut, session, finished } = makeSut();
      const { completion } = await finished((await session()).sessionId);

      await expectAppError(sut.execute({ completion, sessionToken: 'not a token' }), 'completion_session_mismatch');
    });
  });

  describe('invalid_session (the session ended between the callback and this step)', () => {
    it('after a logout: 401, and the session stays gone', async () => {
      const { sut, store, session, finished } = makeSut();
      const { sessionToken, sessionId } = await session();
      const { completion } = await finished(sessionId);
      await store.delete(sessionId);

      await expectAppError(sut.execute({ completion, sessionToken }), 'invalid_session');

      expect(await store.get(sessionId)).to.equal(undefined);
    });

    it('when the store refuses the connection because the session went away meanwhile', async () => {
      const { sut, store, session, finished } = makeSut();
      const { sessionToken, sessionId } = await session();
      const { completion } = await finished(sessionId);
      sinon.stub(store, 'putConnection').resolves(false);

      await expectAppError(sut.execute({ completion, sessionToken }), 'invalid_session');
    });
  });
});
