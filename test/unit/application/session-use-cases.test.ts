import { expect } from 'chai';
import { DisconnectProduct } from '../../../src/application/use-cases/disconnect-product.js';
import { EndSession } from '../../../src/application/use-cases/end-session.js';
import { GetSession } from '../../../src/application/use-cases/get-session.js';
import type { ApiTokenConnection, Connection, OAuthConnection } from '../../../src/domain/session.js';
import { sessionIdOf } from '../../../src/domain/session-token.js';
import { InMemorySessionStore } from '../../../src/infrastructure/session/in-memory-session-store.js';
import { InMemoryListingCache } from '../../../src/infrastructure/listing-cache/in-memory-listing-cache.js';
import { expectAppError, FixedClock, SequenceTokenGenerator, START_OF_TEST } from '../../support/port-fakes.js';

const SESSION_TTL_SECONDS = 3600;
const SECRETS = ['secret-access-token', 'secret-refresh-token', 'secret-api-token', 'ada@example.com'];

const JIRA_OAUTH: OAuthConnection = {
  product: 'jira',
  method: 'oauth',
  site: { id: 'cloud-acme', url: 'https://acme.atlassian.net', name: 'Acme' },
  connectedAt: START_OF_TEST + 1_000,
  version: 'v1',
  accessToken: 'secret-access-token',
  refreshToken: 'secret-refresh-token',
  accessTokenExpiresAt: START_OF_TEST + 3_600_000,
  scopes: ['read:jira-work'],
};
const CONFLUENCE_API_TOKEN: ApiTokenConnection = {
  product: 'confluence',
  method: 'api_token',
  site: { url: 'https://wiki.atlassian.net' },
  connectedAt: START_OF_TEST + 2_000,
  version: 'v1',
  email: 'ada@example.com',
  apiToken: 'secret-api-token',
  route: 'site',
};

function makeSut() {
  const clock = new FixedClock();
  const store = new InMemorySessionStore(clock, SESSION_TTL_SECONDS);
  const tokens = new SequenceTokenGenerator();
  const listings = new InMemoryListingCache(clock, 1024 * 1024);

  /** A live session holding the given connections; answers its token. */
  async function session(...connections: Connection[]): Promise<string> {
    const token = tokens.sessionToken();
    await store.create(sessionIdOf(token));
    for (const connection of connections) await store.putConnection(sessionIdOf(token), connection);
    return token;
  }

  return {
    getSession: new GetSession(store),
    endSession: new EndSession(store, listings),
    disconnectProduct: new DisconnectProduct(store, listings),
    listings,
    store,
    clock,
    session,
  };
}

