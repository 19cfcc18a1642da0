import { expect } from 'chai';
import { TokenAnswerLostError } from '../../../src/application/ports/atlassian-oauth-gateway.js';
import { AppError, type ErrorCode } from '../../../src/domain/errors.js';
import type { UpstreamResponse } from '../../../src/infrastructure/atlassian/atlassian-http.js';
import { AtlassianUrls } from '../../../src/infrastructure/atlassian/atlassian-urls.js';
import { HttpAtlassianOAuthGateway } from '../../../src/infrastructure/atlassian/http-atlassian-oauth-gateway.js';
import { expectAppError } from '../../support/port-fakes.js';
import { ScriptedAtlassianHttp, upstream } from '../../support/scripted-atlassian-http.js';

const CLIENT = { clientId: 'client-1', clientSecret: 'secret-1', redirectUri: 'https://app.example.com/cb', scopes: ['read:jira-work'] };

function makeSut(answer: UpstreamResponse) {
  const http = new ScriptedAtlassianHttp(() => answer);
  const sut = new HttpAtlassianOAuthGateway(http, new AtlassianUrls('https://api.atlassian.com', 'https://{site}'), 'https://auth.atlassian.com', { jira: CLIENT });
  return { sut, http };
}

const tokenError = (status: number, error: string, description = 'x') => upstream(status, { error, error_description: description });

interface Row {
  readonly what: string;
  readonly answer: UpstreamResponse;
  readonly code: ErrorCode;
  /** For upstream_error: whether the message blames this server's client credentials. */
  readonly clientCredentials?: boolean;
}

/**
 * invalid_grant is what makes the refresher drop a connection (reauth_required); upstream_error and rate_limited
 * keep it. docs/atlassian.md §2: branch on `error`, not on status.
 */
const ROWS: readonly Row[] = [
  // The pairings of docs/atlassian.md §2.
  { what: '403 invalid_grant "Unknown or invalid refresh token."', answer: tokenError(403, 'invalid_grant', 'Unknown or invalid refresh token.'), code: 'invalid_grant' },
  { what: '403 unauthorized_client "refresh_token is invalid"', answer: tokenError(403, 'unauthorized_client', 'refresh_token is invalid'), code: 'invalid_grant' },
  { what: '401 access_denied "Unauthorized" (wrong client secret)', answer: tokenError(401, 'access_denied', 'Unauthorized'), code: 'upstream_error', clientCredentials: true },
  { what: '400 invalid_grant "authorization_code is invalid"', answer: tokenError(400, 'invalid_grant', 'authorization_code is invalid'), code: 'invalid_grant' },
  { what: '403 invalid_grant "Token has been expired or revoked."', answer: tokenError(403, 'invalid_grant', 'Token has been expired or revoked.'), code: 'invalid_grant' },
  // `error` decides, whatever the status.
  { what: '401 invalid_grant', answer: tokenError(401, 'invalid_grant'), code: 'invalid_grant' },
  { what: '403 access_denied', answer: tokenError(403, 'access_denied'), code: 'upstream_error', clientCredentials: true },
  { what: '400 invalid_client', answer: tokenError(400, 'invalid_client'), code: 'upstream_error', clientCredentials: true },
  // An `error` we do not know is not a dead grant.
  { what: '400 invalid_request', answer: tokenError(400, 'invalid_request', 'Missing refresh_token'), code: 'upstream_error', clientCredentials: false },
  { what: '403 with a new error value', answer: tokenError(403, 'consent_required'), code: 'upstream_error', clientCredentials: false },
  { what: '401 with a new error value', answer: tokenError(401, 'something_new'), code: 'upstream_error', clientCredentials: false },
  { what: '500 server_error', answer: tokenError(500, 'server_error'), code: 'upstream_error', clientCredentials: false },
  // No `error` to read: the status decides, and only a 401 says anything specific.
  { what: '400 with an HTML body', answer: upstream(400, '<html><body>Bad Request</body></html>'), code: 'upstream_error', clientCredentials: false },
  { what: '403 with a text body', answer: upstream(403, 'Forbidden'), code: 'upstream_error', clientCredentials: false },
  { what: '403 with JSON but no error field', answer: upstream(403, { error_description: 'refresh token?' }), code: 'upstream_error', clientCredentials: false },
  { what: '400 with an empty body', answer: upstream(400), code: 'upstream_error', clientCredentials: false },
  { what: '401 with a text body', answer: upstream(401, 'Unauthorized'), code: 'upstream_error', clientCredentials: true },
  { what: '503 with an empty body', answer: upstream(503), code: 'upstream_error', clientCredentials: false },
  { what: '429 with Retry-After', answer: upstream(429, { error: 'too_many_requests' }, { 'Retry-After': '30' }), code: 'rate_limited' },
];

