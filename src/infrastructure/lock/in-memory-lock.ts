import type { Clock } from '../../application/ports/clock.js';
import type { Lock } from '../../application/ports/lock.js';

/** Leases within one process: enough when the sessions themselves live in this process. */
export class InMemoryLock implements Lock {
  private readonly held = new Map<string, { owner: symbol; until: number }>();

  constructor(private readonly clock: Clock) {}

  async tryAcquire(name: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const now = this.clock.now();
    const current = this.held.get(name);
    if (current !== undefined && current.until > now) return undefined;
    const owner = Symbol(name);
    this.held.set(name, { owner, until: now + ttlMs });
    return async () => {
      if (this.held.get(name)?.owner === owner) this.held.delete(name);
    };
  }
}