describe('GetSession', () => {
  it('answers missing_session without a token', async () => {
    const { getSession } = makeSut();

    await expectAppError(getSession.execute({}), 'missing_session');
  });

  it('answers invalid_session for a malformed token', async () => {
    const { getSession } = makeSut();

    await expectAppError(getSession.execute({ sessionToken: 'not a token' }), 'invalid_session');
  });

  it('answers invalid_session for an unknown token', async () => {
    const { getSession } = makeSut();

    await expectAppError(getSession.execute({ sessionToken: 'u'.repeat(43) }), 'invalid_session');
  });

  it('answers invalid_session once the session has been idle for its TTL', async () => {
    const { getSession, clock, session } = makeSut();
    const token = await session(JIRA_OAUTH);
    clock.advance(SESSION_TTL_SECONDS * 1000);

    await expectAppError(getSession.execute({ sessionToken: token }), 'invalid_session');
  });

  it('answers both products as not connected for an empty session', async () => {
    const { getSession, session } = makeSut();
    const token = await session();

    const output = await getSession.execute({ sessionToken: token });

    expect(output.products).to.deep.equal({ jira: { connected: false }, confluence: { connected: false } });
  });

  it('answers each product with its method, site and connection time', async () => {
    const { getSession, session } = makeSut();
    const token = await session(JIRA_OAUTH, CONFLUENCE_API_TOKEN);

    const output = await getSession.execute({ sessionToken: token });

    expect(output.products).to.deep.equal({
      jira: { connected: true, method: 'oauth', site: JIRA_OAUTH.site, since: JIRA_OAUTH.connectedAt },
      confluence: { connected: true, method: 'api_token', site: CONFLUENCE_API_TOKEN.site, since: CONFLUENCE_API_TOKEN.connectedAt },
    });
  });

  it('answers one product connected and the other not', async () => {
    const { getSession, session } = makeSut();
    const token = await session(CONFLUENCE_API_TOKEN);

    const output = await getSession.execute({ sessionToken: token });

    expect(output.products.jira).to.deep.equal({ connected: false });
    expect(output.products.confluence).to.have.property('connected', true);
  });

  it('never answers a credential or an email', async () => {
    const { getSession, session } = makeSut();
    const token = await session(JIRA_OAUTH, CONFLUENCE_API_TOKEN);

    const json = JSON.stringify(await getSession.execute({ sessionToken: token }));

    for (const secret of SECRETS) expect(json).to.not.include(secret);
    for (const field of ['accessToken', 'refreshToken', 'apiToken', 'email']) expect(json).to.not.include(field);
  });

  it('answers when the session was created and when it expires', async () => {
    const { getSession, session } = makeSut();
    const token = await session();

    expect(await getSession.execute({ sessionToken: token })).to.deep.include({
      createdAt: START_OF_TEST,
      expiresAt: START_OF_TEST + SESSION_TTL_SECONDS * 1000,
    });
  });

  it('moves the expiry forward on each use', async () => {
    const { getSession, clock, session } = makeSut();
    const token = await session(JIRA_OAUTH);
    const first = await getSession.execute({ sessionToken: token });
    clock.advance(SESSION_TTL_SECONDS * 1000 - 1);

    const second = await getSession.execute({ sessionToken: token });

    expect(second.expiresAt).to.equal(first.expiresAt + SESSION_TTL_SECONDS * 1000 - 1);
    expect(second.createdAt).to.equal(first.createdAt);
  });

  it('answers the absolute end, and as expiry the earlier of the idle expiry and that end', async () => {
    const clock = new FixedClock();
    const store = new InMemorySessionStore(clock, SESSION_TTL_SECONDS, { maxAgeSeconds: 2 * SESSION_TTL_SECONDS });
    const getSession = new GetSession(store);
    const token = new SequenceTokenGenerator().sessionToken();
    await store.create(sessionIdOf(token));
    await store.putConnection(sessionIdOf(token), JIRA_OAUTH);
    const endsAt = START_OF_TEST + 2 * SESSION_TTL_SECONDS * 1000;

    expect(await getSession.execute({ sessionToken: token })).to.deep.include({ endsAt, expiresAt: START_OF_TEST + SESSION_TTL_SECONDS * 1000 });
    clock.advance(SESSION_TTL_SECONDS * 750);
    expect(await getSession.execute({ sessionToken: token })).to.deep.include({ endsAt, expiresAt: clock.now() + SESSION_TTL_SECONDS * 1000 });
    clock.advance(SESSION_TTL_SECONDS * 750);
    expect(await getSession.execute({ sessionToken: token })).to.deep.include({ endsAt, expiresAt: endsAt });
    clock.set(endsAt);
    await expectAppError(getSession.execute({ sessionToken: token }), 'invalid_session');
  });
});

describe('EndSession', () => {
  it('deletes the session and every connection in it', async () => {
    const { endSession, store, session } = makeSut();
    const token = await session(JIRA_OAUTH, CONFLUENCE_API_TOKEN);

    await endSession.execute({ sessionToken: token });

    expect(await store.get(sessionIdOf(token))).to.equal(undefined);
  });

  it('answers invalid_session the second time', async () => {
    const { endSession, session } = makeSut();
    const token = await session(JIRA_OAUTH);
    await endSession.execute({ sessionToken: token });

    await expectAppError(endSession.execute({ sessionToken: token }), 'invalid_session');
  });

  it('answers missing_session without a token', async () => {
    const { endSession } = makeSut();

    await expectAppError(endSession.execute({}), 'missing_session');
  });

  it('leaves other sessions alone', async () => {
    const { endSession, store, session } = makeSut();
    const ended = await session(JIRA_OAUTH);
    const kept = await session(JIRA_OAUTH);

    await endSession.execute({ sessionToken: ended });

    expect((await store.get(sessionIdOf(kept)))?.connections.jira).to.deep.equal(JIRA_OAUTH);
  });
});

describe('DisconnectProduct', () => {
  it('removes one product and keeps the other and the session', async () => {
    const { disconnectProduct, store, session } = makeSut();
    const token = await session(JIRA_OAUTH, CONFLUENCE_API_TOKEN);

    await disconnectProduct.execute({ sessionToken: token, product: 'jira' });

    const after = await store.get(sessionIdOf(token));
    expect(after).to.not.equal(undefined);
    expect(after?.connections).to.deep.equal({ confluence: CONFLUENCE_API_TOKEN });
  });

  it('succeeds for a product that is not connected', async () => {
    const { disconnectProduct, store, session } = makeSut();
    const token = await session(CONFLUENCE_API_TOKEN);

    await disconnectProduct.execute({ sessionToken: token, product: 'jira' });

    expect((await store.get(sessionIdOf(token)))?.connections).to.deep.equal({ confluence: CONFLUENCE_API_TOKEN });
  });

  it('answers invalid_session for an unknown token', async () => {
    const { disconnectProduct } = makeSut();

    await expectAppError(disconnectProduct.execute({ sessionToken: 'u'.repeat(43), product: 'jira' }), 'invalid_session');
  });

  it('answers missing_session without a token', async () => {
    const { disconnectProduct } = makeSut();

    await expectAppError(disconnectProduct.execute({ product: 'jira' }), 'missing_session');
  });
});
