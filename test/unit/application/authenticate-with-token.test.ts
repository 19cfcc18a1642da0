import { expect } from 'chai';
import sinon from 'sinon';
import { AuthenticateWithToken } from '../../../src/application/use-cases/authenticate-with-token.js';
import { AppError, RetryableError } from '../../../src/domain/errors.js';
import { sessionIdOf } from '../../../src/domain/session-token.js';
import { deadlineAfter, type Deadline } from '../../../src/domain/deadline.js';
import { normaliseSite, parseCloudId, type CloudId, type SiteHost } from '../../../src/domain/site.js';
import { InMemorySessionStore } from '../../../src/infrastructure/session/in-memory-session-store.js';
import {
  expectAppError,
  FixedClock,
  SequenceTokenGenerator,
  stubConfluenceGateway,
  stubJiraGateway,
  START_OF_TEST,
  TEST_DEADLINE_MS,
} from '../../support/port-fakes.js';

/** The deadline of a login started at START_OF_TEST. */
const LOGIN_DEADLINE = deadlineAfter(START_OF_TEST, TEST_DEADLINE_MS);

const SESSION_TTL_SECONDS = 3600;
const LOGIN = { email: 'ada@example.com', apiToken: 'api-token-1' } as const;

function makeSut(options: { defaultSite?: string } = {}) {
  const settings = { deadlineMs: TEST_DEADLINE_MS, ...options };
  const clock = new FixedClock();
  const store = new InMemorySessionStore(clock, SESSION_TTL_SECONDS);
  const tokens = new SequenceTokenGenerator();
  const jira = stubJiraGateway();
  const confluence = stubConfluenceGateway();
  jira.verifyCredentials.resolves({ accountId: 'acc-1', displayName: 'Ada' });
  confluence.verifyCredentials.resolves({ accountId: 'acc-1', displayName: 'Ada' });
  const sites = { cloudIdOf: sinon.stub<[SiteHost, Deadline], Promise<CloudId | undefined>>().resolves(undefined) };
  const sut = new AuthenticateWithToken(store, jira, confluence, sites, tokens, clock, settings);
  return { sut, store, clock, tokens, jira, confluence, sites };
}