describe('HttpAtlassianOAuthGateway: token-endpoint failures', () => {
  for (const grant of ['refresh', 'exchangeCode'] as const) {
    describe(grant, () => {
      for (const row of ROWS) {
        it(`${row.what} → ${row.code}${row.clientCredentials ? ' (client credentials)' : ''}`, async () => {
          const { sut, http } = makeSut(row.answer);

          const error = await expectAppError(grant === 'refresh' ? sut.refresh('jira', 'refresh-1') : sut.exchangeCode('jira', 'code-1'), row.code);

          expect(http.requests).to.have.length(1);
          if (row.clientCredentials !== undefined) expect(/client credentials/.test(error.message), error.message).to.equal(row.clientCredentials);
          expect(error.message).not.to.include(CLIENT.clientSecret);
        });
      }
    });
  }

  it('a refused refresh never reads as the user\'s stored credentials (upstream_unauthorized)', async () => {
    for (const row of ROWS) {
      const caught = await makeSut(row.answer).sut.refresh('jira', 'refresh-1').catch((error: unknown) => error);
      expect((caught as { code?: string }).code, row.what).not.to.equal('upstream_unauthorized');
    }
  });

  for (const code of ['upstream_timeout', 'upstream_error'] as const) {
    it(`no answer at all (${code} from AtlassianHttp) → TokenAnswerLostError with that code: Atlassian may have rotated`, async () => {
      const http = new ScriptedAtlassianHttp(() => {
        throw new AppError(code, 'no answer');
      });
      const sut = new HttpAtlassianOAuthGateway(http, new AtlassianUrls('https://api.atlassian.com', 'https://{site}'), 'https://auth.atlassian.com', { jira: CLIENT });

      const caught = await sut.refresh('jira', 'refresh-1').catch((error: unknown) => error);

      expect(caught).to.be.instanceOf(TokenAnswerLostError);
      expect((caught as AppError).code).to.equal(code);
    });
  }

  it('an answer, even a 5xx, is not a lost answer', async () => {
    const caught = await makeSut(upstream(500, 'boom')).sut.refresh('jira', 'refresh-1').catch((error: unknown) => error);
    expect(caught).to.be.instanceOf(AppError);
    expect(caught).not.to.be.instanceOf(TokenAnswerLostError);
  });
});

describe('HttpAtlassianOAuthGateway: PKCE', () => {
  const TOKENS = upstream(200, { access_token: 'access-1', expires_in: 3600, scope: 'read:jira-work' });

  it('adds code_challenge and code_challenge_method=S256 to the authorization URL when given a challenge', () => {
    const { sut } = makeSut(TOKENS);

    const url = new URL(sut.authorizationUrl('jira', 'state-1', 'challenge-1'));

    expect(url.searchParams.get('code_challenge')).to.equal('challenge-1');
    expect(url.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(url.searchParams.get('state')).to.equal('state-1');
  });

  it('sends neither parameter without a challenge', () => {
    const { sut } = makeSut(TOKENS);

    const url = new URL(sut.authorizationUrl('jira', 'state-1'));

    expect(url.searchParams.has('code_challenge')).to.equal(false);
    expect(url.searchParams.has('code_challenge_method')).to.equal(false);
  });

  it('sends code_verifier with the code exchange when given one, and no such field otherwise', async () => {
    const { sut, http } = makeSut(TOKENS);

    await sut.exchangeCode('jira', 'code-1', 'verifier-1');
    await sut.exchangeCode('jira', 'code-2');

    expect(http.requests[0]?.body).to.deep.include({ grant_type: 'authorization_code', code: 'code-1', code_verifier: 'verifier-1' });
    expect(http.requests[1]?.body).to.not.have.property('code_verifier');
  });
});
