import { expect } from 'chai';
import sinon from 'sinon';
import type { AccessibleResource, OAuthTokens } from '../../../src/application/ports/atlassian-oauth-gateway.js';
import { CompleteOAuth } from '../../../src/application/use-cases/complete-oauth.js';
import { AppError } from '../../../src/domain/errors.js';
import type { Product } from '../../../src/domain/product.js';
import type { ApiTokenConnection } from '../../../src/domain/session.js';
import { completionIdOf, sessionIdOf, stateIdOf } from '../../../src/domain/session-token.js';
import { InMemorySessionStore } from '../../../src/infrastructure/session/in-memory-session-store.js';
import { expectAppError, FixedClock, SequenceTokenGenerator, stubOAuthGateway } from '../../support/port-fakes.js';
import { parseCloudId } from '../../../src/domain/site.js';

const SESSION_TTL_SECONDS = 3600;
const STATE_TTL_MS = 600_000;
const COMPLETION_TTL_SECONDS = 120;

const TOKENS: OAuthTokens = {
  accessToken: 'access-1',
  refreshToken: 'refresh-1',
  expiresInSeconds: 3600,
  scopes: ['read:jira-work', 'offline_access'],
};
const ACME: AccessibleResource = {
  id: parseCloudId('cloud-acme'),
  name: 'Acme',
  url: 'https://acme.atlassian.net',
  scopes: ['read:jira-work', 'read:jira-user'],
};
const BETA: AccessibleResource = {
  id: parseCloudId('cloud-beta'),
  name: 'Beta',
  url: 'https://beta.atlassian.net',
  scopes: ['read:jira-work'],
};
const WIKI_ONLY: AccessibleResource = {
  id: parseCloudId('cloud-wiki'),
  name: 'Wiki',
  url: 'https://wiki.atlassian.net',
  scopes: ['read:space:confluence', 'read:confluence-content.summary'],
};

function makeSut() {
  const clock = new FixedClock();
  const store = new InMemorySessionStore(clock, SESSION_TTL_SECONDS);
  const tokens = new SequenceTokenGenerator();
  const oauth = stubOAuthGateway();
  oauth.exchangeCode.resolves(TOKENS);
  oauth.accessibleResources.resolves([ACME]);
  const sut = new CompleteOAuth(store, oauth, tokens, clock, { completionTtlSeconds: COMPLETION_TTL_SECONDS });

  /** What StartOAuth leaves behind: a session and a pending flow bound to it. Answers the state and the session. */
  async function started(product: Product, options: { sessionToken?: string; preferredSite?: string; codeVerifier?: string } = {}) {
    const sessionToken = options.sessionToken ?? tokens.sessionToken();
    const sessionId = sessionIdOf(sessionToken);
    if ((await store.get(sessionId)) === undefined) await store.create(sessionId);
    const state = tokens.oauthState();
    await store.putPendingOAuth({
      stateId: stateIdOf(state),
      product,
      sessionId,
      sessionToken,
      ...(options.preferredSite === undefined ? {} : { preferredSite: options.preferredSite }),
      ...(options.codeVerifier === undefined ? {} : { codeVerifier: options.codeVerifier }),
      expiresAt: clock.now() + STATE_TTL_MS,
    });
    return { state, sessionToken, sessionId };
  }

  return { sut, store, clock, tokens, oauth, started };
}

