import { expect } from 'chai';
import { call, connectWithOAuth, expectError, resetFake, startHarness, withSession, type Harness } from '../support/harness.js';

/**
 * A rotated refresh token is never lost (issue 11, point 8), against the fake Atlassian: its token endpoint rotates
 * the refresh token and then loses the answer. Atlassian honours the old token for 10 minutes after the rotation
 * and revokes the whole grant when it is replayed later; the fake does the same on a clock this test moves.
 */

const TOKEN = { method: 'POST', path: '/oauth/token' } as const;
const LEEWAY_MS = 10 * 60_000;

describe('token refresh whose answer is lost (OAUTH_REFRESH_RETRY_DELAYS_MS=100,100,100, UPSTREAM_TIMEOUT_MS=500)', () => {
  let h: Harness;
  let fakeNow = Date.now();
  before(async () => {
    h = await startHarness(
      { OAUTH_REFRESH_RETRY_DELAYS_MS: '100,100,100', UPSTREAM_TIMEOUT_MS: '500' },
      { now: () => fakeNow, refreshReuseLeewayMs: LEEWAY_MS },
    );
  });
  after(async () => {
    await h.close();
  });
  beforeEach(() => {
    resetFake(h.fake);
    fakeNow = Date.now();
  });

  /** The refresh tokens the service sent, in order (read from the fake's request log). */
  function sentRefreshTokens(): string[] {
    return h.fake.requests
      .filter((r) => r.method === 'POST' && r.path === TOKEN.path && r.body.includes('refresh_token'))
      .map((r) => (JSON.parse(r.body) as { refresh_token: string }).refresh_token);
  }

  /** Polls the fake's log (the service runs in this process) until `count` refreshes were answered. */
  async function whenRefreshesAnswered(count: number): Promise<void> {
    for (let i = 0; i < 600; i++) {
      const answered = h.fake.requests.filter((r) => r.method === 'POST' && r.path === TOKEN.path && r.status === 200).length;
      if (answered >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`the fake never answered ${count} refreshes`);
  }

  for (const loseAnswer of ['destroySocket', 'hang'] as const) {
    it(`rotated then ${loseAnswer === 'hang' ? 'timed out' : 'dropped'}: 503 at once; the background retry stores new tokens, and a listing after the leeway succeeds`, async () => {
      const { sessionToken } = await connectWithOAuth(h, 'jira');
      const other = await connectWithOAuth(h, 'jira'); // the same user's other session, on the same grant
      h.fake.expireAccessTokens();
      h.fake.clearRequests();
      h.fake.injectFault({ match: TOKEN, loseAnswer });

      expectError(await call(h.url('/jira/projects'), withSession(sessionToken)), 503, 'upstream_unavailable');

      await whenRefreshesAnswered(1);
      const [lostToken, retriedToken] = sentRefreshTokens();
      expect(retriedToken, 'the background retry sends the same refresh token, within the leeway').to.equal(lostToken);
      expect(h.fake.refreshTokenStatus(lostToken!)).to.equal('rotated');

      fakeNow += LEEWAY_MS + 60_000;
      const later = await call(h.url('/jira/projects'), withSession(sessionToken));

      expect(later.status, JSON.stringify(later.body).slice(0, 300)).to.equal(200);
      expect(later.body.total).to.equal(120);
      expect(sentRefreshTokens(), 'the rotated token was not replayed after the leeway').to.have.length(2);
      expect(h.fake.refreshTokenStatus(lostToken!)).to.equal('rotated');
      // The grant was not revoked: the user's other session refreshes and lists too.
      const theirs = await call(h.url('/jira/projects'), withSession(other.sessionToken));
      expect(theirs.status, JSON.stringify(theirs.body).slice(0, 300)).to.equal(200);
    });
  }

  it('the fake revokes the whole grant when a rotated token is replayed after the leeway: the other session needs reauth (what the retry avoids)', async () => {
    const { sessionToken } = await connectWithOAuth(h, 'jira');
    const other = await connectWithOAuth(h, 'jira');
    h.fake.expireAccessTokens();
    h.fake.clearRequests();
    expect((await call(h.url('/jira/projects'), withSession(sessionToken))).status).to.equal(200);
    const [rotated] = sentRefreshTokens();
    fakeNow += LEEWAY_MS + 1;

    const replay = await call(`${h.fake.authUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'refresh_token', client_id: 'jira-client-id', client_secret: 'jira-client-secret-do-not-leak', refresh_token: rotated }),
    });

    expect(replay.status).to.equal(403);
    expect(h.fake.refreshTokenStatus(rotated!)).to.equal('revoked');
    h.fake.expireAccessTokens();
    expectError(await call(h.url('/jira/projects'), withSession(other.sessionToken)), 401, 'reauth_required');
  });
});
