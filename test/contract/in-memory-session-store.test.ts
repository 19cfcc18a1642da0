import { InMemorySessionStore } from '../../src/infrastructure/session/in-memory-session-store.js';
import { FixedClock } from '../support/port-fakes.js';
import { sessionStoreContract } from './session-store.contract.js';

sessionStoreContract('InMemorySessionStore', async () => {
  const clock = new FixedClock();
  const ttlSeconds = 60;
  return {
    store: new InMemorySessionStore(clock, ttlSeconds),
    clock,
    advance: async (ms: number) => clock.advance(ms),
    ttlSeconds,
  };
});
