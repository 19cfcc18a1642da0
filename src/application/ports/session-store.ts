import type { Product } from '../../domain/product.js';
import type { Connection, OAuthCompletion, PendingOAuth, Session } from '../../domain/session.js';

/**
 * Where sessions and pending OAuth flows live. Sessions are keyed by the hash of their token and expire after an
 * idle time the store is configured with; every `get` that finds a session extends it.
 *
 * Contract (test/contract/session-store.contract.ts runs it against every adapter):
 * - `get` returns undefined for an absent, expired or unreadable session — never throws for those.
 * - `putConnection` replaces one product's connection without touching the other product's; it creates the
 *   session if it does not exist. With `expectedVersion` it writes only if the stored connection of that product
 *   has exactly that version, and returns false otherwise (compare-and-set).
 * - `removeConnection` drops one product's connection; with `expectedVersion`, only if it still has that version
 *   (so dropping dead credentials never drops a newer reconnection). Returns whether it removed anything.
 * - `takePendingOAuth` returns a pending flow once, then never again; an expired one is absent.
 * - `takeCompletion` likewise returns a finished flow once, then never again; an expired one is absent. Neither
 *   pending flows nor completions create or touch a session.
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
