import { expect } from 'chai';
import {
  ACME,
  BETA,
  USER,
  call,
  connectWithToken,
  expectError,
  startHarness,
  withSession,
  type CallResult,
  type Harness,
} from '../support/harness.js';

const PRODUCTS = ['jira', 'confluence'] as const;
const SESSION_TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** The identity call each product's login checks the credentials with, on the site host. */
const VERIFY_PATH = { jira: '/rest/api/3/myself', confluence: '/wiki/rest/api/user/current' } as const;
const ONLY_BETA = { email: 'beta-only@example.com', apiToken: 'beta-only-token-0123456789' } as const;

function postRaw(h: Harness, product: string, body: string, contentType = 'application/json'): Promise<CallResult> {
  return call(h.url(`/auth/${product}/api-token`), { method: 'POST', headers: { 'Content-Type': contentType }, body });
}

/** A failed login leaves no session behind: no header, no token in the body. */
function expectNoSessionIssued(res: CallResult): void {
  expect(res.headers.get('x-session-token'), 'X-Session-Token on a failed login').to.equal(null);
  expect(res.body?.session_token, 'session_token on a failed login').to.equal(undefined);
}

describe('API-token sign-in', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    h.fake.addUser({ email: ONLY_BETA.email, apiToken: ONLY_BETA.apiToken, sites: [BETA] });
  });
  after(async () => { await h.close(); });
  beforeEach(() => {
    h.fake.clearFaults();
    h.fake.clearRequests();
  });

  for (const product of PRODUCTS) {
    describe(product, () => {
      for (const site of ['acme', 'acme.atlassian.net', 'https://acme.atlassian.net/', 'https://acme.atlassian.net', 'ACME.atlassian.net']) {
        it(`accepts site "${site}" → https://acme.atlassian.net`, async () => {
          const res = await connectWithToken(h, product, { email: USER.email, api_token: USER.apiToken, site });
          expect(res.status, JSON.stringify(res.body)).to.equal(200);
          expect(res.body).to.deep.equal({
            session_token: res.body.session_token,
            product,
            site: { url: 'https://acme.atlassian.net' },
          });
          expect(res.body.session_token).to.match(SESSION_TOKEN);
          expect(res.headers.get('x-session-token')).to.equal(res.body.session_token);
        });
      }

      it('checks the credentials against Atlassian with Basic auth on the site, before answering', async () => {
        const res = await connectWithToken(h, product);
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        const checks = h.fake.requests.filter((r) => r.path === `/site/${ACME}${VERIFY_PATH[product]}`);
        expect(checks).to.have.length(1);
        expect(checks[0]!.authKind).to.equal('basic');
        const expected = `Basic ${Buffer.from(`${USER.email}:${USER.apiToken}`).toString('base64')}`;
        expect(checks[0]!.headers['authorization']).to.equal(expected);
      });

      it('the connection it made works: the listing answers 200', async () => {
        const res = await connectWithToken(h, product, { email: USER.email, api_token: USER.apiToken, site: 'beta' });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body.site).to.deep.equal({ url: 'https://beta.atlassian.net' });
        const listing = await call(h.url(product === 'jira' ? '/jira/projects' : '/confluence/spaces'), withSession(res.body.session_token));
        expect(listing.status, JSON.stringify(listing.body)).to.equal(200);
        expect(listing.body.total).to.equal(product === 'jira' ? 3 : 2);
      });

      describe('400 validation_error naming the failing fields, before anything leaves the service', () => {
        const cases: { name: string; body: unknown; fields: string[] }[] = [
          { name: 'a malformed email', body: { email: 'not-an-email', api_token: USER.apiToken, site: 'acme' }, fields: ['email'] },
          { name: 'a missing api_token', body: { email: USER.email, site: 'acme' }, fields: ['api_token'] },
          { name: 'an empty api_token', body: { email: USER.email, api_token: '', site: 'acme' }, fields: ['api_token'] },
          { name: 'a missing email', body: { api_token: USER.apiToken, site: 'acme' }, fields: ['email'] },
          { name: 'an empty object', body: {}, fields: ['email', 'api_token'] },
          { name: 'wrong types', body: { email: 42, api_token: true, site: ['acme'] }, fields: ['email', 'api_token', 'site'] },
          { name: 'null fields', body: { email: null, api_token: null }, fields: ['email', 'api_token'] },
        ];
        for (const c of cases) {
          it(c.name, async () => {
            const res = await postRaw(h, product, JSON.stringify(c.body));
            expectError(res, 400, 'validation_error');
            for (const field of c.fields) expect(res.body.error.message, JSON.stringify(res.body)).to.include(field);
            expectNoSessionIssued(res);
            expect(h.fake.requests).to.have.length(0);
          });
        }

        /** Posts each raw body; every answer must be a 400 validation_error whose message matches `says`. */
        async function expectAllRefused(bodies: string[], says: RegExp): Promise<void> {
          const wrong: string[] = [];
          for (const text of bodies) {
            const res = await postRaw(h, product, text);
            expectError(res, 400, 'validation_error');
            expectNoSessionIssued(res);
            if (!says.test(res.body.error.message)) wrong.push(`${text} → ${JSON.stringify(res.body.error.message)}`);
          }
          expect(wrong, `messages that do not say what is wrong (want ${String(says)})`).to.deep.equal([]);
          expect(h.fake.requests).to.have.length(0);
        }

        it('non-object JSON ([], "text", 42, true, null): the message says the body must be an object', async () => {
          await expectAllRefused(['[]', '[{"email":"ada@example.com"}]', '"ada@example.com"', '42', 'true', 'null'], /body|object|JSON/i);
        });

        it('invalid JSON text: the message says the body is not valid JSON', async () => {
          await expectAllRefused(['{bad', '{"email": "ada@example.com",}', "{'email':'ada@example.com'}"], /JSON/i);
        });
      });

      describe('400 invalid_site, and no request leaves the service', () => {
        const refused: [string, string][] = [
          ['another domain', 'evil.com'],
          ['another domain that embeds the site', 'acme.atlassian.net.evil.com'],
          ['a subdomain of another domain', 'acme.evil.com'],
          ['an https URL of another domain', 'https://evil.com'],
          ['an IPv4 address', '127.0.0.1'],
          ['a metadata IP', '169.254.169.254'],
          ['an IPv6 address', '[::1]'],
          ['a port', 'acme.atlassian.net:8443'],
          ['a port on an URL', 'https://acme.atlassian.net:443'],
          ['a path', 'acme.atlassian.net/wiki'],
          ['a path on an URL', 'https://acme.atlassian.net/wiki'],
          ['a query', 'https://acme.atlassian.net/?x=1'],
          ['userinfo', 'https://user:pass@acme.atlassian.net'],
          ['userinfo before another host', 'acme.atlassian.net@evil.com'],
          ['leading whitespace', ' acme'],
          ['trailing newline', 'acme\n'],
          ['inner whitespace', 'ac me'],
          ['the empty string', ''],
        ];
        for (const [what, site] of refused) {
          it(`${what}: ${JSON.stringify(site)}`, async () => {
            const before = h.fake.requests.length;
            const res = await connectWithToken(h, product, { email: USER.email, api_token: USER.apiToken, site });
            expectError(res, 400, 'invalid_site');
            expectNoSessionIssued(res);
            expect(h.fake.requests.length).to.equal(before);
          });
        }
      });

      it('with no site and no ATLASSIAN_DEFAULT_SITE: 400 validation_error naming site', async () => {
        const res = await connectWithToken(h, product, { email: USER.email, api_token: USER.apiToken });
        expectError(res, 400, 'validation_error');
        expect(res.body.error.message).to.include('site');
        expectNoSessionIssued(res);
        expect(h.fake.requests).to.have.length(0);
      });

      describe('401 invalid_credentials, checked against Atlassian before any session exists', () => {
        it('a wrong API token', async () => {
          const res = await connectWithToken(h, product, { email: USER.email, api_token: 'wrong-token-0123456789', site: 'acme' });
          expectError(res, 401, 'invalid_credentials');
          expect(res.body.error.site, 'the site that refused, for the client to name').to.equal(ACME);
          expectNoSessionIssued(res);
          expect(h.fake.countRequests({ path: `/site/${ACME}${VERIFY_PATH[product]}` })).to.equal(1);
        });

        it('an unknown email', async () => {
          const res = await connectWithToken(h, product, { email: 'nobody@example.com', api_token: USER.apiToken, site: 'acme' });
          expectError(res, 401, 'invalid_credentials');
          expectNoSessionIssued(res);
        });

        it('a user with no access to that site', async () => {
          const res = await connectWithToken(h, product, { email: ONLY_BETA.email, api_token: ONLY_BETA.apiToken, site: 'acme' });
          expectError(res, 401, 'invalid_credentials');
          expectNoSessionIssued(res);
          // The same credentials are fine on the site the user can reach.
          const ok = await connectWithToken(h, product, { email: ONLY_BETA.email, api_token: ONLY_BETA.apiToken, site: 'beta' });
          expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
        });

        it('a failed login leaves an existing session untouched and issues no token', async () => {
          const good = await connectWithToken(h, product);
          expect(good.status, JSON.stringify(good.body)).to.equal(200);
          const token = good.body.session_token as string;
          const bad = await connectWithToken(h, product, { email: USER.email, api_token: 'wrong-token-0123456789', site: 'beta' }, token);
          expectError(bad, 401, 'invalid_credentials');
          expectNoSessionIssued(bad);
          // Still connected to acme with the good credentials.
          const listing = await call(h.url(product === 'jira' ? '/jira/projects' : '/confluence/spaces'), withSession(token));
          expect(listing.status, JSON.stringify(listing.body)).to.equal(200);
          expect(listing.body.total).to.equal(product === 'jira' ? 120 : 60);
        });
      });

      it('never echoes the API token in an answer', async () => {
        const secret = 'very-secret-token-do-not-echo';
        const res = await connectWithToken(h, product, { email: USER.email, api_token: secret, site: 'acme' });
        expectError(res, 401, 'invalid_credentials');
        expect(JSON.stringify(res.body)).not.to.include(secret);
        const invalid = await connectWithToken(h, product, { email: 'bad', api_token: secret, site: 'acme' });
        expectError(invalid, 400, 'validation_error');
        expect(JSON.stringify(invalid.body)).not.to.include(secret);
      });
    });
  }
});

describe('API-token sign-in with ATLASSIAN_DEFAULT_SITE=acme', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ ATLASSIAN_DEFAULT_SITE: 'acme' }); });
  after(async () => { await h.close(); });
  beforeEach(() => { h.fake.clearRequests(); });

  for (const product of PRODUCTS) {
    it(`${product}: no site → the default site`, async () => {
      const res = await connectWithToken(h, product, { email: USER.email, api_token: USER.apiToken });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.site).to.deep.equal({ url: 'https://acme.atlassian.net' });
      expect(h.fake.countRequests({ path: `/site/${ACME}${VERIFY_PATH[product]}` })).to.equal(1);
    });

    it(`${product}: an explicit site wins over the default`, async () => {
      const res = await connectWithToken(h, product, { email: USER.email, api_token: USER.apiToken, site: 'beta' });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.site).to.deep.equal({ url: 'https://beta.atlassian.net' });
    });

    it(`${product}: an explicit invalid site is still refused`, async () => {
      const res = await connectWithToken(h, product, { email: USER.email, api_token: USER.apiToken, site: 'evil.com' });
      expectError(res, 400, 'invalid_site');
      expect(h.fake.requests).to.have.length(0);
    });
  }
});
