import { expect } from 'chai';
import fc from 'fast-check';
import { ListProjects } from '../../src/application/use-cases/list-projects.js';
import { DisconnectProduct } from '../../src/application/use-cases/disconnect-product.js';
import { EndSession } from '../../src/application/use-cases/end-session.js';
import { AppError } from '../../src/domain/errors.js';
import type { Project } from '../../src/domain/listing.js';
import { sessionIdOf } from '../../src/domain/session-token.js';
import { InMemoryListingCache } from '../../src/infrastructure/listing-cache/in-memory-listing-cache.js';
import { InMemorySessionStore } from '../../src/infrastructure/session/in-memory-session-store.js';
import { apiTokenConnection } from '../support/connections.js';
import { FixedClock, makeCachedListings, makeConnectionAccess, SequenceTokenGenerator, stubJiraGateway } from '../support/port-fakes.js';

const SITES = ['https://acme.atlassian.net', 'https://beta.atlassian.net'];

type Op =
  | { kind: 'list'; session: number; fresh: boolean }
  | { kind: 'connect'; session: number; site: number; email: number }
  | { kind: 'disconnect'; session: number }
  | { kind: 'logout'; session: number }
  | { kind: 'wait'; ms: number };

const SESSIONS = 4;
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('list' as const), session: fc.nat(SESSIONS - 1), fresh: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({
      kind: fc.constant('connect' as const),
      session: fc.nat(SESSIONS - 1),
      site: fc.nat(1),
      email: fc.nat(2),
    }), },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('disconnect' as const), session: fc.nat(SESSIONS - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('logout' as const), session: fc.nat(SESSIONS - 1) }) },
  // Waits within the TTL, within the stale window and past both.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.oneof(fc.integer({ min: 0, max: 70_000 }), fc.integer({ min: 0, max: 900_000 })) }) },
);

/**
 * Whatever sessions do (connect to any site as any of a few accounts, reconnect, disconnect, log out, wait through
 * TTLs and stale windows), a listing answer is always the one Atlassian gives the session's current connection.
 * The fake Atlassian names each listing after the credentials and site it was read with, and the same account
 * on the same site is shared between sessions, so a listing served across sessions or connections shows.
 */
describe('listing cache isolation (property)', () => {
  it('random sessions and connections never receive a listing of another', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 40, size: 'max' }), async (ops) => {
        const clock = new FixedClock();
        const store = new InMemorySessionStore(clock, 10 * 86_400);
        const tokens = new SequenceTokenGenerator();
        const cache = new InMemoryListingCache(clock, 1024 * 1024);
        const jira = stubJiraGateway();
        let reads = 0;
        // Each read is distinguishable: who, where, and which read it was.
        jira.listProjects.callsFake(async (credentials, siteUrl) => {
          const who = credentials.kind === 'api_token' ? credentials.email : 'oauth';
          return [{ id: String(++reads), key: 'K', name: `${who}@${siteUrl}` }] satisfies Project[];
        });
        const { listings } = makeCachedListings(store, clock, makeConnectionAccess(store, clock).access, {}, cache);
        const list = new ListProjects(listings, jira);
        const disconnect = new DisconnectProduct(store, cache);
        const logout = new EndSession(store, cache);
        const sessionTokens = Array.from({ length: SESSIONS }, () => tokens.sessionToken());
        /** What each session is connected to now (undefined: nothing). */
        const current: ({ name: string } | undefined)[] = sessionTokens.map(() => undefined);
        // Stores make versions random; here each session counts its own (v1, v2, …), so sessions share versions and
        // the key cannot lean on a version being unique across sessions. Within one session every write changes it.
        const writes = sessionTokens.map(() => 0);

        for (const step of ops) {
          if (step.kind === 'wait') {
            clock.advance(step.ms);
            continue;
          }
          const token = sessionTokens[step.session]!;
          const id = sessionIdOf(token);
          if (step.kind === 'connect') {
            if ((await store.get(id)) === undefined) await store.create(id);
            const email = `user${step.email}@example.com`;
            const site = SITES[step.site]!;
            const version = `v${++writes[step.session]!}`;
            await store.putConnection(id, apiTokenConnection('jira', { email, site: { url: site }, version }));
            current[step.session] = { name: `${email}@${site}` };
          } else if (step.kind === 'disconnect' || step.kind === 'logout') {
            try {
              if (step.kind === 'disconnect') await disconnect.execute({ sessionToken: token, product: 'jira' });
              else await logout.execute({ sessionToken: token });
            } catch (error) {
              if (!(error instanceof AppError) || error.code !== 'invalid_session') throw error;
            }
            current[step.session] = undefined;
          } else {
            let answer: Awaited<ReturnType<ListProjects['execute']>> | undefined;
            try {
              answer = await list.execute({ sessionToken: token, fresh: step.fresh });
            } catch (error) {
              if (!(error instanceof AppError) || !['invalid_session', 'not_connected'].includes(error.code)) throw error;
            }
            const expected = current[step.session];
            if (expected === undefined) {
              expect(answer, 'a listing for a session without a connection').to.equal(undefined);
            } else {
              expect(answer?.projects.map((p) => p.name)).to.deep.equal([expected.name]);
            }
          }
          // Background refreshes finish before the next step, as they would between two user actions.
          await new Promise((resolve) => setImmediate(resolve));
        }
      }),
      { numRuns: 150, seed: 4242 },
    );
  });
});
