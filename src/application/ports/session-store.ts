import type { Product } from '../../domain/product.js';
import type { Connection, OAuthCompletion, PendingOAuth, Session } from '../../domain/session.js';

/**
 * Where sessions and pending OAuth flows live. Sessions are keyed by the hash of their token. A session with a
 * connection expires after an idle time, and every `get` that finds it extends it; a session without one (just
 * created for an OAuth flow, or whose last connection was removed) lives only a short time, enough for a flow
 * to complete, and reads do not extend it. No session outlives its absolute end (`Session.endsAt`, creation plus
 * the maximum age), however active.
 *
 * Contract (test/contract/session-store.contract.ts runs it against every adapter):
 * - `get` returns undefined for an absent, expired or unreadable session — never throws for those. A record it
 *   cannot read (wrong key, corrupt) is deleted, so it is not read again and again.
 * - `create` is the only way a session comes to exist. Nothing else recreates a deleted or expired session.
 * - `putConnection` replaces one product's connection without touching the other product's and gives the
 *   session the idle expiry. On an absent session it writes nothing and returns false. With `expectedVersion`
 *   it writes only if the stored connection of that product has exactly that version, and returns false
 *   otherwise (compare-and-set).
 * - `removeConnection` drops one product's connection; with `expectedVersion`, only if it still has that version
 *   (so dropping dead credentials never drops a newer reconnection). Returns whether it removed anything. A
 *   session left without a connection falls back to the short expiry.
 * - `putPendingOAuth` never creates a session; a session without a connection that it names lives at least the
 *   short expiry from now, so the new flow can complete in it.
 * - `takePendingOAuth` returns a pending flow once, then never again; an expired one is absent.
 * - `takeCompletion` likewise returns a finished flow once, then never again; an expired one is absent. Neither
 *   pending flows nor completions create or touch a session.
 * - A backend failure is `store_unavailable`, within a bounded time; never a hang or a driver error.
 */
export interface SessionStore {
  get(id: string): Promise<Session | undefined>;
  create(id: string): Promise<Session>;
  putConnection(id: string, connection: Connection, options?: { expectedVersion?: string }): Promise<boolean>;
  removeConnection(id: string, product: Product, options?: { expectedVersion?: string }): Promise<boolean>;
  delete(id: string): Promise<void>;
  putPendingOAuth(pending: PendingOAuth): Promise<void>;
  takePendingOAuth(stateId: string): Promise<PendingOAuth | undefined>;
  putCompletion(completion: OAuthCompletion): Promise<void>;
  takeCompletion(completionId: string): Promise<OAuthCompletion | undefined>;
}

/** How long sessions live; every adapter takes these. */
export interface SessionLifetimes {
  /** Idle lifetime of a session with a connection. */
  readonly idleTtlSeconds: number;
  /** Lifetime of a session without a connection: an OAuth flow's state TTL plus its completion window. */
  readonly emptyTtlSeconds: number;
  /** Absolute lifetime from creation. */
  readonly maxAgeSeconds: number;
}
