import type { Clock } from '../../application/ports/clock.js';
import type { QuotaBlocks } from './quota-blocks.js';

/** One process's blocks (SESSION_STORE=memory: there is no other instance to tell). */
export class InMemoryQuotaBlocks implements QuotaBlocks {
  private readonly blocks = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  async block(scope: string, until: number): Promise<void> {
    if (until <= this.clock.now()) return;
    this.blocks.set(scope, until);
  }

  async blockedUntil(scopes: readonly string[]): Promise<number | undefined> {
    const now = this.clock.now();
    let latest: number | undefined;
    for (const scope of scopes) {
      const until = this.blocks.get(scope);
      if (until === undefined) continue;
      // Expired entries are dropped when met: there are at most a few per OAuth app and tenant.
      if (until <= now) this.blocks.delete(scope);
      else if (latest === undefined || until > latest) latest = until;
    }
    return latest;
  }
}
