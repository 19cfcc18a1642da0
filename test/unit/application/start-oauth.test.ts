import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { StartOAuth } from '../../../src/application/use-cases/start-oauth.js';
import { sessionIdOf, stateIdOf } from '../../../src/domain/session-token.js';
import { InMemorySessionStore } from '../../../src/infrastructure/session/in-memory-session-store.js';
import { expectAppError, FixedClock, SequenceTokenGenerator, stubOAuthGateway } from '../../support/port-fakes.js';

const SESSION_TTL_SECONDS = 3600;
const STATE_TTL_SECONDS = 600;

function makeSut(pkce = true) {
  const clock = new FixedClock();
  const store = new InMemorySessionStore(clock, SESSION_TTL_SECONDS);
  const tokens = new SequenceTokenGenerator();
  const oauth = stubOAuthGateway();
  oauth.isConfigured.returns(true);
  oauth.authorizationUrl.callsFake(
    (product, state) => `https://auth.atlassian.com/authorize?product=${product}&state=${encodeURIComponent(state)}`,
  );
  const sut = new StartOAuth(store, oauth, tokens, clock, { stateTtlSeconds: STATE_TTL_SECONDS, pkce });
  return { sut, store, clock, tokens, oauth };
}

function stateOf(authUrl: string): string {
  const state = new URL(authUrl).searchParams.get('state');
  expect(state, 'state in the authorization URL').to.be.a('string');
  return state ?? '';
}

