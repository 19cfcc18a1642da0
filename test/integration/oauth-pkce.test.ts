/**
 * PKCE (S256): an authorization code is bound to the flow that asked for it. A code that leaked from a browser
 * (history, logs, a proxy) before it was redeemed is useless with another flow's `state`.
 */
import { expect } from 'chai';
import {
  call,
  callbackUrl,
  consent,
  expectError,
  resetFake,
  startHarness,
  startOAuthFlow,
  withSession,
  type Harness,
} from '../support/harness.js';

/** The victim's flow stops at Atlassian's redirect: its code leaked, unredeemed. The attacker pairs it with their own state. */
async function leakedCodeWithOtherState(h: Harness): Promise<{ attackerToken: string; callback: Awaited<ReturnType<typeof call>> }> {
  const victim = await startOAuthFlow(h, 'jira');
  const code = (await consent(victim.authUrl)).searchParams.get('code') ?? '';
  const attacker = await startOAuthFlow(h, 'jira');
  const callback = await call(callbackUrl(h, 'jira', { code, state: attacker.state }));
  return { attackerToken: attacker.sessionToken, callback };
}

describe('PKCE (OAUTH_PKCE, default on)', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });
  beforeEach(() => resetFake(h.fake));

  it('every authorization request carries an S256 code_challenge, a new one per start', async () => {
    const a = await startOAuthFlow(h, 'jira');
    const b = await startOAuthFlow(h, 'confluence');
    for (const flow of [a, b]) {
      expect(flow.authUrl.searchParams.get('code_challenge_method')).to.equal('S256');
      expect(flow.authUrl.searchParams.get('code_challenge')).to.match(/^[A-Za-z0-9_-]{43}$/);
    }
    expect(a.authUrl.searchParams.get('code_challenge')).to.not.equal(b.authUrl.searchParams.get('code_challenge'));
  });

  it('the exchange sends the verifier of the flow, never the challenge', async () => {
    const flow = await startOAuthFlow(h, 'jira');
    const res = await call((await consent(flow.authUrl)).toString());
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const exchange = h.fake.requests.find((r) => r.path === '/oauth/token');
    const sent = JSON.parse(exchange?.body ?? '{}') as Record<string, string>;
    expect(sent['code_verifier']).to.match(/^[A-Za-z0-9_-]{43,128}$/);
    expect(sent['code_verifier']).to.not.equal(flow.authUrl.searchParams.get('code_challenge'));
  });

  it("a leaked, unredeemed code paired with another flow's state is refused (400 invalid_grant), and connects nobody", async () => {
    const { attackerToken, callback } = await leakedCodeWithOtherState(h);

    expectError(callback, 400, 'invalid_grant');
    expectError(await call(h.url('/jira/projects'), withSession(attackerToken)), 403, 'not_connected');
  });
});

describe('PKCE off (OAUTH_PKCE=false): what it costs', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ OAUTH_PKCE: 'false' }); });
  after(async () => { await h.close(); });

  it("sends no code_challenge, and a leaked code then connects with any flow's state", async () => {
    const flow = await startOAuthFlow(h, 'jira');
    expect(flow.authUrl.searchParams.has('code_challenge')).to.equal(false);
    expect(flow.authUrl.searchParams.has('code_challenge_method')).to.equal(false);

    const { attackerToken, callback } = await leakedCodeWithOtherState(h);

    expect(callback.status, JSON.stringify(callback.body)).to.equal(200);
    expect((await call(h.url('/jira/projects'), withSession(attackerToken))).status).to.equal(200);
  });
});
