import type { RedisArg, RedisConnection, RedisConnectionOptions, RedisScript } from './redis-api.js';
import type { RedisTopology, RedisTopologyConfig } from './redis-topology.js';

export { redisScript } from './redis-api.js';
export type { RedisArg, RedisConnection, RedisConnectionOptions, RedisScript } from './redis-api.js';

export type { RedisTopology, RedisTopologyConfig } from './redis-topology.js';

/**
 * A connection to the topology, not yet connected (`connect()` does that). node-redis itself (about 0.4 s of module
 * loading) is imported here, on first use, so an instance on another store never loads it.
 */
export function createRedisConnection(topology: RedisTopologyConfig, options: RedisConnectionOptions): RedisConnection {
  return new DeferredRedisConnection(topology, options);
}

class DeferredRedisConnection implements RedisConnection {
  private inner: RedisConnection | undefined;
  private readonly loading: Promise<RedisConnection>;

  constructor(
    private readonly config: RedisTopologyConfig,
    options: RedisConnectionOptions,
  ) {
    this.loading = import('./node-redis-connection.js').then(({ NodeRedisConnection }) => (this.inner = new NodeRedisConnection(config, options)));
  }

  get topology(): RedisTopology {
    return this.config.kind;
  }

  get isReady(): boolean {
    return this.inner?.isReady ?? false;
  }

  private async connection(): Promise<RedisConnection> {
    return this.inner ?? (await this.loading);
  }

  async command<T>(key: string | undefined, args: readonly RedisArg[]): Promise<T> {
    return (await this.connection()).command<T>(key, args);
  }

  async eval<T>(script: RedisScript, keys: readonly string[], args: readonly RedisArg[]): Promise<T> {
    return (await this.connection()).eval<T>(script, keys, args);
  }

  async waitForReplicas(key: string, replicas: number, timeoutMs: number): Promise<{ wanted: number; acknowledged: number }> {
    return (await this.connection()).waitForReplicas(key, replicas, timeoutMs);
  }

  async connect(): Promise<void> {
    await (await this.connection()).connect();
  }

  async ping(): Promise<void> {
    await (await this.connection()).ping();
  }

  async close(): Promise<void> {
    await (await this.connection()).close();
  }
}
