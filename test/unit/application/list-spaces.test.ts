import { expect } from 'chai';
import { ListSpaces } from '../../../src/application/use-cases/list-spaces.js';
import { AppError, RetryableError } from '../../../src/domain/errors.js';
import type { Space } from '../../../src/domain/listing.js';
import type { ApiTokenConnection, OAuthConnection } from '../../../src/domain/session.js';
import { sessionIdOf } from '../../../src/domain/session-token.js';
import { InMemorySessionStore } from '../../../src/infrastructure/session/in-memory-session-store.js';
import { expectAppError, FixedClock, SequenceTokenGenerator, makeCachedListings, makeConnectionAccess, START_OF_TEST, TEST_DEADLINE_MS, stubConfluenceGateway } from '../../support/port-fakes.js';
import { apiTokenConnection, oauthConnection } from '../../support/connections.js';
import { normaliseSite, parseCloudId } from '../../../src/domain/site.js';
import { deadlineAfter } from '../../../src/domain/deadline.js';

const SESSION_TTL_SECONDS = 3600;
const SPACES: Space[] = [
  { id: '98305', key: 'ENG', name: 'Engineering', type: 'global', status: 'current' },
  { id: '98306', key: '~ada', name: 'Ada', type: 'personal', status: 'current' },
  { id: '98307', key: 'DOCS', name: 'Docs' },
];

function makeSut() {
  const clock = new FixedClock();
  const store = new InMemorySessionStore(clock, SESSION_TTL_SECONDS);
  const tokens = new SequenceTokenGenerator();
  const confluence = stubConfluenceGateway();
  confluence.listSpaces.resolves(SPACES);
  const { listings, cache, answers } = makeCachedListings(store, clock, makeConnectionAccess(store, clock).access);
  const sut = new ListSpaces(listings, confluence);

  /** A live session holding the given connections; answers its token. */
  async function session(...connections: (OAuthConnection | ApiTokenConnection)[]): Promise<string> {
    const token = tokens.sessionToken();
    await store.create(sessionIdOf(token));
    for (const connection of connections) await store.putConnection(sessionIdOf(token), connection);
    return token;
  }

  return { sut, store, clock, tokens, confluence, session, cache, answers };
}

describe('ListSpaces', () => {
  it('answers missing_session without a token', async () => {
    const { sut } = makeSut();

    await expectAppError(sut.execute({}), 'missing_session');
  });

  it('answers invalid_session for a malformed token', async () => {
    const { sut } = makeSut();

    await expectAppError(sut.execute({ sessionToken: 'a'.repeat(44) }), 'invalid_session');
  });

  it('answers invalid_session for an unknown token', async () => {
    const { sut } = makeSut();

    await expectAppError(sut.execute({ sessionToken: 'u'.repeat(43) }), 'invalid_session');
  });

  it('answers invalid_session once the session has been idle for its TTL', async () => {
    const { sut, clock, session } = makeSut();
    const token = await session(oauthConnection('confluence'));
    clock.advance(SESSION_TTL_SECONDS * 1000);

    await expectAppError(sut.execute({ sessionToken: token }), 'invalid_session');
  });

  it('answers not_connected when the session has only Jira, without an upstream call', async () => {
    const { sut, confluence, session } = makeSut();
    const token = await session(oauthConnection('jira'));

    await expectAppError(sut.execute({ sessionToken: token }), 'not_connected');

    expect(confluence.listSpaces.called).to.equal(false);
  });

  it('calls Confluence with OAuth credentials and the site URL of an OAuth connection', async () => {
    const { sut, confluence, session } = makeSut();
    const token = await session(oauthConnection('confluence'));

    await sut.execute({ sessionToken: token });

    expect(confluence.listSpaces.calledOnceWithExactly(
      { kind: 'oauth', cloudId: parseCloudId('cloud-acme'), accessToken: 'access-1' },
      'https://acme.atlassian.net',
      deadlineAfter(START_OF_TEST, TEST_DEADLINE_MS),
    )).to.equal(true);
  });

  it('calls Confluence with API-token credentials and the site URL of an API-token connection', async () => {
    const { sut, confluence, session } = makeSut();
    const token = await session(apiTokenConnection('confluence'));

    await sut.execute({ sessionToken: token });

    expect(confluence.listSpaces.calledOnceWithExactly(
      { kind: 'api_token', host: normaliseSite('acme'), email: 'ada@example.com', apiToken: 'api-token-1' },
      'https://acme.atlassian.net',
      deadlineAfter(START_OF_TEST, TEST_DEADLINE_MS),
    )).to.equal(true);
  });

  it('uses the Confluence connection when the session holds both products', async () => {
    const { sut, confluence, session } = makeSut();
    const token = await session(apiTokenConnection('jira'), oauthConnection('confluence'));

    await sut.execute({ sessionToken: token });

    expect(confluence.listSpaces.firstCall.args[0]).to.deep.equal({ kind: 'oauth', cloudId: parseCloudId('cloud-acme'), accessToken: 'access-1' });
  });

  it('answers the spaces and their count', async () => {
    const { sut, session } = makeSut();
    const token = await session(oauthConnection('confluence'));

    expect(await sut.execute({ sessionToken: token })).to.deep.equal({ spaces: SPACES, total: 3, ageSeconds: 0 });
  });

  it('lets upstream_unauthorized through', async () => {
    const { sut, confluence, session } = makeSut();
    confluence.listSpaces.rejects(new AppError('upstream_unauthorized', 'Atlassian refused the stored credentials.'));
    const token = await session(oauthConnection('confluence'));

    await expectAppError(sut.execute({ sessionToken: token }), 'upstream_unauthorized');
  });

  it('lets rate_limited through with its retry delay', async () => {
    const { sut, confluence, session } = makeSut();
    confluence.listSpaces.rejects(new RetryableError('rate_limited', 'Atlassian is rate limiting.', 12));
    const token = await session(oauthConnection('confluence'));

    const error = await expectAppError(sut.execute({ sessionToken: token }), 'rate_limited');

    expect(error).to.have.property('retryAfterSeconds', 12);
  });

  it('lets upstream_timeout through', async () => {
    const { sut, confluence, session } = makeSut();
    confluence.listSpaces.rejects(new AppError('upstream_timeout', 'Atlassian did not answer in time.'));
    const token = await session(apiTokenConnection('confluence'));

    await expectAppError(sut.execute({ sessionToken: token }), 'upstream_timeout');
  });
});
