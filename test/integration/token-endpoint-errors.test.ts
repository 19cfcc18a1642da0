import { expect } from 'chai';
import {
  USER,
  call,
  connectWithOAuth,
  consent,
  expectError,
  resetFake,
  startHarness,
  startOAuthFlow,
  withSession,
  type Harness,
} from '../support/harness.js';
import type { FakeFault } from '../../fake-atlassian/index.js';

/**
 * How answers of Atlassian's token endpoint reach a client (docs/atlassian.md §2: branch on `error`, not on status).
 * Only `invalid_grant` / `unauthorized_client` mean the grant is dead; on a refresh, only they drop the connection.
 */

const TOKEN = { method: 'POST', path: '/oauth/token' } as const;
type Answer = Pick<FakeFault, 'status' | 'body' | 'headers'>;

/** Answers that do not say the grant is dead: an unknown `error`, no `error` at all, or this server's client refused. */
const NOT_A_DEAD_GRANT: [string, Answer][] = [
  ['400 with an unknown error', { status: 400, body: { error: 'invalid_request', error_description: 'Something is missing' } }],
  ['403 with a text body', { status: 403, body: 'Forbidden' }],
  ['400 with an HTML body', { status: 400, body: '<html><body>Bad Request</body></html>', headers: { 'Content-Type': 'text/html' } }],
  ['403 access_denied (client credentials, not the user)', { status: 403, body: { error: 'access_denied', error_description: 'Unauthorized' } }],
];

describe('token-endpoint errors', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });
  beforeEach(() => resetFake(h.fake));

  async function expiredJiraSession(): Promise<string> {
    const { sessionToken, callback } = await connectWithOAuth(h, 'jira');
    expect(callback.status, JSON.stringify(callback.body)).to.equal(200);
    h.fake.expireAccessTokens();
    return sessionToken;
  }

  describe('on a refresh', () => {
    for (const [what, answer] of NOT_A_DEAD_GRANT) {
      it(`${what} → 503 upstream_unavailable; the connection is kept and works once Atlassian answers`, async () => {
        const token = await expiredJiraSession();
        h.fake.injectFault({ match: TOKEN, ...answer });

        const res = await call(h.url('/jira/projects'), withSession(token));

        expectError(res, 503, 'upstream_unavailable');
        expect(Number(res.headers.get('retry-after'))).to.be.greaterThan(0);
        const session = await call(h.url('/auth/session'), withSession(token));
        expect(session.body.products.jira).to.include({ connected: true, method: 'oauth' });
        const retried = await call(h.url('/jira/projects'), withSession(token));
        expect(retried.status, JSON.stringify(retried.body).slice(0, 300)).to.equal(200);
      });
    }

    it('401 invalid_grant → 401 reauth_required and the connection is dropped: `error` decides, not the status', async () => {
      const token = await expiredJiraSession();
      h.fake.injectFault({ match: TOKEN, status: 401, body: { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' } });

      expectError(await call(h.url('/jira/projects'), withSession(token)), 401, 'reauth_required');
      const session = await call(h.url('/auth/session'), withSession(token));
      expect(session.body.products.jira).to.deep.equal({ connected: false });
    });

    it('a revoked grant (403 invalid_grant from the fake itself) still drops the connection', async () => {
      const token = await expiredJiraSession();
      h.fake.revokeGrant(USER.email);
      expectError(await call(h.url('/jira/projects'), withSession(token)), 401, 'reauth_required');
    });
  });

  describe('on the code exchange', () => {
    for (const [what, answer] of NOT_A_DEAD_GRANT) {
      it(`${what} → 502 upstream_error, not invalid_grant`, async () => {
        const back = await consent((await startOAuthFlow(h, 'confluence')).authUrl);
        h.fake.injectFault({ match: TOKEN, ...answer });

        expectError(await call(back.toString()), 502, 'upstream_error');
      });
    }
  });
});
