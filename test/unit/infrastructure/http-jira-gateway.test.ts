import { expect } from 'chai';
import type { ApiTokenCredentials } from '../../../src/application/ports/atlassian-credentials.js';
import type { UpstreamResponse } from '../../../src/infrastructure/atlassian/atlassian-http.js';
import { AtlassianUrls } from '../../../src/infrastructure/atlassian/atlassian-urls.js';
import { HttpJiraGateway } from '../../../src/infrastructure/atlassian/http-jira-gateway.js';
import { expectAppError } from '../../support/port-fakes.js';
import { byPath, ScriptedAtlassianHttp, upstream, type Responder } from '../../support/scripted-atlassian-http.js';
import { normaliseSite, parseCloudId } from '../../../src/domain/site.js';
import { deadlineAfter } from '../../../src/domain/deadline.js';

/** The client request's deadline; the scripted client answers at once, so only its identity matters. */
const DEADLINE = deadlineAfter(Date.now(), 60_000);

const SITE_URL = 'https://acme.atlassian.net';
const CLASSIC: ApiTokenCredentials = { kind: 'api_token', host: normaliseSite('acme'), email: 'ada@example.com', apiToken: 'token-1' };
const SCOPED: ApiTokenCredentials = { ...CLASSIC, gatewayCloudId: parseCloudId('cloud-1') };
const GATEWAY = 'https://api.atlassian.com/ex/jira/cloud-1';
const SCOPE_MISMATCH = upstream(401, { code: 401, message: 'Unauthorized; scope does not match' });
const GATEWAY_UNAUTHORIZED = upstream(401, { code: 401, message: 'Unauthorized' });
const MYSELF = upstream(200, { accountId: 'acc-1', displayName: 'Ada' });

function makeSut(respond: Responder) {
  const http = new ScriptedAtlassianHttp(respond);
  return { sut: new HttpJiraGateway(http, new AtlassianUrls('https://api.atlassian.com', 'https://{site}'), 2), http };
}

const page = (values: unknown[], extra: Record<string, unknown> = {}): UpstreamResponse =>
  upstream(200, { startAt: 0, maxResults: 50, total: values.length, isLast: true, values, ...extra });

