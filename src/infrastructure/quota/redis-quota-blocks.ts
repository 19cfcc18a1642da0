import type { Redis } from 'ioredis';
import type { Clock } from '../../application/ports/clock.js';
import type { QuotaBlocks } from './quota-blocks.js';

/**
 * Blocks shared by every instance on one Redis, as Atlassian asks of apps that run on several nodes. One key per
 * scope holding the end of the block, expiring with it (`SET … PX`). The value is compared with the clock too, so
 * the block ends on the service's clock even where Redis's expiry lags.
 */
export class RedisQuotaBlocks implements QuotaBlocks {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly clock: Clock,
  ) {}

  async block(scope: string, until: number): Promise<void> {
    const ttlMs = Math.ceil(until - this.clock.now());
    if (ttlMs <= 0) return;
    await this.redis.set(this.key(scope), String(until), 'PX', ttlMs);
  }

  async blockedUntil(scopes: readonly string[]): Promise<number | undefined> {
    if (scopes.length === 0) return undefined;
    const values = await this.redis.mget(...scopes.map((scope) => this.key(scope)));
    const now = this.clock.now();
    const live = values.map(Number).filter((until) => Number.isFinite(until) && until > now);
    return live.length === 0 ? undefined : Math.max(...live);
  }

  private key(scope: string): string {
    return `${this.keyPrefix}quota-block:${scope}`;
  }
}
