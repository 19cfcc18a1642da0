import { expect } from 'chai';
import type { SessionStore } from '../../src/application/ports/session-store.js';
import { resolve, TOKENS } from '../../src/composition-root.js';
import { sessionIdOf } from '../../src/domain/session-token.js';
import {
  call,
  connectWithOAuth,
  connectWithToken,
  consent,
  startHarness,
  startOAuthFlow,
  withSession,
  type Harness,
  resetFake,
} from '../support/harness.js';

const SESSION_TOKEN = /^[A-Za-z0-9_-]{43}$/;

describe('sessions', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });
  beforeEach(() => {
    resetFake(h.fake);
  });

  async function expectBothListings(token: string): Promise<void> {
    const projects = await call(h.url('/jira/projects'), withSession(token));
    expect(projects.status, JSON.stringify(projects.body).slice(0, 300)).to.equal(200);
    expect(projects.body.projects).to.be.an('array').that.is.not.empty;
    const spaces = await call(h.url('/confluence/spaces'), withSession(token));
    expect(spaces.status, JSON.stringify(spaces.body).slice(0, 300)).to.equal(200);
    expect(spaces.body.spaces).to.be.an('array').that.is.not.empty;
  }

  function store(): SessionStore {
    return resolve(h.service.container, TOKENS.sessionStore);
  }

  describe('one session holds Jira and Confluence side by side', () => {
    it('OAuth Jira, then API-token Confluence with the same X-Session-Token', async () => {
      const jira = await connectWithOAuth(h, 'jira');
      expect(jira.callback.status, JSON.stringify(jira.callback.body)).to.equal(200);
      const conf = await connectWithToken(h, 'confluence', undefined, jira.sessionToken);
      expect(conf.status, JSON.stringify(conf.body)).to.equal(200);
      expect(conf.body.session_token).to.equal(jira.sessionToken);
      expect(conf.headers.get('x-session-token')).to.equal(jira.sessionToken);
      await expectBothListings(jira.sessionToken);
    });

    it('API-token Confluence, then OAuth Jira started with that session', async () => {
      const conf = await connectWithToken(h, 'confluence');
      expect(conf.status, JSON.stringify(conf.body)).to.equal(200);
      const token = conf.body.session_token as string;
      const jira = await connectWithOAuth(h, 'jira', token);
      expect(jira.sessionToken).to.equal(token);
      expect(jira.callback.status, JSON.stringify(jira.callback.body)).to.equal(200);
      expect(jira.callback.body.session_token).to.equal(token);
      await expectBothListings(token);
    });

    it('API-token Jira, then OAuth Confluence started with that session', async () => {
      const jira = await connectWithToken(h, 'jira');
      expect(jira.status, JSON.stringify(jira.body)).to.equal(200);
      const token = jira.body.session_token as string;
      const conf = await connectWithOAuth(h, 'confluence', token);
      expect(conf.sessionToken).to.equal(token);
      expect(conf.callback.body.session_token).to.equal(token);
      await expectBothListings(token);
    });

    it('OAuth Confluence, then API-token Jira with the same X-Session-Token', async () => {
      const conf = await connectWithOAuth(h, 'confluence');
      expect(conf.callback.status, JSON.stringify(conf.callback.body)).to.equal(200);
      const jira = await connectWithToken(h, 'jira', undefined, conf.sessionToken);
      expect(jira.body.session_token).to.equal(conf.sessionToken);
      await expectBothListings(conf.sessionToken);
    });

    it('OAuth Jira and OAuth Confluence in one session', async () => {
      const jira = await connectWithOAuth(h, 'jira');
      const conf = await connectWithOAuth(h, 'confluence', jira.sessionToken);
      expect(conf.sessionToken).to.equal(jira.sessionToken);
      expect(conf.callback.body.session_token).to.equal(jira.sessionToken);
      await expectBothListings(jira.sessionToken);
    });

    it('API-token Jira and API-token Confluence in one session', async () => {
      const jira = await connectWithToken(h, 'jira');
      const token = jira.body.session_token as string;
      const conf = await connectWithToken(h, 'confluence', undefined, token);
      expect(conf.status, JSON.stringify(conf.body)).to.equal(200);
      expect(conf.body.session_token).to.equal(token);
      await expectBothListings(token);
    });

    it('two OAuth flows started in one session both land in it, whatever order they complete in', async () => {
      const jira = await startOAuthFlow(h, 'jira');
      const conf = await startOAuthFlow(h, 'confluence', jira.sessionToken);
      expect(conf.sessionToken).to.equal(jira.sessionToken);
      const confBack = await call((await consent(conf.authUrl)).toString());
      const jiraBack = await call((await consent(jira.authUrl)).toString());
      expect(confBack.body.session_token).to.equal(jira.sessionToken);
      expect(jiraBack.body.session_token).to.equal(jira.sessionToken);
      await expectBothListings(jira.sessionToken);
    });

    it('reconnecting one product leaves the other in place', async () => {
      const jira = await connectWithToken(h, 'jira', { email: 'ada@example.com', api_token: 'ada-api-token-0123456789', site: 'beta' });
      const token = jira.body.session_token as string;
      await connectWithToken(h, 'confluence', undefined, token);
      const again = await connectWithToken(h, 'jira', undefined, token);
      expect(again.body.session_token).to.equal(token);
      const projects = await call(h.url('/jira/projects'), withSession(token));
      expect(projects.body.total).to.equal(120); // now acme, no longer beta's 3
      const spaces = await call(h.url('/confluence/spaces'), withSession(token));
      expect(spaces.status).to.equal(200);
    });

    it('an API-token login with an unknown X-Session-Token makes a new session', async () => {
      for (const unknown of ['B'.repeat(43), 'stale-token']) {
        const res = await connectWithToken(h, 'jira', undefined, unknown);
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body.session_token).to.match(SESSION_TOKEN);
        expect(res.body.session_token).not.to.equal(unknown);
      }
    });

    it('sessions are independent: another session sees none of the first one\'s connections', async () => {
      const a = await connectWithToken(h, 'jira');
      const b = await connectWithToken(h, 'confluence');
      expect(a.body.session_token).not.to.equal(b.body.session_token);
      expect((await call(h.url('/confluence/spaces'), withSession(a.body.session_token))).status).to.equal(403);
      expect((await call(h.url('/jira/projects'), withSession(b.body.session_token))).status).to.equal(403);
    });
  });

  describe('session tokens', () => {
    it('are 256-bit base64url (43 characters) from every flow, and never repeat', async () => {
      const tokens = [
        (await startOAuthFlow(h, 'jira')).sessionToken,
        (await startOAuthFlow(h, 'confluence')).sessionToken,
        (await connectWithToken(h, 'jira')).body.session_token as string,
        (await connectWithToken(h, 'confluence')).body.session_token as string,
        (await connectWithOAuth(h, 'jira')).callback.body.session_token as string,
      ];
      for (const token of tokens) {
        expect(token).to.match(SESSION_TOKEN);
        expect(Buffer.from(token, 'base64url').length).to.equal(32);
      }
      expect(new Set(tokens).size).to.equal(tokens.length);
    });

    it('are not the store keys: the store holds the session under sessionIdOf(token) only', async () => {
      const jira = await connectWithOAuth(h, 'jira');
      const token = jira.sessionToken;
      const conf = await connectWithToken(h, 'confluence', undefined, token);
      expect(conf.body.session_token).to.equal(token);

      const sessions = store();
      expect(await sessions.get(token)).to.equal(undefined);
      const session = await sessions.get(sessionIdOf(token));
      expect(session).not.to.equal(undefined);
      expect(session!.id).not.to.equal(token);
      expect(Object.keys(session!.connections)).to.have.members(['jira', 'confluence']);
    });

    it('a session from OAuth start alone is stored under the hash as well', async () => {
      const { sessionToken } = await startOAuthFlow(h, 'confluence');
      expect(await store().get(sessionToken)).to.equal(undefined);
      expect(await store().get(sessionIdOf(sessionToken))).not.to.equal(undefined);
    });

    it('a session from an API-token login is stored under the hash as well', async () => {
      const login = await connectWithToken(h, 'jira');
      const token = login.body.session_token as string;
      expect(await store().get(token)).to.equal(undefined);
      expect(await store().get(sessionIdOf(token))).not.to.equal(undefined);
    });
  });
});
