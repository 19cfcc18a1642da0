import { expect } from 'chai';
import { AuthenticateWithToken } from '../../../src/application/use-cases/authenticate-with-token.js';
import { AppError } from '../../../src/domain/errors.js';
import { sessionIdOf } from '../../../src/domain/session-token.js';
import { InMemorySessionStore } from '../../../src/infrastructure/session/in-memory-session-store.js';
import {
  expectAppError,
  FixedClock,
  SequenceTokenGenerator,
  stubConfluenceGateway,
  stubJiraGateway,
} from '../../support/port-fakes.js';

const SESSION_TTL_SECONDS = 3600;
const LOGIN = { email: 'ada@example.com', apiToken: 'api-token-1' } as const;

function makeSut(settings: { defaultSite?: string } = {}) {
  const clock = new FixedClock();
  const store = new InMemorySessionStore(clock, SESSION_TTL_SECONDS);
  const tokens = new SequenceTokenGenerator();
  const jira = stubJiraGateway();
  const confluence = stubConfluenceGateway();
  jira.verifyCredentials.resolves({ accountId: 'acc-1', displayName: 'Ada' });
  confluence.verifyCredentials.resolves({ accountId: 'acc-1', displayName: 'Ada' });
  const sut = new AuthenticateWithToken(store, jira, confluence, tokens, clock, settings);
  return { sut, store, clock, tokens, jira, confluence };
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
      host: 'acme.atlassian.net',
      email: 'ada@example.com',
      apiToken: 'api-token-1',
    })).to.equal(true);
    expect(confluence.verifyCredentials.called).to.equal(false);
  });

  it('verifies Confluence credentials with the Confluence gateway only, on the normalised host', async () => {
    const { sut, jira, confluence } = makeSut();

    await sut.execute({ product: 'confluence', ...LOGIN, site: 'ACME' });

    expect(confluence.verifyCredentials.calledOnceWithExactly({
      kind: 'api_token',
      host: 'acme.atlassian.net',
      email: 'ada@example.com',
      apiToken: 'api-token-1',
    })).to.equal(true);
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
});
