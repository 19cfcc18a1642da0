import type pg from 'pg';
import type { Clock } from '../../application/ports/clock.js';
import type { SessionLifetimes, SessionStore } from '../../application/ports/session-store.js';
import { PRODUCTS, type Product } from '../../domain/product.js';
import type { Connection, OAuthCompletion, PendingOAuth, Session } from '../../domain/session.js';
import { guardStore } from '../store-unavailable.js';
import type { SessionCipher } from './session-cipher.js';

/** The columns of one product's connection (migration 1). A new product needs a migration and an entry here. */
const COLUMNS: Readonly<Record<Product, { readonly sealed: string; readonly version: string }>> = {
  jira: { sealed: 'jira', version: 'jira_version' },
  confluence: { sealed: 'confluence', version: 'confluence_version' },
};

/** True in SQL while the row holds any connection. */
const CONNECTED = PRODUCTS.map((product) => `${COLUMNS[product].version} IS NOT NULL`).join(' OR ');
const SESSION_COLUMNS = ['id', 'meta', 'ends_at', 'expires_at', ...PRODUCTS.map((product) => COLUMNS[product].sealed)].join(', ');

/**
 * A read moves the idle expiry only when that gains more than this share of the idle TTL (at most a minute):
 * otherwise every read would be a write and a WAL flush. A session read again and again is rewritten at most
 * once a minute, and its expiry is never more than that short of "idle TTL from the last read".
 */
const EXTEND_GRANULARITY = 0.01;
const EXTEND_GRANULARITY_CAP_MS = 60_000;

interface Meta {
  createdAt: number;
}

type SessionRow = Record<string, string | null>;

/**
 * Sessions in PostgreSQL, shared by every instance and kept across restarts of all of them. One row per session,
 * keyed by the hash of its token, holding the same AES-256-GCM envelopes as the Redis store (SessionCipher, the
 * record name as additional data), so the same key ring opens both and a key rotation works the same way.
 *
 * Every change is one statement whose WHERE clause carries the whole precondition (the row is live, the version
 * matches), so concurrent instances need no transaction or lock: `UPDATE … WHERE version = $expected` is the
 * compare-and-set, `DELETE … RETURNING` makes a flow single use, and no statement but `create`'s INSERT can bring
 * a row into existence. Times are the service's clock (epoch ms); a row whose `expires_at` has passed is never
 * returned nor written, whether or not the background sweep (ExpirySweeper) has deleted it yet.
 */
