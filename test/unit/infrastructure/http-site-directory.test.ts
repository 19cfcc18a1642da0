import { expect } from 'chai';
import { AppError, RetryableError } from '../../../src/domain/errors.js';
import { AtlassianUrls } from '../../../src/infrastructure/atlassian/atlassian-urls.js';
import { HttpSiteDirectory } from '../../../src/infrastructure/atlassian/http-site-directory.js';
import type { UpstreamResponse } from '../../../src/infrastructure/atlassian/atlassian-http.js';
import { expectAppError } from '../../support/port-fakes.js';
import { ScriptedAtlassianHttp, upstream } from '../../support/scripted-atlassian-http.js';
import { normaliseSite } from '../../../src/domain/site.js';
import { deadlineAfter } from '../../../src/domain/deadline.js';

const ACME = normaliseSite('acme');
const DEADLINE = deadlineAfter(Date.now(), 60_000);

const CLOUD_ID = '1324a887-45db-1bf4-1e99-ef0ff456d421';

function makeSut(answer: UpstreamResponse | (() => UpstreamResponse)) {
  const http = new ScriptedAtlassianHttp(() => (typeof answer === 'function' ? answer() : answer));
  const sut = new HttpSiteDirectory(http, new AtlassianUrls('https://api.atlassian.com', 'https://{site}'));
  return { sut, http };
}

describe('HttpSiteDirectory', () => {
  it('reads the cloudId from the site\'s tenant_info, without credentials', async () => {
    const { sut, http } = makeSut(upstream(200, { cloudId: CLOUD_ID }));

    expect(await sut.cloudIdOf(ACME, DEADLINE)).to.equal(CLOUD_ID);

    expect(http.requests).to.deep.equal([{ method: 'GET', url: 'https://acme.atlassian.net/_edge/tenant_info', deadline: DEADLINE }]);
  });

  describe('undefined when the site does not say', () => {
    const cases: [string, UpstreamResponse][] = [
      ['404 (no such site)', upstream(404, '<html>Site not found</html>')],
      ['200 without a cloudId', upstream(200, { tenantId: 'x' })],
      ['200 with a cloudId that is not one', upstream(200, { cloudId: '../../evil' })],
      ['200 with a cloudId that is not a string', upstream(200, { cloudId: 42 })],
      ['200 whose body is not JSON', upstream(200, '<html>Maintenance</html>')],
      ['200 with an empty body', upstream(200)],
      ['200 with a JSON array', upstream(200, [CLOUD_ID])],
    ];
    for (const [what, answer] of cases) {
      it(what, async () => {
        expect(await makeSut(answer).sut.cloudIdOf(ACME, DEADLINE)).to.equal(undefined);
      });
    }
  });

  describe('everything else is the service\'s usual error, never "no cloudId"', () => {
    it('429 with Retry-After → rate_limited with that wait', async () => {
      const error = await expectAppError(makeSut(upstream(429, undefined, { 'Retry-After': '60' })).sut.cloudIdOf(ACME, DEADLINE), 'rate_limited');
      expect(error).to.be.instanceOf(RetryableError);
      expect((error as RetryableError).retryAfterSeconds).to.equal(60);
    });

    it('503 with Retry-After → rate_limited (Atlassian: a resource limit)', async () => {
      await expectAppError(makeSut(upstream(503, undefined, { 'Retry-After': '7' })).sut.cloudIdOf(ACME, DEADLINE), 'rate_limited');
    });

    for (const status of [500, 502, 503, 504, 400, 403, 410]) {
      it(`${status} → upstream_error`, async () => {
        await expectAppError(makeSut(upstream(status, { message: 'nope' })).sut.cloudIdOf(ACME, DEADLINE), 'upstream_error');
      });
    }

    it('401 → upstream_error: nothing was sent that could have been refused', async () => {
      const error = await expectAppError(makeSut(upstream(401)).sut.cloudIdOf(ACME, DEADLINE), 'upstream_error');
      expect(error.message).not.to.match(/credentials/i);
    });

    it('a redirect → upstream_error', async () => {
      await expectAppError(makeSut(upstream(301, undefined, { Location: 'https://elsewhere.atlassian.net/' })).sut.cloudIdOf(ACME, DEADLINE), 'upstream_error');
    });

    for (const code of ['upstream_timeout', 'upstream_error'] as const) {
      it(`${code} from the call itself (no answer) is passed on`, async () => {
        const thrown = new AppError(code, 'no answer');
        const error = await expectAppError(makeSut(() => { throw thrown; }).sut.cloudIdOf(ACME, DEADLINE), code);
        expect(error).to.equal(thrown);
      });
    }
  });
});