describe('AuthenticateWithToken', () => {
  it('refuses an invalid site with invalid_site, before any upstream call', async () => {
    const { sut, store, jira, confluence } = makeSut();

    await expectAppError(sut.execute({ product: 'jira', ...LOGIN, site: 'https://evil.com' }), 'invalid_site');

    expect(jira.verifyCredentials.called).to.equal(false);
    expect(confluence.verifyCredentials.called).to.equal(false);
    expect(store.size).to.equal(0);
  });

  it('refuses an empty site with invalid_site, even when a default site exists', async () => {
    const { sut, jira } = makeSut({ defaultSite: 'acme.atlassian.net' });

    await expectAppError(sut.execute({ product: 'jira', ...LOGIN, site: '' }), 'invalid_site');

    expect(jira.verifyCredentials.called).to.equal(false);
  });

  it('answers validation_error when there is neither a site nor a default site', async () => {
    const { sut, jira } = makeSut();

    await expectAppError(sut.execute({ product: 'jira', ...LOGIN }), 'validation_error');

    expect(jira.verifyCredentials.called).to.equal(false);
  });

  it('uses the default site when no site is given', async () => {
    const { sut } = makeSut({ defaultSite: 'acme.atlassian.net' });

    const output = await sut.execute({ product: 'jira', ...LOGIN });

    expect(output.site).to.deep.equal({ url: 'https://acme.atlassian.net' });
  });

  it('verifies Jira credentials with the Jira gateway only, on the normalised host', async () => {
    const { sut, jira, confluence } = makeSut();

    await sut.execute({ product: 'jira', ...LOGIN, site: 'https://ACME.atlassian.net/' });

    expect(jira.verifyCredentials.calledOnceWithExactly({
      kind: 'api_token',
      host: normaliseSite('acme'),
      email: 'ada@example.com',
      apiToken: 'api-token-1',
    }, LOGIN_DEADLINE)).to.equal(true);
    expect(confluence.verifyCredentials.called).to.equal(false);
  });

  it('verifies Confluence credentials with the Confluence gateway only, on the normalised host', async () => {
    const { sut, jira, confluence } = makeSut();

    await sut.execute({ product: 'confluence', ...LOGIN, site: 'ACME' });

    expect(confluence.verifyCredentials.calledOnceWithExactly({
      kind: 'api_token',
      host: normaliseSite('acme'),
      email: 'ada@example.com',
      apiToken: 'api-token-1',
    }, LOGIN_DEADLINE)).to.equal(true);
    expect(jira.verifyCredentials.called).to.equal(false);
  });

  it('lets invalid_credentials through and creates no session', async () => {
    const { sut, store, jira } = makeSut();
    jira.verifyCredentials.rejects(new AppError('invalid_credentials', 'Atlassian did not accept the email and API token.'));

    await expectAppError(sut.execute({ product: 'jira', ...LOGIN, site: 'acme' }), 'invalid_credentials');

    expect(store.size).to.equal(0);
  });

  it('leaves the caller\'s session untouched when the credentials are refused', async () => {
    const { sut, store, confluence } = makeSut();
    const first = await sut.execute({ product: 'jira', ...LOGIN, site: 'acme' });
    confluence.verifyCredentials.rejects(new AppError('invalid_credentials', 'Atlassian did not accept the email and API token.'));

    await expectAppError(
      sut.execute({ product: 'confluence', ...LOGIN, site: 'acme', sessionToken: first.sessionToken }),
      'invalid_credentials',
    );

    const session = await store.get(sessionIdOf(first.sessionToken));
    expect(Object.keys(session?.connections ?? {})).to.deep.equal(['jira']);
  });

  it('creates a new session holding an api_token connection', async () => {
    const { sut, store, clock } = makeSut();

    const output = await sut.execute({ product: 'jira', ...LOGIN, site: 'acme' });

    expect(output).to.deep.include({ product: 'jira', site: { url: 'https://acme.atlassian.net' } });
    const connection = (await store.get(sessionIdOf(output.sessionToken)))?.connections.jira;
    expect(connection).to.deep.include({
      product: 'jira',
      method: 'api_token',
      site: { url: 'https://acme.atlassian.net' },
      connectedAt: clock.now(),
      email: 'ada@example.com',
      apiToken: 'api-token-1',
      route: 'site',
    });
    expect(connection?.version).to.be.a('string');
  });

  it('creates a new session when the given token is unknown', async () => {
    const { sut, store } = makeSut();
    const unknown = 'u'.repeat(43);

    const output = await sut.execute({ product: 'jira', ...LOGIN, site: 'acme', sessionToken: unknown });

    expect(output.sessionToken).to.not.equal(unknown);
    expect(store.size).to.equal(1);
  });

  it('adds the product to the session a valid token names and keeps the other product', async () => {
    const { sut, store } = makeSut();
    const first = await sut.execute({ product: 'jira', ...LOGIN, site: 'acme' });

    const second = await sut.execute({
      product: 'confluence',
      email: 'ada@example.com',
      apiToken: 'api-token-2',
      site: 'acme',
      sessionToken: first.sessionToken,
    });

    expect(second.sessionToken).to.equal(first.sessionToken);
    const connections = (await store.get(sessionIdOf(first.sessionToken)))?.connections;
    expect(connections?.jira).to.deep.include({ method: 'api_token', apiToken: 'api-token-1' });
    expect(connections?.confluence).to.deep.include({ method: 'api_token', apiToken: 'api-token-2' });
    expect(store.size).to.equal(1);
  });

  it('answers invalid_session, and does not bring the session back, when it is logged out during the login', async () => {
    const { sut, store } = makeSut();
    const first = await sut.execute({ product: 'jira', ...LOGIN, site: 'acme' });
    const read = store.get.bind(store);
    // The logout lands between finding the session and writing the new connection into it.
    sinon.stub(store, 'get').callsFake(async (id) => {
      const session = await read(id);
      await store.delete(id);
      return session;
    });

    await expectAppError(
      sut.execute({ product: 'confluence', ...LOGIN, site: 'acme', sessionToken: first.sessionToken }),
      'invalid_session',
    );

    expect(await read(sessionIdOf(first.sessionToken))).to.equal(undefined);
    expect(store.size).to.equal(0);
  });

  describe('scoped API tokens (refused on the site, accepted through the gateway)', () => {
    const refused = () => new AppError('invalid_credentials', 'refused');

    it('tries the gateway with the cloudId from tenant_info and remembers that route', async () => {
      const { sut, store, jira, sites } = makeSut();
      jira.verifyCredentials.onFirstCall().rejects(refused());
      sites.cloudIdOf.resolves(parseCloudId('cloud-123'));

      const result = await sut.execute({ product: 'jira', ...LOGIN, site: 'acme' });

      expect(sites.cloudIdOf.firstCall.args).to.deep.equal(['acme.atlassian.net', LOGIN_DEADLINE]);
      expect(jira.verifyCredentials.secondCall.args[0]).to.deep.include({ host: 'acme.atlassian.net', gatewayCloudId: 'cloud-123' });
      // Every call of the login ends by the one deadline made when it started.
      expect(jira.verifyCredentials.getCalls().map((c) => c.args[1])).to.deep.equal([LOGIN_DEADLINE, LOGIN_DEADLINE]);
      const connection = (await store.get(sessionIdOf(result.sessionToken)))?.connections.jira;
      expect(connection).to.deep.include({ method: 'api_token', route: 'gateway', site: { id: 'cloud-123', url: 'https://acme.atlassian.net' } });
    });

    it('answers the original invalid_credentials when the gateway refuses too, and stores nothing', async () => {
      const { sut, store, jira, sites } = makeSut();
      const original = refused();
      jira.verifyCredentials.onFirstCall().rejects(original);
      jira.verifyCredentials.onSecondCall().rejects(refused());
      sites.cloudIdOf.resolves(parseCloudId('cloud-123'));

      const error = await expectAppError(sut.execute({ product: 'jira', ...LOGIN, site: 'acme' }), 'invalid_credentials');

      // The site's refusal, not the gateway's, with the site named for the client.
      expect(error.message).to.equal(original.message);
      expect(error.details).to.deep.equal({ site: 'acme.atlassian.net' });
      expect(store.size).to.equal(0);
    });

    it('connects through the gateway when it proves the token without naming an account', async () => {
      const { sut, store, jira, sites } = makeSut();
      jira.verifyCredentials.onFirstCall().rejects(refused());
      jira.verifyCredentials.onSecondCall().resolves(undefined);
      sites.cloudIdOf.resolves(parseCloudId('cloud-123'));

      const result = await sut.execute({ product: 'jira', ...LOGIN, site: 'acme' });

      const connection = (await store.get(sessionIdOf(result.sessionToken)))?.connections.jira;
      expect(connection).to.deep.include({ route: 'gateway', site: { id: 'cloud-123', url: 'https://acme.atlassian.net' } });
    });

    it('answers the gateway\'s insufficient_scope, not the site\'s refusal, and stores nothing', async () => {
      const { sut, store, confluence, sites } = makeSut();
      confluence.verifyCredentials.onFirstCall().rejects(refused());
      confluence.verifyCredentials.onSecondCall().rejects(new AppError('insufficient_scope', 'lacks read:space:confluence'));
      sites.cloudIdOf.resolves(parseCloudId('cloud-123'));

      await expectAppError(sut.execute({ product: 'confluence', ...LOGIN, site: 'acme' }), 'insufficient_scope');

      expect(store.size).to.equal(0);
    });

    it('answers a failure to read the cloudId as it is (rate_limited), not as invalid_credentials', async () => {
      const { sut, store, jira, sites } = makeSut();
      jira.verifyCredentials.rejects(refused());
      sites.cloudIdOf.rejects(new RetryableError('rate_limited', 'slow down', 60));

      const error = await expectAppError(sut.execute({ product: 'jira', ...LOGIN, site: 'acme' }), 'rate_limited');

      expect(error).to.have.property('retryAfterSeconds', 60);
      expect(jira.verifyCredentials.callCount).to.equal(1);
      expect(store.size).to.equal(0);
    });

    it('answers invalid_credentials without a gateway try when the cloudId is unknown', async () => {
      const { sut, confluence, sites } = makeSut();
      confluence.verifyCredentials.rejects(refused());
      sites.cloudIdOf.resolves(undefined);

      await expectAppError(sut.execute({ product: 'confluence', ...LOGIN, site: 'acme' }), 'invalid_credentials');

      expect(confluence.verifyCredentials.callCount).to.equal(1);
    });

    it('does not look for a gateway when the site fails for another reason', async () => {
      const { sut, jira, sites } = makeSut();
      jira.verifyCredentials.rejects(new AppError('upstream_timeout', 'slow'));

      await expectAppError(sut.execute({ product: 'jira', ...LOGIN, site: 'acme' }), 'upstream_timeout');

      expect(sites.cloudIdOf.called).to.equal(false);
    });

    it('keeps route site when the site accepts the token', async () => {
      const { sut, store, sites } = makeSut();

      const result = await sut.execute({ product: 'jira', ...LOGIN, site: 'acme' });

      expect((await store.get(sessionIdOf(result.sessionToken)))?.connections.jira).to.deep.include({ route: 'site' });
      expect(sites.cloudIdOf.called).to.equal(false);
    });
  });
});
