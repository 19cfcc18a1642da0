/**
 * OAUTH_RETURN_URL mode: the callback attaches nothing; the browser that started the sign-in finishes it with
 * POST /auth/oauth/complete and its own session token. Two independent clients over real HTTP play the attacker
 * (who starts the flow and sends the link) and the colleague (who opens it and clicks Allow).
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import {
  ACME,
  BETA,
  call,
  completionOf,
  connectWithCompletion,
  consent,
  expectError,
  finishOAuth,
  resetFake,
  serviceEnv,
  sessionWithToken,
  startHarness,
  startOAuthFlow,
  withSession,
  type Harness,
} from '../support/harness.js';
import { FixedClock } from '../support/port-fakes.js';
import { deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../support/redis.js';
import { startService, type RunningService } from '../support/start-service.js';

const RETURN_URL = 'http://frontend.test/after';
const PRODUCTS = ['jira', 'confluence'] as const;
const LISTING = { jira: '/jira/projects', confluence: '/confluence/spaces' } as const;
const COLLEAGUE = { email: 'grace@example.com', apiToken: 'grace-api-token-0123456789' } as const;

describe('OAuth sign-in bound to the browser that started it (OAUTH_RETURN_URL)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ OAUTH_RETURN_URL: RETURN_URL });
    // The colleague has a Jira of their own: only BETA.
    h.fake.addUser({ email: COLLEAGUE.email, apiToken: COLLEAGUE.apiToken, displayName: 'Grace', sites: [BETA] });
  });
  after(async () => { await h.close(); });
  beforeEach(() => resetFake(h.fake));

  async function productsOf(sessionToken: string): Promise<Record<string, { connected: boolean; site?: { url: string } }>> {
    const res = await call(h.url('/auth/session'), withSession(sessionToken));
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.products;
  }

  for (const product of PRODUCTS) {
    it(`${product}: the callback redirects with status=pending and a one-time completion, and attaches nothing`, async () => {
      const flow = await startOAuthFlow(h, product);
      const redirect = await call((await consent(flow.authUrl)).toString());

      const target = new URL(redirect.headers.get('location') ?? '');
      expect(`${target.origin}${target.pathname}`).to.equal(RETURN_URL);
      expect([...target.searchParams.keys()]).to.deep.equal(['product', 'status', 'completion']);
      expect(target.searchParams.get('product')).to.equal(product);
      expect(target.searchParams.get('status')).to.equal('pending');
      // 256 random bits in base64url: at least the 128 the issue asks for.
      expect(completionOf(redirect)).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(h.fake.tokenGrants.authorizationCode, 'the code is redeemed at the callback').to.be.greaterThan(0);
      expect((await productsOf(flow.sessionToken))[product]?.connected).to.equal(false);
      expectError(await call(h.url(LISTING[product]), withSession(flow.sessionToken)), 403, 'not_connected');
    });

    it(`${product}: POST /auth/oauth/complete with the session token from start connects, with the JSON callback's body`, async () => {
      const { sessionToken, finish } = await connectWithCompletion(h, product);

      expect(finish.status, JSON.stringify(finish.body)).to.equal(200);
      expect(Object.keys(finish.body).sort()).to.deep.equal(['product', 'session_token', 'site', 'sites']);
      expect(finish.body).to.deep.include({ session_token: sessionToken, product });
      expect(finish.headers.get('x-session-token')).to.equal(sessionToken);
      expect(finish.body.site.url).to.equal(`https://${ACME}`);
      expect(finish.body.sites.map((site: { url: string }) => site.url)).to.include(`https://${ACME}`);
      expect((await productsOf(sessionToken))[product]?.connected).to.equal(true);
      expect((await call(h.url(LISTING[product]), withSession(sessionToken))).status).to.equal(200);
    });
  }

  it('adds the product to an existing session and keeps the other one', async () => {
    const sessionToken = await sessionWithToken(h, 'confluence');
    const { finish } = await connectWithCompletion(h, 'jira', sessionToken);
    expect(finish.status, JSON.stringify(finish.body)).to.equal(200);
    const products = await productsOf(sessionToken);
    expect(products['jira']?.connected).to.equal(true);
    expect(products['confluence']?.connected).to.equal(true);
  });

  describe('the hijacked sign-in link: the attacker starts, a colleague opens the auth_url and clicks Allow', () => {
    it("the colleague's browser finishes with its own session: 403 completion_session_mismatch, and nobody is connected", async () => {
      // Attacker: a session of their own and a flow whose auth_url they send to the colleague.
      const attacker = await startOAuthFlow(h, 'jira');
      // Colleague: signed in to Atlassian as themselves, with a session of their own on the frontend.
      h.fake.setConsent({ email: COLLEAGUE.email });
      const colleagueSession = (await startOAuthFlow(h, 'jira')).sessionToken;
      const redirect = await call((await consent(attacker.authUrl)).toString());
      const completion = completionOf(redirect);

      const finish = await finishOAuth(h, completion, colleagueSession);

      expectError(finish, 403, 'completion_session_mismatch');
      expect(finish.body.error.message).to.match(/started in another browser/);
      expect((await productsOf(attacker.sessionToken))['jira']?.connected, 'attacker').to.equal(false);
      expectError(await call(h.url('/jira/projects'), withSession(attacker.sessionToken)), 403, 'not_connected');
      expect((await productsOf(colleagueSession))['jira']?.connected, 'colleague').to.equal(false);
      // Burnt: even the attacker, should they learn the value, cannot use it afterwards.
      expectError(await finishOAuth(h, completion, attacker.sessionToken), 400, 'invalid_completion');
      expect((await productsOf(attacker.sessionToken))['jira']?.connected).to.equal(false);
    });

    it('the colleague has no session at all: 403 completion_session_mismatch, and the completion is burnt', async () => {
      const attacker = await startOAuthFlow(h, 'jira');
      h.fake.setConsent({ email: COLLEAGUE.email });
      const completion = completionOf(await call((await consent(attacker.authUrl)).toString()));

      expectError(await finishOAuth(h, completion), 403, 'completion_session_mismatch');

      expectError(await finishOAuth(h, completion, attacker.sessionToken), 400, 'invalid_completion');
      expectError(await call(h.url('/jira/projects'), withSession(attacker.sessionToken)), 403, 'not_connected');
    });
  });

  describe('refusals', () => {
    it('400 invalid_completion for a value used once already', async () => {
      const { sessionToken, completion, finish } = await connectWithCompletion(h, 'jira');
      expect(finish.status).to.equal(200);
      expectError(await finishOAuth(h, completion, sessionToken), 400, 'invalid_completion');
    });

    it('400 invalid_completion for a value never issued', async () => {
      const sessionToken = (await startOAuthFlow(h, 'jira')).sessionToken;
      expectError(await finishOAuth(h, 'A'.repeat(43), sessionToken), 400, 'invalid_completion');
    });

    it('400 validation_error for a missing, empty, non-string or over-long completion', async () => {
      const sessionToken = (await startOAuthFlow(h, 'jira')).sessionToken;
      for (const body of [{}, { completion: '' }, { completion: 42 }, { completion: 'x'.repeat(5000) }]) {
        const res = await call(h.url('/auth/oauth/complete'), withSession(sessionToken, {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
        }));
        expectError(res, 400, 'validation_error');
      }
    });

    it('415 unsupported_media_type for a body that is not JSON', async () => {
      const res = await call(h.url('/auth/oauth/complete'), { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'completion=x' });
      expectError(res, 415, 'unsupported_media_type');
    });

    it('401 invalid_session after a logout between the callback and the completion, and the session stays gone', async () => {
      const flow = await startOAuthFlow(h, 'jira');
      const completion = completionOf(await call((await consent(flow.authUrl)).toString()));
      expect((await call(h.url('/auth/session'), withSession(flow.sessionToken, { method: 'DELETE' }))).status).to.equal(204);

      expectError(await finishOAuth(h, completion, flow.sessionToken), 401, 'invalid_session');

      expectError(await call(h.url('/auth/session'), withSession(flow.sessionToken)), 401, 'invalid_session');
    });

    it('a callback failure still redirects with status=error&code=…, and no completion', async () => {
      h.fake.setConsent({ deny: true });
      const flow = await startOAuthFlow(h, 'jira');
      const redirect = await call((await consent(flow.authUrl)).toString());
      const target = new URL(redirect.headers.get('location') ?? '');
      expect(Object.fromEntries(target.searchParams)).to.deep.equal({ product: 'jira', status: 'error', code: 'oauth_denied' });
    });

    it('a logout before the callback redirects with code=invalid_session, without redeeming the code', async () => {
      const flow = await startOAuthFlow(h, 'jira');
      const back = await consent(flow.authUrl);
      await call(h.url('/auth/session'), withSession(flow.sessionToken, { method: 'DELETE' }));
      const redirect = await call(back.toString());
      const target = new URL(redirect.headers.get('location') ?? '');
      expect(Object.fromEntries(target.searchParams)).to.deep.equal({ product: 'jira', status: 'error', code: 'invalid_session' });
      expect(h.fake.countRequests({ path: '/oauth/token' })).to.equal(0);
      expectError(await call(h.url('/auth/session'), withSession(flow.sessionToken)), 401, 'invalid_session');
    });
  });
});

describe('OAuth completion expiry (OAUTH_COMPLETION_TTL_SECONDS=30, on a clock the test moves)', () => {
  let h: Harness;
  const clock = new FixedClock(Date.now());
  before(async () => { h = await startHarness({ OAUTH_RETURN_URL: RETURN_URL, OAUTH_COMPLETION_TTL_SECONDS: '30' }, {}, { clock }); });
  after(async () => { await h.close(); });

  it('finishes just before the TTL, and answers 400 invalid_completion once it has passed', async () => {
    const early = await startOAuthFlow(h, 'jira');
    const late = await startOAuthFlow(h, 'confluence');
    const earlyCompletion = completionOf(await call((await consent(early.authUrl)).toString()));
    const lateCompletion = completionOf(await call((await consent(late.authUrl)).toString()));

    clock.advance(29_999);
    expect((await finishOAuth(h, earlyCompletion, early.sessionToken)).status).to.equal(200);
    clock.advance(1);
    expectError(await finishOAuth(h, lateCompletion, late.sessionToken), 400, 'invalid_completion');
    expectError(await call(h.url('/confluence/spaces'), withSession(late.sessionToken)), 403, 'not_connected');
  });
});

describe('OAuth completion across two instances on one Redis', () => {
  const prefix = uniquePrefix('completion');
  let h: Harness;
  let other: RunningService;
  let redis: Redis;

  before(async function () {
    await requireRedis(this);
    const shared = { SESSION_STORE: 'redis', REDIS_URL, REDIS_KEY_PREFIX: prefix, SESSION_ENCRYPTION_KEY: randomBytes(32).toString('base64'), OAUTH_RETURN_URL: RETURN_URL };
    h = await startHarness(shared);
    // The second instance answers the same fake with the same settings, including the first one's callback URLs.
    other = await startService(() => ({ ...serviceEnv(h.fake, h.service.baseUrl), ...shared }));
    redis = new Redis(REDIS_URL);
  });
  after(async () => {
    await other?.close();
    await h?.close();
    if (redis !== undefined) {
      await deleteKeys(redis, prefix);
      redis.disconnect();
    }
  });

  it('the callback on one instance, the completion step on the other; a second try on the first is refused', async () => {
    const flow = await startOAuthFlow(h, 'jira');
    const completion = completionOf(await call((await consent(flow.authUrl)).toString()));
    const finish = (base: string) => call(`${base}/auth/oauth/complete`, withSession(flow.sessionToken, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ completion }),
    }));

    const onOther = await finish(other.baseUrl);
    expect(onOther.status, JSON.stringify(onOther.body)).to.equal(200);
    expectError(await finish(h.service.baseUrl), 400, 'invalid_completion');
    expect((await call(h.url('/jira/projects'), withSession(flow.sessionToken))).status).to.equal(200);
  });
});
