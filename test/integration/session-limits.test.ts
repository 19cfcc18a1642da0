import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { resolve, TOKENS } from '../../src/composition-root.js';
import type { InMemorySessionStore } from '../../src/infrastructure/session/in-memory-session-store.js';
import { call, connectWithToken, consent, expectError, startHarness, startOAuthFlow, withSession, type Harness } from '../support/harness.js';
import { FixedClock } from '../support/port-fakes.js';
import { deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../support/redis.js';

const MINUTE = 60_000;

/**
 * Issue 11, session-store points over real HTTP: a flow completed after logout stays logged out (9), sessions
 * end at SESSION_MAX_AGE_SECONDS however active (11), and anonymous starts cost little and not for long (6).
 * The service reads a clock the tests move; nothing sleeps for an expiry.
 */
for (const kind of ['memory', 'redis'] as const) {
  describe(`session limits over HTTP (SESSION_STORE=${kind})`, () => {
    let h: Harness;
    let clock: FixedClock;
    const prefix = uniquePrefix('limits');

    before(async function () {
      if (kind === 'redis') await requireRedis(this);
      clock = new FixedClock();
      const store: Record<string, string> =
        kind === 'redis'
          ? { SESSION_STORE: 'redis', REDIS_URL, REDIS_KEY_PREFIX: prefix, SESSION_ENCRYPTION_KEY: randomBytes(32).toString('base64') }
          : { MEMORY_STORE_MAX_SESSIONS: '20' };
      h = await startHarness(
        {
          ...store,
          SESSION_TTL_SECONDS: '3600',
          SESSION_MAX_AGE_SECONDS: '10800',
          OAUTH_STATE_TTL_SECONDS: '600',
          OAUTH_COMPLETION_TTL_SECONDS: '120',
        },
        {},
        { clock },
      );
    });
    after(async () => {
      if (h === undefined) return;
      await h.close();
      if (kind === 'redis') {
        const client = new Redis(REDIS_URL);
        await deleteKeys(client, prefix);
        client.disconnect();
      }
    });

    describe('logout sticks (point 9)', () => {
      it('an OAuth flow completed after logout does not bring the session back', async () => {
        const flow = await startOAuthFlow(h, 'jira');
        const callback = await consent(flow.authUrl);
        expect((await call(h.url('/auth/session'), withSession(flow.sessionToken, { method: 'DELETE' }))).status).to.equal(204);

        await call(h.url(`${callback.pathname}${callback.search}`));

        expectError(await call(h.url('/auth/session'), withSession(flow.sessionToken)), 401, 'invalid_session');
        expectError(await call(h.url('/jira/projects'), withSession(flow.sessionToken)), 401, 'invalid_session');
      });

      it('… also when the logged-out session held another product', async () => {
        const login = await connectWithToken(h, 'confluence');
        const token = login.body.session_token as string;
        const flow = await startOAuthFlow(h, 'jira', token);
        const callback = await consent(flow.authUrl);
        expect((await call(h.url('/auth/session'), withSession(token, { method: 'DELETE' }))).status).to.equal(204);

        await call(h.url(`${callback.pathname}${callback.search}`));

        expectError(await call(h.url('/auth/session'), withSession(token)), 401, 'invalid_session');
        expectError(await call(h.url('/confluence/spaces'), withSession(token)), 401, 'invalid_session');
      });
    });

    describe('sessions with an end (point 11)', () => {
      it('a session used every 50 minutes answers until SESSION_MAX_AGE_SECONDS, then 401 invalid_session', async () => {
        const login = await connectWithToken(h, 'jira');
        expect(login.status, JSON.stringify(login.body)).to.equal(200);
        const token = login.body.session_token as string;
        const first = await call(h.url('/auth/session'), withSession(token));
        const createdAt = Date.parse(first.body.created_at);
        const endsAt = createdAt + 10_800_000;
        expect(Date.parse(first.body.ends_at)).to.equal(endsAt);
        expect(Date.parse(first.body.expires_at)).to.be.closeTo(clock.now() + 3_600_000, 1_000);

        let last = first;
        while (clock.now() + 50 * MINUTE < endsAt) {
          clock.advance(50 * MINUTE);
          last = await call(h.url('/auth/session'), withSession(token));
          expect(last.status, `at ${new Date(clock.now()).toISOString()}`).to.equal(200);
          expect(Date.parse(last.body.expires_at)).to.be.at.most(endsAt);
          expect((await call(h.url('/jira/projects'), withSession(token))).status).to.equal(200);
        }
        // Within an idle TTL of the end, the session shows the end as its expiry.
        expect(Date.parse(last.body.expires_at)).to.be.closeTo(endsAt, 1_000);

        clock.set(endsAt);
        expectError(await call(h.url('/auth/session'), withSession(token)), 401, 'invalid_session');
        expectError(await call(h.url('/jira/projects'), withSession(token)), 401, 'invalid_session');
      });
    });

    if (kind === 'memory') {
      describe('anonymous starts (point 6, store part)', () => {
        it('a session made by oauth/start lives OAUTH_STATE_TTL + OAUTH_COMPLETION_TTL, and reading it does not extend it', async () => {
          const flow = await startOAuthFlow(h, 'jira');
          const startedAt = clock.now();

          clock.advance(700_000);
          const read = await call(h.url('/auth/session'), withSession(flow.sessionToken));
          expect(read.status).to.equal(200);
          expect(Date.parse(read.body.expires_at)).to.equal(startedAt + 720_000);
          clock.advance(20_001);

          expectError(await call(h.url('/auth/session'), withSession(flow.sessionToken)), 401, 'invalid_session');
        });

        it('once connected, the same session gets the idle TTL', async () => {
          const flow = await startOAuthFlow(h, 'jira');
          const callback = await consent(flow.authUrl);
          expect((await call(h.url(`${callback.pathname}${callback.search}`))).status).to.equal(200);

          clock.advance(30 * MINUTE);

          expect((await call(h.url('/jira/projects'), withSession(flow.sessionToken))).status).to.equal(200);
        });

        it('MEMORY_STORE_MAX_SESSIONS=20: 200 anonymous starts hold at most 20 sessions and evict no connected one', async () => {
          const login = await connectWithToken(h, 'jira');
          const token = login.body.session_token as string;

          for (let i = 0; i < 200; i++) await startOAuthFlow(h, 'confluence');

          const store = resolve(h.service.container, TOKENS.sessionStore) as InMemorySessionStore;
          expect(store.size).to.be.at.most(20);
          expect((await call(h.url('/jira/projects'), withSession(token))).status).to.equal(200);
        });
      });
    }
  });
}
