import { expect } from 'chai';
import type { ApiTokenCredentials } from '../../../src/application/ports/atlassian-credentials.js';
import { AtlassianUrls } from '../../../src/infrastructure/atlassian/atlassian-urls.js';
import { HttpConfluenceGateway } from '../../../src/infrastructure/atlassian/http-confluence-gateway.js';
import { expectAppError } from '../../support/port-fakes.js';
import { byPath, ScriptedAtlassianHttp, upstream, type Responder } from '../../support/scripted-atlassian-http.js';
import { normaliseSite, parseCloudId } from '../../../src/domain/site.js';
import { deadlineAfter } from '../../../src/domain/deadline.js';

/** The client request's deadline; the scripted client answers at once, so only its identity matters. */
const DEADLINE = deadlineAfter(Date.now(), 60_000);

const SITE_URL = 'https://acme.atlassian.net';
const CLASSIC: ApiTokenCredentials = { kind: 'api_token', host: normaliseSite('acme'), email: 'ada@example.com', apiToken: 'token-1' };
const SCOPED: ApiTokenCredentials = { ...CLASSIC, gatewayCloudId: parseCloudId('cloud-1') };
const GATEWAY = 'https://api.atlassian.com/ex/confluence/cloud-1';
const CURRENT = '/wiki/rest/api/user/current';
const SPACES = '/wiki/api/v2/spaces';
const SCOPE_MISMATCH = upstream(401, { code: 401, message: 'Unauthorized; scope does not match' });
const USER = upstream(200, { type: 'known', accountId: 'acc-1', displayName: 'Ada' });

function makeSut(respond: Responder) {
  const http = new ScriptedAtlassianHttp(respond);
  return { sut: new HttpConfluenceGateway(http, new AtlassianUrls('https://api.atlassian.com', 'https://{site}')), http };
}

describe('HttpConfluenceGateway', () => {
  describe('verifyCredentials', () => {
    it('on the site: the account user/current names, and a scope mismatch there is a plain refusal', async () => {
      expect(await makeSut(byPath({ [CURRENT]: USER })).sut.verifyCredentials(CLASSIC, DEADLINE)).to.deep.equal({ accountId: 'acc-1', displayName: 'Ada' });

      const { sut, http } = makeSut(byPath({ [CURRENT]: SCOPE_MISMATCH, [SPACES]: upstream(200, { results: [] }) }));
      await expectAppError(sut.verifyCredentials(CLASSIC, DEADLINE), 'invalid_credentials');
      expect(http.requests.map((r) => r.url)).to.deep.equal([`${SITE_URL}${CURRENT}`]);
    });

    it('through the gateway, a token lacking read:confluence-user is proven by listing one space (as Nango does)', async () => {
      const { sut, http } = makeSut(byPath({ [CURRENT]: SCOPE_MISMATCH, [SPACES]: upstream(200, { results: [], _links: {} }) }));

      expect(await sut.verifyCredentials(SCOPED, DEADLINE)).to.equal(undefined);

      expect(http.requests.map((r) => r.url)).to.deep.equal([`${GATEWAY}${CURRENT}`, `${GATEWAY}${SPACES}?limit=1`]);
    });

    it('through the gateway, a token lacking the listing scope too → insufficient_scope naming read:space:confluence', async () => {
      const { sut } = makeSut(byPath({ [CURRENT]: SCOPE_MISMATCH, [SPACES]: SCOPE_MISMATCH }));

      const error = await expectAppError(sut.verifyCredentials(SCOPED, DEADLINE), 'insufficient_scope');

      expect(error.message).to.include('read:space:confluence');
      expect(error.message).not.to.include('did not accept');
    });

    it('through the gateway, an anonymous answer or a 404 is a refusal, and no listing is tried', async () => {
      for (const answer of [upstream(200, { type: 'anonymous' }), upstream(404, { errors: [{ status: 404, code: 'NOT_FOUND' }] })]) {
        const { sut, http } = makeSut(byPath({ [CURRENT]: answer }));
        await expectAppError(sut.verifyCredentials(SCOPED, DEADLINE), 'invalid_credentials');
        expect(http.requests).to.have.length(1);
      }
    });
  });

  describe('listSpaces: one malformed space does not fail the listing', () => {
    it('skips spaces without an id or a key, uses the key when the name is missing, and follows the next page', async () => {
      const { sut, http } = makeSut((request) => {
        const cursor = new URL(request.url).searchParams.get('cursor');
        if (cursor === null) {
          return upstream(200, {
            results: [
              { id: '1', key: 'ENG', name: 'Engineering', type: 'global', status: 'current', _links: { webui: '/spaces/ENG' } },
              { key: 'NOID', name: 'No id' },
              { id: '3', name: 'No key' },
              42,
            ],
            _links: { next: `${SPACES}?cursor=abc&limit=250` },
          });
        }
        return upstream(200, { results: [{ id: 5, key: 'NONAME' }, { id: '6', key: 'BLANK', name: '' }], _links: {} });
      });

      const spaces = await sut.listSpaces(CLASSIC, SITE_URL, DEADLINE);

      expect(spaces).to.deep.equal([
        { id: '1', key: 'ENG', name: 'Engineering', type: 'global', status: 'current', url: `${SITE_URL}/wiki/spaces/ENG` },
        { id: '5', key: 'NONAME', name: 'NONAME' },
        { id: '6', key: 'BLANK', name: 'BLANK' },
      ]);
      expect(http.requests).to.have.length(2);
      // Both pages end by the client request's deadline, not one each.
      expect(http.requests.map((r) => r.deadline)).to.deep.equal([DEADLINE, DEADLINE]);
    });

    for (const [what, body] of [
      ['no results array', { _links: {} }],
      ['results that is not an array', { results: { id: '1' } }],
      ['an HTML page', '<html>Maintenance</html>'],
    ] as const) {
      it(`a page with ${what} is still an upstream_error`, async () => {
        await expectAppError(makeSut(byPath({ [SPACES]: upstream(200, body) })).sut.listSpaces(CLASSIC, SITE_URL, DEADLINE), 'upstream_error');
      });
    }
  });
});
