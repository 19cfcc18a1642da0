import { expect } from 'chai';
import { call, startHarness, type Harness } from '../support/harness.js';

describe('one callback URL for both products (GET /auth/oauth/callback)', () => {
  let h: Harness;
  // As with an Atlassian app that allows a single callback URL: both products use the shared one.
  before(async () => {
    h = await startHarness((baseUrl) => ({
      JIRA_OAUTH_REDIRECT_URI: `${baseUrl}/auth/oauth/callback`,
      CONFLUENCE_OAUTH_REDIRECT_URI: `${baseUrl}/auth/oauth/callback`,
    }));
  });
  after(async () => { await h.close(); });

  it('completes each product from the state alone, into one session', async () => {
    const jira = await call(h.url('/auth/jira/oauth/start'));
    const token = jira.headers.get('x-session-token')!;
    const confluence = await call(h.url('/auth/confluence/oauth/start'), { headers: { 'X-Session-Token': token } });

    for (const [expected, start] of [['jira', jira], ['confluence', confluence]] as const) {
      const consent = await call(start.body.auth_url);
      const location = new URL(consent.headers.get('location')!);
      expect(location.pathname).to.equal('/auth/oauth/callback');
      const callback = await call(location.toString());
      expect(callback.status, JSON.stringify(callback.body)).to.equal(200);
      expect(callback.body.product).to.equal(expected);
      expect(callback.body.session_token).to.equal(token);
    }
    const session = await call(h.url('/auth/session'), { headers: { 'X-Session-Token': token } });
    expect(session.body.products.jira).to.include({ connected: true, method: 'oauth' });
    expect(session.body.products.confluence).to.include({ connected: true, method: 'oauth' });
  });
});