describe('StartOAuth', () => {
  it('refuses with oauth_not_configured when the product has no OAuth client, and creates no session', async () => {
    const { sut, store, oauth } = makeSut();
    oauth.isConfigured.withArgs('confluence').returns(false);

    await expectAppError(sut.execute({ product: 'confluence' }), 'oauth_not_configured');

    expect(store.size).to.equal(0);
  });

  it('creates a new session when no token is given', async () => {
    const { sut, store } = makeSut();

    const output = await sut.execute({ product: 'jira' });

    expect(output.sessionToken).to.be.a('string');
    expect(await store.get(sessionIdOf(output.sessionToken))).to.deep.include({ connections: {} });
  });

  it('answers the authorization URL the gateway builds for the product', async () => {
    const { sut } = makeSut();

    const output = await sut.execute({ product: 'confluence' });

    expect(output.authUrl).to.match(/^https:\/\/auth\.atlassian\.com\/authorize\?product=confluence&state=/);
  });

  it('keeps the session when a valid session token is given', async () => {
    const { sut, store } = makeSut();
    const first = await sut.execute({ product: 'jira' });

    const second = await sut.execute({ product: 'confluence', sessionToken: first.sessionToken });

    expect(second.sessionToken).to.equal(first.sessionToken);
    expect(store.size).to.equal(1);
  });

  it('creates a new session when the given token is unknown', async () => {
    const { sut, store } = makeSut();
    const unknown = 'u'.repeat(43);

    const output = await sut.execute({ product: 'jira', sessionToken: unknown });

    expect(output.sessionToken).to.not.equal(unknown);
    expect(await store.get(sessionIdOf(output.sessionToken))).to.not.equal(undefined);
    expect(await store.get(sessionIdOf(unknown))).to.equal(undefined);
  });

  it('creates a new session when the given token is malformed', async () => {
    const { sut, store } = makeSut();

    const output = await sut.execute({ product: 'jira', sessionToken: 'not a token' });

    expect(output.sessionToken).to.not.equal('not a token');
    expect(await store.get(sessionIdOf(output.sessionToken))).to.not.equal(undefined);
  });

  it('creates a new session when the given token names an expired session', async () => {
    const { sut, clock } = makeSut();
    const first = await sut.execute({ product: 'jira' });
    clock.advance(SESSION_TTL_SECONDS * 1000);

    const second = await sut.execute({ product: 'jira', sessionToken: first.sessionToken });

    expect(second.sessionToken).to.not.equal(first.sessionToken);
  });

  it('binds the state to the session and product, and stores it under its hash', async () => {
    const { sut, store, clock } = makeSut();

    const output = await sut.execute({ product: 'jira' });
    const state = stateOf(output.authUrl);

    expect(await store.takePendingOAuth(state), 'stored under the raw state').to.equal(undefined);
    expect(await store.takePendingOAuth(stateIdOf(state))).to.deep.include({
      stateId: stateIdOf(state),
      product: 'jira',
      sessionId: sessionIdOf(output.sessionToken),
      sessionToken: output.sessionToken,
      expiresAt: clock.now() + STATE_TTL_SECONDS * 1000,
    });
  });

  describe('PKCE', () => {
    it('sends the S256 challenge of a fresh verifier, and keeps the verifier with the flow', async () => {
      const { sut, store, oauth } = makeSut();

      const output = await sut.execute({ product: 'jira' });

      const pending = await store.takePendingOAuth(stateIdOf(stateOf(output.authUrl)));
      expect(pending?.codeVerifier).to.match(/^[A-Za-z0-9_-]{43}$/);
      const [, , challenge] = oauth.authorizationUrl.firstCall.args;
      expect(challenge).to.equal(createHash('sha256').update(pending?.codeVerifier ?? '').digest('base64url'));
      expect(challenge).to.not.equal(pending?.codeVerifier);
    });

    it('uses a different verifier on every start', async () => {
      const { sut, oauth } = makeSut();

      await sut.execute({ product: 'jira' });
      await sut.execute({ product: 'jira' });

      expect(oauth.authorizationUrl.firstCall.args[2]).to.not.equal(oauth.authorizationUrl.secondCall.args[2]);
    });

    it('sends no challenge and keeps no verifier when PKCE is off', async () => {
      const { sut, store, oauth } = makeSut(false);

      const output = await sut.execute({ product: 'jira' });

      expect(oauth.authorizationUrl.firstCall.args[2]).to.equal(undefined);
      expect(await store.takePendingOAuth(stateIdOf(stateOf(output.authUrl)))).to.not.have.property('codeVerifier');
    });
  });

  it('issues a different state on every start', async () => {
    const { sut } = makeSut();
    const first = await sut.execute({ product: 'jira' });

    const second = await sut.execute({ product: 'jira', sessionToken: first.sessionToken });

    expect(stateOf(second.authUrl)).to.not.equal(stateOf(first.authUrl));
  });

  it('lets the state live until just before stateTtlSeconds', async () => {
    const { sut, store, clock } = makeSut();
    const state = stateOf((await sut.execute({ product: 'jira' })).authUrl);

    clock.advance(STATE_TTL_SECONDS * 1000 - 1);

    expect(await store.takePendingOAuth(stateIdOf(state))).to.not.equal(undefined);
  });

  it('lets the state expire after stateTtlSeconds', async () => {
    const { sut, store, clock } = makeSut();
    const state = stateOf((await sut.execute({ product: 'jira' })).authUrl);

    clock.advance(STATE_TTL_SECONDS * 1000);

    expect(await store.takePendingOAuth(stateIdOf(state))).to.equal(undefined);
  });

  it('records the normalised preferred site', async () => {
    const { sut, store } = makeSut();

    const output = await sut.execute({ product: 'jira', site: 'https://ACME.atlassian.net/' });

    const pending = await store.takePendingOAuth(stateIdOf(stateOf(output.authUrl)));
    expect(pending?.preferredSite).to.equal('acme.atlassian.net');
  });

  it('refuses an invalid site with invalid_site, before creating a session or a state', async () => {
    const { sut, store, oauth } = makeSut();

    await expectAppError(sut.execute({ product: 'jira', site: 'evil.com' }), 'invalid_site');

    expect(store.size).to.equal(0);
    expect(oauth.authorizationUrl.called).to.equal(false);
  });
});