describe('CompleteOAuth', () => {
  describe('refusals', () => {
    it('answers oauth_denied when Atlassian sends an error, and burns the state', async () => {
      const { sut, started } = makeSut();
      const { state } = await started('jira');

      await expectAppError(sut.execute({ product: 'jira', state, error: 'access_denied' }), 'oauth_denied');

      await expectAppError(sut.execute({ product: 'jira', state, code: 'code-1' }), 'invalid_state');
    });

    it("names a standard OAuth error in the message, but never another word taken from the callback URL", async () => {
      const { sut } = makeSut();

      const denied = await expectAppError(sut.execute({ product: 'jira', error: 'access_denied' }), 'oauth_denied');
      const crafted = await expectAppError(sut.execute({ product: 'jira', error: 'call_support_at_evil_example' }), 'oauth_denied');

      expect(denied.message).to.include('(access_denied)');
      expect(crafted.message).not.to.include('evil');
    });

    it('answers oauth_denied without a state too', async () => {
      const { sut } = makeSut();

      await expectAppError(sut.execute({ product: 'jira', error: 'access_denied' }), 'oauth_denied');
    });

    it('answers invalid_request without a code', async () => {
      const { sut, started } = makeSut();
      const { state } = await started('jira');

      await expectAppError(sut.execute({ product: 'jira', state }), 'invalid_request');
    });

    it('answers invalid_request without a state', async () => {
      const { sut } = makeSut();

      await expectAppError(sut.execute({ product: 'jira', code: 'code-1' }), 'invalid_request');
    });

    it('answers invalid_request for an empty code', async () => {
      const { sut, started } = makeSut();
      const { state } = await started('jira');

      await expectAppError(sut.execute({ product: 'jira', state, code: '' }), 'invalid_request');
    });

    it('answers invalid_state for an unknown state, without exchanging the code', async () => {
      const { sut, oauth } = makeSut();

      await expectAppError(sut.execute({ product: 'jira', state: 'never-issued', code: 'code-1' }), 'invalid_state');

      expect(oauth.exchangeCode.called).to.equal(false);
    });

    it('answers invalid_state for a state issued for the other product', async () => {
      const { sut, started } = makeSut();
      const { state } = await started('confluence');

      await expectAppError(sut.execute({ product: 'jira', state, code: 'code-1' }), 'invalid_state');
    });

    it('answers invalid_state for an expired state', async () => {
      const { sut, clock, started } = makeSut();
      const { state } = await started('jira');
      clock.advance(STATE_TTL_MS);

      await expectAppError(sut.execute({ product: 'jira', state, code: 'code-1' }), 'invalid_state');
    });

    it('answers invalid_state when the state is used a second time', async () => {
      const { sut, started } = makeSut();
      const { state } = await started('jira');
      await sut.execute({ product: 'jira', state, code: 'code-1' });

      await expectAppError(sut.execute({ product: 'jira', state, code: 'code-1' }), 'invalid_state');
    });

    it('lets invalid_grant from the code exchange through', async () => {
      const { sut, oauth, started } = makeSut();
      oauth.exchangeCode.rejects(new AppError('invalid_grant', 'Atlassian refused the authorization code.'));
      const { state } = await started('jira');

      await expectAppError(sut.execute({ product: 'jira', state, code: 'stale' }), 'invalid_grant');
    });
  });

  describe('success', () => {
    it('exchanges the code with the product of the state', async () => {
      const { sut, oauth, started } = makeSut();
      const { state } = await started('jira');

      await sut.execute({ product: 'jira', state, code: 'code-1' });

      expect(oauth.exchangeCode.calledOnceWith('jira', 'code-1')).to.equal(true);
      expect(oauth.accessibleResources.calledOnceWithExactly('access-1')).to.equal(true);
    });

    it('sends the PKCE verifier kept with the flow, and none for a flow without one', async () => {
      const { sut, oauth, started } = makeSut();
      const withPkce = await started('jira', { codeVerifier: 'v'.repeat(43) });
      const without = await started('jira');

      await sut.execute({ product: 'jira', state: withPkce.state, code: 'code-1' });
      await sut.execute({ product: 'jira', state: without.state, code: 'code-2' });

      expect(oauth.exchangeCode.firstCall.args).to.deep.equal(['jira', 'code-1', 'v'.repeat(43)]);
      expect(oauth.exchangeCode.secondCall.args).to.deep.equal(['jira', 'code-2', undefined]);
    });

    it("answers the token of the session the state was bound to, and the chosen site", async () => {
      const { sut, started } = makeSut();
      const { state, sessionToken } = await started('jira');

      const output = await sut.execute({ product: 'jira', state, code: 'code-1' });

      expect(output).to.deep.equal({
        sessionToken,
        product: 'jira',
        site: { id: 'cloud-acme', url: 'https://acme.atlassian.net', name: 'Acme' },
        sites: [{ id: 'cloud-acme', url: 'https://acme.atlassian.net', name: 'Acme' }],
      });
    });

    it('stores the OAuth connection in that session', async () => {
      const { sut, store, clock, started } = makeSut();
      const { state, sessionId } = await started('jira');
      clock.advance(5_000);

      await sut.execute({ product: 'jira', state, code: 'code-1' });

      const connection = (await store.get(sessionId))?.connections.jira;
      expect(connection).to.deep.include({
        product: 'jira',
        method: 'oauth',
        site: { id: 'cloud-acme', url: 'https://acme.atlassian.net', name: 'Acme' },
        connectedAt: clock.now(),
        accessToken: 'access-1',
        refreshToken: 'refresh-1',
        accessTokenExpiresAt: clock.now() + 3600 * 1000,
        scopes: ['read:jira-work', 'offline_access'],
      });
      expect(connection?.version).to.be.a('string');
    });

    it('stores no refresh token when Atlassian grants none', async () => {
      const { sut, store, oauth, started } = makeSut();
      oauth.exchangeCode.resolves({ accessToken: 'access-1', expiresInSeconds: 60, scopes: ['read:jira-work'] });
      const { state, sessionId } = await started('jira');

      await sut.execute({ product: 'jira', state, code: 'code-1' });

      expect((await store.get(sessionId))?.connections.jira).to.not.have.property('refreshToken');
    });

    it('keeps the Jira connection when Confluence is connected into the same session', async () => {
      const { sut, store, oauth, started } = makeSut();
      const jira = await started('jira');
      await sut.execute({ product: 'jira', state: jira.state, code: 'code-1' });
      oauth.exchangeCode.resolves({ ...TOKENS, accessToken: 'access-2', scopes: ['read:space:confluence'] });
      oauth.accessibleResources.resolves([WIKI_ONLY]);
      const confluence = await started('confluence', { sessionToken: jira.sessionToken });

      const output = await sut.execute({ product: 'confluence', state: confluence.state, code: 'code-2' });

      expect(output.sessionToken).to.equal(jira.sessionToken);
      const connections = (await store.get(jira.sessionId))?.connections;
      expect(connections?.jira).to.deep.include({ method: 'oauth', accessToken: 'access-1' });
      expect(connections?.confluence).to.deep.include({ method: 'oauth', accessToken: 'access-2' });
    });

    it('replaces an earlier connection of the same product', async () => {
      const { sut, store, started } = makeSut();
      const { state, sessionId, sessionToken } = await started('jira');
      const apiToken: ApiTokenConnection = {
        product: 'jira',
        method: 'api_token',
        site: { url: 'https://old.atlassian.net' },
        connectedAt: 0,
        version: 'v0',
        email: 'a@example.com',
        apiToken: 'secret',
        route: 'site',
      };
      await store.putConnection(sessionId, apiToken);

      const output = await sut.execute({ product: 'jira', state, code: 'code-1' });

      expect(output.sessionToken).to.equal(sessionToken);
      expect((await store.get(sessionId))?.connections.jira).to.deep.include({ method: 'oauth', accessToken: 'access-1' });
    });
  });

  describe('the session ended before the callback', () => {
    it('answers invalid_session after a logout, without redeeming the code, and the session stays gone', async () => {
      const { sut, store, oauth, started } = makeSut();
      const { state, sessionId } = await started('jira');
      await store.delete(sessionId);

      await expectAppError(sut.execute({ product: 'jira', state, code: 'code-1' }), 'invalid_session');

      expect(oauth.exchangeCode.called).to.equal(false);
      expect(await store.get(sessionId)).to.equal(undefined);
    });

    it('answers invalid_session when the store refuses the connection (the session ended during the exchange)', async () => {
      const { sut, store, started } = makeSut();
      const { state } = await started('jira');
      sinon.stub(store, 'putConnection').resolves(false);

      await expectAppError(sut.execute({ product: 'jira', state, code: 'code-1' }), 'invalid_session');
    });
  });

  describe('bound to the browser (bindToBrowser, with OAUTH_RETURN_URL)', () => {
    it('attaches nothing: the grant waits under the hash of a fresh completion value, for the session that started', async () => {
      const { sut, store, clock, started } = makeSut();
      const { state, sessionId } = await started('jira');

      const output = await sut.execute({ product: 'jira', state, code: 'code-1', bindToBrowser: true });

      expect(output).to.deep.equal({ product: 'jira', completion: output.completion });
      expect(output.completion).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect((await store.get(sessionId))?.connections).to.deep.equal({});
      expect(await store.takeCompletion(output.completion), 'stored under the raw value').to.equal(undefined);
      const kept = await store.takeCompletion(completionIdOf(output.completion));
      expect(kept).to.deep.include({
        completionId: completionIdOf(output.completion),
        sessionId,
        site: { id: 'cloud-acme', url: 'https://acme.atlassian.net', name: 'Acme' },
        expiresAt: clock.now() + COMPLETION_TTL_SECONDS * 1000,
      });
      expect(kept?.connection).to.deep.include({ product: 'jira', method: 'oauth', accessToken: 'access-1', refreshToken: 'refresh-1' });
    });

    it('keeps the completion until just before its TTL', async () => {
      const { sut, store, clock, started } = makeSut();
      const { state } = await started('jira');
      const { completion } = await sut.execute({ product: 'jira', state, code: 'code-1', bindToBrowser: true });

      clock.advance(COMPLETION_TTL_SECONDS * 1000 - 1);

      expect(await store.takeCompletion(completionIdOf(completion))).to.not.equal(undefined);
    });

    it('issues a different completion value for every flow', async () => {
      const { sut, started } = makeSut();
      const first = await started('jira');
      const second = await started('jira');

      const a = await sut.execute({ product: 'jira', state: first.state, code: 'code-1', bindToBrowser: true });
      const b = await sut.execute({ product: 'jira', state: second.state, code: 'code-2', bindToBrowser: true });

      expect(a.completion).to.not.equal(b.completion);
    });
  });

  describe('site choice', () => {
    it("skips resources without the product's scopes and takes the first usable one", async () => {
      const { sut, oauth, started } = makeSut();
      oauth.accessibleResources.resolves([WIKI_ONLY, BETA, ACME]);
      const { state } = await started('jira');

      const output = await sut.execute({ product: 'jira', state, code: 'code-1' });

      expect(output.site.id).to.equal('cloud-beta');
      expect(output.sites.map((site) => site.id)).to.deep.equal(['cloud-beta', 'cloud-acme']);
    });

    it('takes a Confluence-only resource for Confluence', async () => {
      const { sut, oauth, started } = makeSut();
      oauth.accessibleResources.resolves([ACME, WIKI_ONLY]);
      const { state } = await started('confluence');

      const output = await sut.execute({ product: 'confluence', state, code: 'code-1' });

      expect(output.site.id).to.equal('cloud-wiki');
    });

    it('honours the preferred site', async () => {
      const { sut, oauth, started } = makeSut();
      oauth.accessibleResources.resolves([ACME, BETA]);
      const { state } = await started('jira', { preferredSite: 'beta.atlassian.net' });

      const output = await sut.execute({ product: 'jira', state, code: 'code-1' });

      expect(output.site).to.deep.equal({ id: 'cloud-beta', url: 'https://beta.atlassian.net', name: 'Beta' });
    });

    it('answers no_accessible_site when the grant does not cover the preferred site', async () => {
      const { sut, store, oauth, started } = makeSut();
      oauth.accessibleResources.resolves([ACME, WIKI_ONLY]);
      const { state, sessionId } = await started('jira', { preferredSite: 'wiki.atlassian.net' });

      await expectAppError(sut.execute({ product: 'jira', state, code: 'code-1' }), 'no_accessible_site');

      expect((await store.get(sessionId))?.connections).to.deep.equal({});
    });

    it('answers no_accessible_site when the grant covers no resource', async () => {
      const { sut, oauth, started } = makeSut();
      oauth.accessibleResources.resolves([]);
      const { state } = await started('jira');

      await expectAppError(sut.execute({ product: 'jira', state, code: 'code-1' }), 'no_accessible_site');
    });

    it('answers no_accessible_site when no resource carries the product', async () => {
      const { sut, oauth, started } = makeSut();
      oauth.accessibleResources.resolves([WIKI_ONLY]);
      const { state } = await started('jira');

      await expectAppError(sut.execute({ product: 'jira', state, code: 'code-1' }), 'no_accessible_site');
    });

    it('lists a site that appears twice only once', async () => {
      const { sut, oauth, started } = makeSut();
      oauth.accessibleResources.resolves([ACME, { ...ACME, scopes: ['read:jira-user'] }, BETA]);
      const { state } = await started('jira');

      const output = await sut.execute({ product: 'jira', state, code: 'code-1' });

      expect(output.sites.map((site) => site.id)).to.deep.equal(['cloud-acme', 'cloud-beta']);
    });
  });
});
