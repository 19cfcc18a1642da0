import { expect } from 'chai';
import { ACME, BETA, USER, call, connectWithOAuth, connectWithToken, resetFake, startHarness, type Harness } from '../support/harness.js';
import { FixedClock } from '../support/port-fakes.js';

const withToken = (token: string, init: { method?: string } = {}) => ({ ...init, headers: { 'X-Session-Token': token } });

describe('session lifecycle over HTTP', () => {
  let h: Harness;
  // The service's clock: the test moves it past an expiry instead of sleeping.
  const clock = new FixedClock(Date.now());
  before(async () => {
    h = await startHarness({ UPSTREAM_TIMEOUT_MS: '300', SESSION_TTL_SECONDS: '2' }, {}, { clock });
  });
  after(async () => { await h.close(); });
  beforeEach(() => resetFake(h.fake));

  it('GET /auth/session says what is connected, how and since when, and never a credential', async () => {
    const jira = await connectWithOAuth(h, 'jira');
    await connectWithToken(h, 'confluence', undefined, jira.sessionToken);

    const session = await call(h.url('/auth/session'), withToken(jira.sessionToken));

    expect(session.status).to.equal(200);
    expect(session.body.products.jira).to.include({ connected: true, method: 'oauth' });
    expect(session.body.products.jira.site).to.include({ url: `https://${ACME}` });
    expect(session.body.products.confluence).to.include({ connected: true, method: 'api_token' });
    expect(Date.parse(session.body.expires_at)).to.be.greaterThan(Date.parse(session.body.created_at));
    const text = JSON.stringify(session.body);
    expect(text).not.to.include(USER.apiToken);
    expect(text).not.to.match(/"(accessToken|refreshToken|apiToken|access_token|refresh_token|api_token|email)"\s*:/);
    const bearer = h.fake.requests.map((r) => r.headers['authorization'] ?? '').find((value) => value.startsWith('Bearer '));
    expect(bearer, 'the fake saw the access token').to.be.a('string');
    expect(text).not.to.include(bearer!.slice('Bearer '.length));
  });

  it('DELETE /auth/{product} disconnects one product; DELETE /auth/session logs out', async () => {
    const jira = await connectWithOAuth(h, 'jira');
    await connectWithToken(h, 'confluence', undefined, jira.sessionToken);

    expect((await call(h.url('/auth/jira'), withToken(jira.sessionToken, { method: 'DELETE' }))).status).to.equal(204);
    expect((await call(h.url('/jira/projects'), withToken(jira.sessionToken))).body.error.code).to.equal('not_connected');
    expect((await call(h.url('/confluence/spaces'), withToken(jira.sessionToken))).status).to.equal(200);

    expect((await call(h.url('/auth/session'), withToken(jira.sessionToken, { method: 'DELETE' }))).status).to.equal(204);
    const after = await call(h.url('/confluence/spaces'), withToken(jira.sessionToken));
    expect(after.status).to.equal(401);
    expect(after.body.error.code).to.equal('invalid_session');
  });

  it('an idle session expires after SESSION_TTL_SECONDS, and every use extends it', async () => {
    const login = await connectWithToken(h, 'jira');
    const token = login.body.session_token as string;
    // Two uses 1.2 s apart outlive the 2 s TTL only because each use extends it.
    for (let i = 0; i < 2; i++) {
      clock.advance(1_200);
      expect((await call(h.url('/auth/session'), withToken(token))).status, `use ${i + 1}`).to.equal(200);
    }
    clock.advance(2_100);
    const expired = await call(h.url('/jira/projects'), withToken(token));
    expect(expired.status).to.equal(401);
    expect(expired.body.error.code).to.equal('invalid_session');
  });

  it('a refused refresh drops the connection and answers 401 reauth_required', async () => {
    const jira = await connectWithOAuth(h, 'jira');
    h.fake.revokeGrant(USER.email);
    h.fake.expireAccessTokens();

    const answer = await call(h.url('/jira/projects'), withToken(jira.sessionToken));

    expect(answer.status).to.equal(401);
    expect(answer.body.error.code).to.equal('reauth_required');
    const session = await call(h.url('/auth/session'), withToken(jira.sessionToken));
    expect(session.body.products.jira).to.deep.equal({ connected: false });
  });

  it('a refresh without an answer keeps the credentials and answers 503 upstream_unavailable with Retry-After', async () => {
    const jira = await connectWithOAuth(h, 'jira');
    h.fake.expireAccessTokens();
    h.fake.injectFault({ match: { method: 'POST', path: '/oauth/token' }, hang: true });

    const answer = await call(h.url('/jira/projects'), withToken(jira.sessionToken));

    expect(answer.status).to.equal(503);
    expect(answer.body.error.code).to.equal('upstream_unavailable');
    expect(Number(answer.headers.get('retry-after'))).to.be.greaterThan(0);
    h.fake.clearFaults();
    // Kept: the next request refreshes and lists.
    const retried = await call(h.url('/jira/projects'), withToken(jira.sessionToken));
    expect(retried.status, JSON.stringify(retried.body)).to.equal(200);
  });

  describe('several sites in one grant', () => {
    it('uses the site asked for at start, and lists every site the grant covers', async () => {
      const jira = await connectWithOAuth(h, 'jira', undefined, `?site=${BETA}`);

      expect(jira.callback.status, JSON.stringify(jira.callback.body)).to.equal(200);
      expect(jira.callback.body.site.url).to.equal(`https://${BETA}`);
      expect(jira.callback.body.sites.map((site: { url: string }) => site.url)).to.have.members([`https://${ACME}`, `https://${BETA}`]);
      const projects = await call(h.url('/jira/projects'), withToken(jira.sessionToken));
      expect(projects.body.total).to.equal(3); // beta's projects, not acme's 120
    });

    it('answers 403 no_accessible_site when the grant does not cover the site asked for', async () => {
      const jira = await connectWithOAuth(h, 'jira', undefined, '?site=elsewhere.atlassian.net');

      expect(jira.callback.status).to.equal(403);
      expect(jira.callback.body.error.code).to.equal('no_accessible_site');
    });

    it('refuses an invalid site at start with 400 invalid_site', async () => {
      const start = await call(h.url('/auth/jira/oauth/start?site=evil.com'));
      expect(start.status).to.equal(400);
      expect(start.body.error.code).to.equal('invalid_site');
    });
  });
});