describe('HttpJiraGateway', () => {
  describe('verifyCredentials', () => {
    it('on the site: the account /rest/api/3/myself names', async () => {
      const { sut, http } = makeSut(byPath({ '/rest/api/3/myself': MYSELF }));

      expect(await sut.verifyCredentials(CLASSIC, DEADLINE)).to.deep.equal({ accountId: 'acc-1', displayName: 'Ada' });

      expect(http.requests.map((r) => r.url)).to.deep.equal([`${SITE_URL}/rest/api/3/myself`]);
      expect(http.requests[0]!.authorization).to.match(/^Basic /);
    });

    it('on the site, a scope mismatch is a refusal: no listing is tried (anonymous access makes its 200 meaningless)', async () => {
      const { sut, http } = makeSut(byPath({ '/rest/api/3/myself': SCOPE_MISMATCH, '/project/search': page([]) }));

      await expectAppError(sut.verifyCredentials(CLASSIC, DEADLINE), 'invalid_credentials');

      expect(http.requests).to.have.length(1);
    });

    it('through the gateway: the identity, and no listing when it answers', async () => {
      const { sut, http } = makeSut(byPath({ '/rest/api/3/myself': MYSELF }));

      expect(await sut.verifyCredentials(SCOPED, DEADLINE)).to.deep.equal({ accountId: 'acc-1', displayName: 'Ada' });

      expect(http.requests.map((r) => r.url)).to.deep.equal([`${GATEWAY}/rest/api/3/myself`]);
    });

    it('through the gateway, a token lacking read:jira-user is proven by listing one project; the account is then unknown', async () => {
      const { sut, http } = makeSut(byPath({ '/rest/api/3/myself': SCOPE_MISMATCH, '/rest/api/3/project/search': page([]) }));

      expect(await sut.verifyCredentials(SCOPED, DEADLINE)).to.equal(undefined);

      expect(http.requests.map((r) => r.url)).to.deep.equal([
        `${GATEWAY}/rest/api/3/myself`,
        `${GATEWAY}/rest/api/3/project/search?maxResults=1`,
      ]);
      expect(http.requests[1]!.authorization).to.equal(http.requests[0]!.authorization);
    });

    it('through the gateway, a token lacking the listing scope too → insufficient_scope naming read:jira-work', async () => {
      const { sut } = makeSut(byPath({ '/rest/api/3/myself': SCOPE_MISMATCH, '/rest/api/3/project/search': SCOPE_MISMATCH }));

      const error = await expectAppError(sut.verifyCredentials(SCOPED, DEADLINE), 'insufficient_scope');

      expect(error.message).to.include('read:jira-work');
      expect(error.message).not.to.include('did not accept');
    });

    it('through the gateway, a plain 401 is a refusal and no listing is tried', async () => {
      const { sut, http } = makeSut(byPath({ '/rest/api/3/myself': GATEWAY_UNAUTHORIZED }));

      await expectAppError(sut.verifyCredentials(SCOPED, DEADLINE), 'invalid_credentials');

      expect(http.requests).to.have.length(1);
    });

    for (const [what, listing] of [['401', GATEWAY_UNAUTHORIZED], ['403', upstream(403, { errorMessages: ['no'] })]] as const) {
      it(`through the gateway, a listing refused with a plain ${what} after a scope mismatch → invalid_credentials`, async () => {
        const { sut } = makeSut(byPath({ '/rest/api/3/myself': SCOPE_MISMATCH, '/rest/api/3/project/search': listing }));
        await expectAppError(sut.verifyCredentials(SCOPED, DEADLINE), 'invalid_credentials');
      });
    }

    it('through the gateway, a rate-limited listing after a scope mismatch → rate_limited, not a refusal', async () => {
      const { sut } = makeSut(byPath({ '/rest/api/3/myself': SCOPE_MISMATCH, '/rest/api/3/project/search': upstream(429, undefined, { 'Retry-After': '30' }) }));
      const error = await expectAppError(sut.verifyCredentials(SCOPED, DEADLINE), 'rate_limited');
      expect(error).to.have.property('retryAfterSeconds', 30);
    });

    it('a 503 from the identity endpoint → upstream_error, and no listing', async () => {
      const { sut, http } = makeSut(byPath({ '/rest/api/3/myself': upstream(503, { message: 'down' }) }));
      await expectAppError(sut.verifyCredentials(SCOPED, DEADLINE), 'upstream_error');
      expect(http.requests).to.have.length(1);
    });
  });

  describe('listProjects: one deadline', () => {
    it('gives every page the client request deadline', async () => {
      const values = Array.from({ length: 5 }, (_, n) => ({ id: String(n), key: `K${n}`, name: `P${n}` }));
      const { sut, http } = makeSut((request) => {
        const startAt = Number(new URL(request.url).searchParams.get('startAt'));
        return upstream(200, { startAt, maxResults: 2, total: 5, isLast: startAt + 2 >= 5, values: values.slice(startAt, startAt + 2) });
      });

      expect(await sut.listProjects(CLASSIC, SITE_URL, DEADLINE)).to.have.length(5);

      expect(http.requests).to.have.length(3);
      expect(http.requests.map((r) => r.deadline)).to.deep.equal([DEADLINE, DEADLINE, DEADLINE]);
    });
  });

  describe('listProjects: every field is optional (docs/atlassian.md §6)', () => {
    it('skips items without an id or a key, uses the key when the name is missing, and keeps the listing', async () => {
      const { sut } = makeSut(byPath({
        '/project/search': page([
          { id: '1', key: 'OK', name: 'Fine', projectTypeKey: 'software' },
          { key: 'NOID', name: 'No id' },
          { id: '3', name: 'No key' },
          { id: '4', key: '', name: 'Empty key' },
          null,
          'not a project',
          { id: 6, key: 'NONAME' },
          { id: '7', key: 'EMPTYNAME', name: '' },
        ]),
      }));

      const projects = await sut.listProjects(CLASSIC, SITE_URL, DEADLINE);

      expect(projects).to.deep.equal([
        { id: '1', key: 'OK', name: 'Fine', type: 'software', url: `${SITE_URL}/browse/OK` },
        { id: '6', key: 'NONAME', name: 'NONAME', url: `${SITE_URL}/browse/NONAME` },
        { id: '7', key: 'EMPTYNAME', name: 'EMPTYNAME', url: `${SITE_URL}/browse/EMPTYNAME` },
      ]);
    });

    it('a skipped item still counts for paging: no extra request to fill a gap, nothing lost after it', async () => {
      const pages: Record<string, UpstreamResponse> = {
        '0': upstream(200, { startAt: 0, total: 4, isLast: false, values: [{ id: '1', key: 'A', name: 'A' }, { name: 'broken' }] }),
        '2': upstream(200, { startAt: 2, total: 4, isLast: true, values: [{ id: '3', key: 'C', name: 'C' }, { id: '4', key: 'D', name: 'D' }] }),
      };
      const { sut, http } = makeSut((request) => {
        const answer = pages[new URL(request.url).searchParams.get('startAt') ?? ''];
        if (answer === undefined) throw new Error(`unexpected ${request.url}`);
        return answer;
      });

      const projects = await sut.listProjects(CLASSIC, SITE_URL, DEADLINE);

      expect(projects.map((p) => p.key)).to.deep.equal(['A', 'C', 'D']);
      expect(http.requests.map((r) => new URL(r.url).searchParams.get('startAt'))).to.deep.equal(['0', '2']);
    });

    it('a page of nothing but malformed items is an empty listing, not an error', async () => {
      const { sut } = makeSut(byPath({ '/project/search': page([{}, { id: '1' }, { key: 'K' }]) }));
      expect(await sut.listProjects(CLASSIC, SITE_URL, DEADLINE)).to.deep.equal([]);
    });

    for (const [what, body] of [
      ['no values array', { startAt: 0, total: 0, isLast: true }],
      ['values that is not an array', { values: { id: '1', key: 'A' }, isLast: true }],
      ['a JSON array', [{ id: '1', key: 'A', name: 'A' }]],
      ['an HTML page', '<html>Maintenance</html>'],
    ] as const) {
      it(`a page with ${what} is still an upstream_error`, async () => {
        const { sut } = makeSut(byPath({ '/project/search': upstream(200, body) }));
        await expectAppError(sut.listProjects(CLASSIC, SITE_URL, DEADLINE), 'upstream_error');
      });
    }
  });
});