export class PostgresSessionStore implements SessionStore {
  private readonly idleTtlMs: number;
  private readonly emptyTtlMs: number;
  private readonly maxAgeMs: number;
  private readonly extendStepMs: number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly cipher: SessionCipher,
    private readonly clock: Clock,
    lifetimes: SessionLifetimes,
  ) {
    this.idleTtlMs = Math.round(lifetimes.idleTtlSeconds * 1000);
    this.emptyTtlMs = Math.round(lifetimes.emptyTtlSeconds * 1000);
    this.maxAgeMs = Math.round(lifetimes.maxAgeSeconds * 1000);
    this.extendStepMs = Math.min(Math.floor(this.idleTtlMs * EXTEND_GRANULARITY), EXTEND_GRANULARITY_CAP_MS);
  }

  async get(id: string): Promise<Session | undefined> {
    return guardStore(async () => {
      const now = this.clock.now();
      // The read and the idle extension are one statement; an empty session keeps its short expiry. When the
      // extension would gain less than the step, nothing is written (see EXTEND_GRANULARITY).
      const { rows } = await this.pool.query<SessionRow>(
        `WITH live AS (
           SELECT ${SESSION_COLUMNS}, (${CONNECTED}) AS connected FROM sessions WHERE id = $1 AND expires_at > $2 AND ends_at > $2
         ), extended AS (
           UPDATE sessions SET expires_at = LEAST($2::bigint + $3::bigint, sessions.ends_at) FROM live
            WHERE sessions.id = live.id AND live.connected AND sessions.expires_at > $2
              AND LEAST($2::bigint + $3::bigint, sessions.ends_at) - sessions.expires_at > $4
            RETURNING sessions.expires_at
         )
         SELECT live.*, COALESCE((SELECT expires_at FROM extended), live.expires_at) AS extended_to FROM live`,
        [id, now, this.idleTtlMs, this.extendStepMs],
      );
      const row = rows[0];
      if (row === undefined) return undefined;
      const sealedMeta = row['meta']!;
      const meta = this.open<Meta>(id, 'meta', sealedMeta);
      if (meta === undefined) return this.discard(id, 'meta', sealedMeta);
      // The maximum age is the configured one, not the one the row was written under: shortening it applies now.
      const endsAt = meta.createdAt + this.maxAgeMs;
      if (endsAt <= now) {
        await this.pool.query('DELETE FROM sessions WHERE id = $1', [id]);
        return undefined;
      }
      const connections: Partial<Record<Product, Connection>> = {};
      const stale: Connection[] = [];
      for (const product of PRODUCTS) {
        const sealed = row[COLUMNS[product].sealed];
        if (sealed === null || sealed === undefined) continue;
        const connection = this.open<Connection>(id, product, sealed);
        // A record we cannot read is no session at all, never a half-trusted one.
        if (connection === undefined) return this.discard(id, COLUMNS[product].sealed, sealed);
        connections[product] = connection;
        if (!this.cipher.isCurrent(sealed)) stale.push(connection);
      }
      let expiresAt = Math.min(Number(row['extended_to']), endsAt);
      if (!this.cipher.isCurrent(sealedMeta) || Number(row['ends_at']) !== endsAt) {
        // Rewritten under the newest key; the expiry is kept (cut at the end). A row deleted since the read
        // (a logout) is not recreated.
        await this.pool.query('UPDATE sessions SET meta = $2, ends_at = $3, expires_at = LEAST(expires_at, $3) WHERE id = $1', [
          id,
          this.seal(id, 'meta', meta),
          endsAt,
        ]);
      }
      for (const connection of stale) {
        // The version check keeps a newer connection written meanwhile; the idle expiry is what the read gave.
        await this.putConnection(id, connection, { expectedVersion: connection.version });
        expiresAt = Math.min(now + this.idleTtlMs, endsAt);
      }
      return { id, createdAt: meta.createdAt, expiresAt, endsAt, connections };
    });
  }

  async create(id: string): Promise<Session> {
    return guardStore(async () => {
      const createdAt = this.clock.now();
      const endsAt = createdAt + this.maxAgeMs;
      const expiresAt = Math.min(createdAt + this.emptyTtlMs, endsAt);
      const cleared = PRODUCTS.flatMap((product) => [`${COLUMNS[product].sealed} = NULL`, `${COLUMNS[product].version} = NULL`]).join(', ');
      await this.pool.query(
        `INSERT INTO sessions (id, meta, ends_at, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET meta = EXCLUDED.meta, ends_at = EXCLUDED.ends_at, expires_at = EXCLUDED.expires_at, ${cleared}`,
        [id, this.seal(id, 'meta', { createdAt } satisfies Meta), endsAt, expiresAt],
      );
      return { id, createdAt, expiresAt, endsAt, connections: {} };
    });
  }

  async putConnection(id: string, connection: Connection, options: { expectedVersion?: string } = {}): Promise<boolean> {
    return guardStore(async () => {
      const columns = COLUMNS[connection.product];
      const now = this.clock.now();
      const { rowCount } = await this.pool.query(
        `UPDATE sessions SET ${columns.sealed} = $2, ${columns.version} = $3, expires_at = LEAST($4::bigint + $5::bigint, ends_at)
          WHERE id = $1 AND expires_at > $4 AND ends_at > $4 AND ($6::text IS NULL OR ${columns.version} = $6)`,
        [id, this.seal(id, connection.product, connection), connection.version, now, this.idleTtlMs, options.expectedVersion ?? null],
      );
      return rowCount === 1;
    });
  }

  async removeConnection(id: string, product: Product, options: { expectedVersion?: string } = {}): Promise<boolean> {
    return guardStore(async () => {
      const columns = COLUMNS[product];
      const others = PRODUCTS.filter((other) => other !== product).map((other) => `${COLUMNS[other].version} IS NULL`);
      const leftEmpty = others.length === 0 ? 'TRUE' : others.join(' AND ');
      const now = this.clock.now();
      const { rowCount } = await this.pool.query(
        `UPDATE sessions SET ${columns.sealed} = NULL, ${columns.version} = NULL,
                expires_at = CASE WHEN ${leftEmpty} THEN LEAST($3::bigint + $4::bigint, ends_at) ELSE expires_at END
          WHERE id = $1 AND expires_at > $3 AND ${columns.version} IS NOT NULL AND ($2::text IS NULL OR ${columns.version} = $2)`,
        [id, options.expectedVersion ?? null, now, this.emptyTtlMs],
      );
      return rowCount === 1;
    });
  }

  async delete(id: string): Promise<void> {
    return guardStore(async () => {
      await this.pool.query('DELETE FROM sessions WHERE id = $1', [id]);
    });
  }

  async putPendingOAuth(pending: PendingOAuth): Promise<void> {
    return guardStore(async () => {
      const now = this.clock.now();
      if (pending.expiresAt <= now) return;
      // One statement: the state, and the short expiry from now for the empty session it names (never a new one).
      await this.pool.query(
        `WITH state AS (
           INSERT INTO oauth_states (id, sealed, expires_at) VALUES ($1, $2, $3)
           ON CONFLICT (id) DO UPDATE SET sealed = EXCLUDED.sealed, expires_at = EXCLUDED.expires_at
         )
         UPDATE sessions SET expires_at = LEAST($5::bigint + $6::bigint, ends_at)
          WHERE id = $4 AND expires_at > $5 AND NOT (${CONNECTED}) AND LEAST($5::bigint + $6::bigint, ends_at) > expires_at`,
        [pending.stateId, this.seal(pending.stateId, 'state', pending), pending.expiresAt, pending.sessionId, now, this.emptyTtlMs],
      );
    });
  }

  async takePendingOAuth(stateId: string): Promise<PendingOAuth | undefined> {
    return this.take<PendingOAuth>('oauth_states', stateId, 'state');
  }

  async putCompletion(completion: OAuthCompletion): Promise<void> {
    return guardStore(async () => {
      if (completion.expiresAt <= this.clock.now()) return;
      await this.pool.query(
        `INSERT INTO oauth_completions (id, sealed, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET sealed = EXCLUDED.sealed, expires_at = EXCLUDED.expires_at`,
        [completion.completionId, this.seal(completion.completionId, 'completion', completion), completion.expiresAt],
      );
    });
  }

  async takeCompletion(completionId: string): Promise<OAuthCompletion | undefined> {
    return this.take<OAuthCompletion>('oauth_completions', completionId, 'completion');
  }

  /** DELETE … RETURNING: of two instances taking the same flow at once, exactly one gets the row. */
  private async take<T>(table: 'oauth_states' | 'oauth_completions', id: string, field: string): Promise<T | undefined> {
    return guardStore(async () => {
      const { rows } = await this.pool.query<{ sealed: string; expires_at: string }>(
        `DELETE FROM ${table} WHERE id = $1 RETURNING sealed, expires_at`,
        [id],
      );
      const row = rows[0];
      if (row === undefined || Number(row.expires_at) <= this.clock.now()) return undefined;
      return this.open<T>(id, field, row.sealed);
    });
  }

  /**
   * A record no configured key opens (or that is not ours) is deleted rather than left to be read, and failed,
   * on every request that names it — unless it was rewritten since we read it.
   */
  private async discard(id: string, column: string, value: string): Promise<undefined> {
    await this.pool.query(`DELETE FROM sessions WHERE id = $1 AND ${column} = $2`, [id, value]);
    return undefined;
  }


  /** The record name, as the Redis store names its keys and fields: an envelope opens only where it was written. */
  private recordName(id: string, field: string): string {
    const kind = field === 'state' ? 'state' : field === 'completion' ? 'completion' : 'session';
    return `${kind}:${id}#${field}`;
  }

  private seal(id: string, field: string, value: unknown): string {
    return this.cipher.sealJson(value, this.recordName(id, field));
  }

  private open<T>(id: string, field: string, sealed: string): T | undefined {
    return this.cipher.openJson<T>(sealed, this.recordName(id, field));
  }
}
