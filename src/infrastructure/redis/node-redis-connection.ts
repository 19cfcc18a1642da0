import { createClient, createCluster, createSentinel } from 'redis';
import type { RedisArg, RedisConnection, RedisConnectionOptions, RedisScript } from './redis-api.js';
import type { RedisTopology, RedisTopologyConfig } from './redis-topology.js';

/** What the three node-redis clients have in common that we use. */
interface Driver {
  send(key: string | undefined, args: string[], timeout: number): Promise<unknown>;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  close(): Promise<unknown>;
  destroy(): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** Never more than this between reconnect attempts: a failover is over within seconds, so check often. */
const MAX_RECONNECT_DELAY_MS = 1_000;
const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), MAX_RECONNECT_DELAY_MS);

function driverFor(topology: RedisTopologyConfig, options: RedisConnectionOptions): Driver {
  const socket = { connectTimeout: options.connectTimeoutMs ?? 5_000, reconnectStrategy };
  const commandOptions = { timeout: options.commandTimeoutMs };
  switch (topology.kind) {
    case 'single': {
      const client = createClient({ url: topology.url, socket, commandOptions, RESP: 2 });
      return {
        send: (_key, args, timeout) => client.sendCommand(args, { timeout }),
        get isReady() {
          return client.isReady;
        },
        connect: () => client.connect(),
        close: () => client.close(),
        destroy: () => client.destroy(),
        on: (event, listener) => client.on(event, listener),
      };
    }
    case 'sentinel': {
      const auth = (password: string | undefined) => (password === undefined ? {} : { password });
      const sentinel = createSentinel({
        name: topology.name,
        sentinelRootNodes: topology.sentinels.map(({ host, port }) => ({ host, port })),
        nodeClientOptions: { socket, ...auth(topology.password) },
        sentinelClientOptions: { socket, ...auth(topology.sentinelPassword) },
        // One connection to the primary: WAIT counts the writes of the connection it is sent on.
        masterPoolSize: 1,
        // Ask the sentinels for the primary every second (node-redis's default is 10 s), besides their +switch-master
        // notice: a notice missed while the client reconnects would otherwise leave it on the dead primary that long.
        scanInterval: 1_000,
        RESP: 2,
      });
      return {
        send: (_key, args, timeout) => sentinel.sendCommand(false, args, { timeout }),
        get isReady() {
          return sentinel.isReady;
        },
        connect: () => sentinel.connect(),
        close: () => sentinel.close(),
        destroy: () => sentinel.destroy(),
        on: (event, listener) => sentinel.on(event, listener),
      };
    }
    case 'cluster': {
      const cluster = createCluster({
        rootNodes: topology.nodes.map(({ host, port }) => ({ socket: { host, port } })),
        defaults: { socket, ...(topology.password === undefined ? {} : { password: topology.password }) },
        RESP: 2,
      });
      return {
        send: (key, args, timeout) => cluster.sendCommand(key, false, args, { timeout }),
        get isReady() {
          return cluster.isReady;
        },
        connect: () => cluster.connect(),
        close: () => cluster.close(),
        destroy: () => cluster.destroy(),
        on: (event, listener) => cluster.on(event, listener),
      };
    }
  }
}

/** RedisConnection on node-redis (loaded by redis-connection.ts on first use). */
export class NodeRedisConnection implements RedisConnection {
  private readonly driver: Driver;

  constructor(
    private readonly config: RedisTopologyConfig,
    private readonly options: RedisConnectionOptions,
  ) {
    this.driver = driverFor(config, options);
    let lastMessage: string | undefined;
    // Without a listener node-redis's reconnect errors would be unhandled 'error' events and end the process.
    this.driver.on('error', (error: Error) => {
      if (error.message === lastMessage) return;
      lastMessage = error.message;
      options.onError?.(error);
    });
  }

  get topology(): RedisTopology {
    return this.config.kind;
  }

  get isReady(): boolean {
    return this.driver.isReady;
  }

  command<T>(key: string | undefined, args: readonly RedisArg[]): Promise<T> {
    return this.bounded(this.driver.send(key, args.map(String), this.options.commandTimeoutMs)) as Promise<T>;
  }

  async eval<T>(script: RedisScript, keys: readonly string[], args: readonly RedisArg[]): Promise<T> {
    const tail = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return await this.command<T>(keys[0], ['EVALSHA', script.sha1, ...tail]);
    } catch (error) {
      // First use on this server (or after a restart or failover): send the source, which also caches it.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.command<T>(keys[0], ['EVAL', script.source, ...tail]);
    }
  }

  async waitForReplicas(key: string, replicas: number, timeoutMs: number): Promise<{ wanted: number; acknowledged: number }> {
    const info = await this.command<string>(key, ['INFO', 'replication']);
    const connected = Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0);
    const wanted = Math.min(replicas, connected);
    if (wanted === 0) return { wanted, acknowledged: 0 };
    const acknowledged = await this.command<number>(key, ['WAIT', wanted, timeoutMs]);
    return { wanted, acknowledged: Number(acknowledged) };
  }

  async connect(): Promise<void> {
    await this.bounded(this.driver.connect(), this.options.connectTimeoutMs ?? 5_000);
  }

  async ping(): Promise<void> {
    await this.command(undefined, ['PING']);
  }

  async close(): Promise<void> {
    try {
      await this.bounded(this.driver.close());
    } catch {
      try {
        await this.driver.destroy();
      } catch {
        // Already closed: nothing left to release.
      }
    }
  }

  /** Rejects after the timeout even when the driver would wait longer (rediscovery during a failover). */
  private bounded<T>(work: Promise<T>, timeoutMs = this.options.commandTimeoutMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    // The driver's own rejection may come after ours: handled here, it is not an unhandled rejection.
    work.catch(() => undefined);
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }
}

