import { createHash } from 'node:crypto';
import type { RedisTopology } from './redis-topology.js';

/** A Lua script with its SHA-1, so it is sent whole only when the server does not know it yet. */
export interface RedisScript {
  readonly source: string;
  readonly sha1: string;
}

export function redisScript(source: string): RedisScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

export type RedisArg = string | number;

/**
 * The one door to Redis for every adapter (session store, lease, limiter, quota blocks, listing cache), the same
 * whatever the topology. Every call is bounded by the command timeout, also while disconnected or while a
 * failover is under way, and rejects rather than hangs; callers turn a rejection into 503 store_unavailable.
 * Under Cluster a call names the key it touches (`key`), which routes it to that key's primary: a script or a
 * transaction may only touch keys of one hash slot (`{tag}` in their names).
 */
export interface RedisConnection {
  readonly topology: RedisTopology;
  /** One command. `key` is the key it touches (routing under Cluster), undefined for keyless commands. */
  command<T = unknown>(key: string | undefined, args: readonly RedisArg[]): Promise<T>;
  /** A script over `keys` (one hash slot): EVALSHA, and EVAL when the server answers NOSCRIPT. */
  eval<T = unknown>(script: RedisScript, keys: readonly string[], args: readonly RedisArg[]): Promise<T>;
  /**
   * Waits until `replicas` replicas acknowledged the writes made so far on the connection that holds `key`, at
   * most `timeoutMs`; answers how many did. 0 at once when that primary has no replica connected.
   */
  waitForReplicas(key: string, replicas: number, timeoutMs: number): Promise<{ wanted: number; acknowledged: number }>;
  /** True while commands can be sent (connected to the primary, or to every Cluster primary). */
  readonly isReady: boolean;
  connect(): Promise<void>;
  ping(): Promise<void>;
  /** Closes gracefully, or drops the sockets when that does not finish within the command timeout. */
  close(): Promise<void>;
}

export interface RedisConnectionOptions {
  /** Bound on every call, including time spent queued while disconnected. */
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs?: number;
  /** Reported once per distinct message, so a reconnect loop does not flood the log. */
  readonly onError?: (error: Error) => void;
}
