import { expect } from 'chai';
import { ListProjects } from '../../../src/application/use-cases/list-projects.js';
import { AppError, RetryableError } from '../../../src/domain/errors.js';
import type { Project } from '../../../src/domain/listing.js';
import type { ApiTokenConnection, OAuthConnection } from '../../../src/domain/session.js';
import { sessionIdOf } from '../../../src/domain/session-token.js';
import { InMemorySessionStore } from '../../../src/infrastructure/session/in-memory-session-store.js';
import { expectAppError, FixedClock, SequenceTokenGenerator, makeCachedListings, makeConnectionAccess, START_OF_TEST, TEST_DEADLINE_MS, stubJiraGateway } from '../../support/port-fakes.js';
import { apiTokenConnection, oauthConnection } from '../../support/connections.js';
import { normaliseSite, parseCloudId } from '../../../src/domain/site.js';
import { deadlineAfter } from '../../../src/domain/deadline.js';

const SESSION_TTL_SECONDS = 3600;
const PROJECTS: Project[] = [
  { id: '10000', key: 'ENG', name: 'Engineering' },
  { id: '10001', key: 'OPS', name: 'Operations' },
];

function makeSut() {
  const clock = new FixedClock();
  const store = new InMemorySessionStore(clock, SESSION_TTL_SECONDS);
  const tokens = new SequenceTokenGenerator();
  const jira = stubJiraGateway();
  jira.listProjects.resolves(PROJECTS);
  const { listings, cache, answers } = makeCachedListings(store, clock, makeConnectionAccess(store, clock).access);
  const sut = new ListProjects(listings, jira);

  /** A live session holding the given connections; answers its token. */
  async function session(...connections: (OAuthConnection | ApiTokenConnection)[]): Promise<string> {
    const token = tokens.sessionToken();
    await store.create(sessionIdOf(token));
    for (const connection of connections) await store.putConnection(sessionIdOf(token), connection);
    return token;
  }

  return { sut, store, clock, tokens, jira, session, cache, answers };
}

describe('ListProjects', () => {
  it('answers missing_session without a token', async () => {
    const { sut } = makeSut();

    await expectAppError(sut.execute({}), 'missing_session');
  });

  it('answers missing_session for an empty token', async () => {
    const { sut } = makeSut();

    await expectAppError(sut.execute({ sessionToken: '' }), 'missing_session');
  });

  it('answers invalid_session for a malformed token', async () => {
    const { sut } = makeSut();

    await expectAppError(sut.execute({ sessionToken: 'not a token' }), 'invalid_session');
  });

  it('answers invalid_session for an unknown token', async () => {
    const { sut } = makeSut();

    await expectAppError(sut.execute({ sessionToken: 'u'.repeat(43) }), 'invalid_session');
  });

  it('answers invalid_session once the session has been idle for its TTL', async () => {
    const { sut, clock, session } = makeSut();
    const token = await session(oauthConnection('jira'));
    clock.advance(SESSION_TTL_SECONDS * 1000);

    await expectAppError(sut.execute({ sessionToken: token }), 'invalid_session');
  });

  it('answers not_connected when the session has no Jira connection, without an upstream call', async () => {
    const { sut, jira, session } = makeSut();
    const token = await session(oauthConnection('confluence'));

    await expectAppError(sut.execute({ sessionToken: token }), 'not_connected');

    expect(jira.listProjects.called).to.equal(false);
  });

  it('calls Jira with OAuth credentials and the site URL of an OAuth connection', async () => {
    const { sut, jira, session } = makeSut();
    const token = await session(oauthConnection('jira'));

    await sut.execute({ sessionToken: token });

    expect(jira.listProjects.calledOnceWithExactly(
      { kind: 'oauth', cloudId: parseCloudId('cloud-acme'), accessToken: 'access-1' },
      'https://acme.atlassian.net',
      deadlineAfter(START_OF_TEST, TEST_DEADLINE_MS),
    )).to.equal(true);
  });

  it('calls Jira with API-token credentials and the site URL of an API-token connection', async () => {
    const { sut, jira, session } = makeSut();
    const token = await session(apiTokenConnection('jira'));

    await sut.execute({ sessionToken: token });

    expect(jira.listProjects.calledOnceWithExactly(
      { kind: 'api_token', host: normaliseSite('acme'), email: 'ada@example.com', apiToken: 'api-token-1' },
      'https://acme.atlassian.net',
      deadlineAfter(START_OF_TEST, TEST_DEADLINE_MS),
    )).to.equal(true);
  });

  it('routes a gateway API-token connection through its cloudId', async () => {
    const { sut, jira, session } = makeSut();
    const connection = apiTokenConnection('jira');
    const token = await session({ ...connection, route: 'gateway', site: { ...connection.site, id: 'cloud-acme' } });

    await sut.execute({ sessionToken: token });

    expect(jira.listProjects.firstCall.args[0]).to.deep.equal({
      kind: 'api_token',
      host: 'acme.atlassian.net',
      email: 'ada@example.com',
      apiToken: 'api-token-1',
      gatewayCloudId: 'cloud-acme',
    });
  });

  it('answers the projects and their count', async () => {
    const { sut, session } = makeSut();
    const token = await session(oauthConnection('jira'));

    expect(await sut.execute({ sessionToken: token })).to.deep.equal({ projects: PROJECTS, total: 2, ageSeconds: 0 });
  });

  it('answers an empty list with a count of zero', async () => {
    const { sut, jira, session } = makeSut();
    jira.listProjects.resolves([]);
    const token = await session(oauthConnection('jira'));

    expect(await sut.execute({ sessionToken: token })).to.deep.equal({ projects: [], total: 0, ageSeconds: 0 });
  });

  it('lets upstream_unauthorized through', async () => {
    const { sut, jira, session } = makeSut();
    jira.listProjects.rejects(new AppError('upstream_unauthorized', 'Atlassian refused the stored credentials.'));
    const token = await session(oauthConnection('jira'));

    await expectAppError(sut.execute({ sessionToken: token }), 'upstream_unauthorized');
  });

  it('lets rate_limited through with its retry delay', async () => {
    const { sut, jira, session } = makeSut();
    jira.listProjects.rejects(new RetryableError('rate_limited', 'Atlassian is rate limiting.', 30));
    const token = await session(oauthConnection('jira'));

    const error = await expectAppError(sut.execute({ sessionToken: token }), 'rate_limited');

    expect(error).to.have.property('retryAfterSeconds', 30);
  });

  it('keeps the session alive: a listing extends its idle expiry', async () => {
    const { sut, clock, session } = makeSut();
    // An API token: no access-token expiry, so only the session's idle time is in play.
    const token = await session(apiTokenConnection('jira'));
    clock.advance(SESSION_TTL_SECONDS * 1000 - 1);
    await sut.execute({ sessionToken: token });
    clock.advance(SESSION_TTL_SECONDS * 1000 - 1);

    expect((await sut.execute({ sessionToken: token })).total).to.equal(2);
  });
});
