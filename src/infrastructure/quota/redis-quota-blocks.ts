import type { Clock } from '../../application/ports/clock.js';
import type { RedisConnection } from '../redis/redis-connection.js';
import type { QuotaBlocks } from './quota-blocks.js';

/**
 * Blocks shared by every instance on one Redis, as Atlassian asks of apps that run on several nodes. One key per
 * scope holding the end of the block, expiring with it (`SET … PX`). The value is compared with the clock too, so
 * the block ends on the service's clock even where Redis's expiry lags.
 */
export class RedisQuotaBlocks implements QuotaBlocks {
  constructor(
    private readonly redis: RedisConnection,
    private readonly keyPrefix: string,
    private readonly clock: Clock,
  ) {}

  async block(scope: string, until: number): Promise<void> {
    const ttlMs = Math.ceil(until - this.clock.now());
    if (ttlMs <= 0) return;
    const key = this.key(scope);
    await this.redis.command(key, ['SET', key, String(until), 'PX', ttlMs]);
  }

  async blockedUntil(scopes: readonly string[]): Promise<number | undefined> {
    if (scopes.length === 0) return undefined;
    // One GET per scope, in parallel: the scopes' keys may sit in different Cluster slots, which MGET refuses.
    const values = await Promise.all(scopes.map((scope) => this.key(scope)).map((key) => this.redis.command<string | null>(key, ['GET', key])));
    const now = this.clock.now();
    const live = values.map(Number).filter((until) => Number.isFinite(until) && until > now);
    return live.length === 0 ? undefined : Math.max(...live);
  }

  private key(scope: string): string {
    return `${this.keyPrefix}quota-block:${scope}`;
  }
}
