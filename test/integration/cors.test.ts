import { expect } from 'chai';
import { call, connectWithToken, startHarness, withSession, type CallResult, type Harness } from '../support/harness.js';

const APP = 'http://app.test';
const OTHER = 'http://other.test';
const EVIL = 'http://evil.test';

function listHeader(res: CallResult, name: string): string[] {
  return (res.headers.get(name) ?? '').split(',').map((v) => v.trim().toLowerCase()).filter(Boolean);
}

function preflight(h: Harness, path: string, origin: string, method = 'GET', headers = 'x-session-token'): Promise<CallResult> {
  return call(h.url(path), {
    method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': headers },
  });
}

describe('CORS (FRONTEND_ORIGIN=http://app.test,http://other.test)', () => {
  let h: Harness;
  before(async () => { h = await startHarness({ FRONTEND_ORIGIN: `${APP},${OTHER}` }); });
  after(async () => { await h.close(); });

  for (const origin of [APP, OTHER]) {
    it(`preflight from ${origin} for GET /jira/projects with x-session-token → 204 allowing it`, async () => {
      const res = await preflight(h, '/jira/projects', origin);
      expect(res.status).to.equal(204);
      expect(res.headers.get('access-control-allow-origin')).to.equal(origin);
      expect(listHeader(res, 'access-control-allow-headers')).to.include('x-session-token');
      expect(listHeader(res, 'access-control-allow-methods')).to.include('get');
      expect(listHeader(res, 'vary')).to.include('origin');
    });
  }

  it('preflight for the API-token login (POST, JSON) is allowed', async () => {
    const res = await preflight(h, '/auth/confluence/api-token', APP, 'POST', 'content-type,x-session-token');
    expect(res.status).to.equal(204);
    expect(res.headers.get('access-control-allow-origin')).to.equal(APP);
    expect(listHeader(res, 'access-control-allow-headers')).to.include.members(['content-type', 'x-session-token']);
    expect(listHeader(res, 'access-control-allow-methods')).to.include('post');
  });

  it('a GET from an allowed origin exposes X-Session-Token', async () => {
    const start = await call(h.url('/auth/jira/oauth/start'), { headers: { Origin: APP } });
    expect(start.status, JSON.stringify(start.body)).to.equal(200);
    expect(start.headers.get('access-control-allow-origin')).to.equal(APP);
    expect(listHeader(start, 'access-control-expose-headers')).to.include('x-session-token');
    expect(start.headers.get('x-session-token')).to.be.a('string');
  });

  it('a frontend may send Cache-Control (no-cache) on a listing and read its Age and X-Listing-Stale', async () => {
    const res = await preflight(h, '/jira/projects', APP, 'GET', 'x-session-token, cache-control');
    expect(res.status).to.equal(204);
    expect(listHeader(res, 'access-control-allow-headers')).to.include('cache-control');
    const login = await connectWithToken(h, 'jira');
    const ok = await call(h.url('/jira/projects'), withSession(login.body.session_token, { headers: { Origin: APP } }));
    expect(listHeader(ok, 'access-control-expose-headers')).to.include.members(['age', 'x-listing-stale']);
  });

  it('a listing from an allowed origin carries the CORS headers, on success and on error', async () => {
    const login = await connectWithToken(h, 'jira');
    expect(login.status, JSON.stringify(login.body)).to.equal(200);
    const ok = await call(h.url('/jira/projects'), withSession(login.body.session_token, { headers: { Origin: APP } }));
    expect(ok.status).to.equal(200);
    expect(ok.headers.get('access-control-allow-origin')).to.equal(APP);
    expect(listHeader(ok, 'access-control-expose-headers')).to.include('x-session-token');
    // Without CORS headers on errors the browser would hide the error body from the frontend.
    const err = await call(h.url('/jira/projects'), { headers: { Origin: APP } });
    expect(err.status).to.equal(401);
    expect(err.headers.get('access-control-allow-origin')).to.equal(APP);
  });

  it('an origin not in the list gets no Access-Control-Allow-Origin (preflight or request)', async () => {
    const pre = await preflight(h, '/jira/projects', EVIL);
    expect(pre.headers.get('access-control-allow-origin')).to.equal(null);
    expect(pre.headers.get('access-control-allow-headers')).to.equal(null);
    const get = await call(h.url('/'), { headers: { Origin: EVIL } });
    expect(get.headers.get('access-control-allow-origin')).to.equal(null);
    expect(get.headers.get('access-control-expose-headers')).to.equal(null);
    // A look-alike of an allowed origin is another origin.
    for (const lookalike of ['http://app.test.evil.test', 'https://app.test', 'http://app.test:8080', 'null']) {
      const res = await call(h.url('/'), { headers: { Origin: lookalike } });
      expect(res.headers.get('access-control-allow-origin'), lookalike).to.equal(null);
    }
  });

  it('a request without Origin is served normally, without CORS headers', async () => {
    const res = await call(h.url('/'));
    expect(res.status).to.equal(200);
    expect(res.headers.get('access-control-allow-origin')).to.equal(null);
  });
});
