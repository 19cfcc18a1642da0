import type { Deadline } from '../domain/deadline.js';
import { AppError, RetryableError } from '../domain/errors.js';
import { PRODUCT_NAMES } from '../domain/product.js';
import type { Connection, OAuthConnection } from '../domain/session.js';
import { BackgroundRetries } from './background-retries.js';
import { UnsavedConnections } from './unsaved-connections.js';
import { TokenAnswerLostError, type AtlassianOAuthGateway } from './ports/atlassian-oauth-gateway.js';
import type { Clock } from './ports/clock.js';
import type { Lock } from './ports/lock.js';
import type { Logger } from './ports/logger.js';
import type { Metrics } from './ports/metrics.js';
import type { SessionStore } from './ports/session-store.js';
import type { TokenGenerator } from './ports/token-generator.js';
import { invalidSession } from './session-access.js';

export interface RefreshSettings {
  /** How long one instance may hold the refresh lease; longer than a token call can take. */
  readonly lockTtlMs: number;
  /** How long a waiter waits for another instance's refresh before giving up with 503. */
  readonly waitTimeoutMs: number;
  readonly pollIntervalMs: number;
  /**
   * Waits before each background attempt, after a refresh got no answer (a retry with the same refresh token) or
   * its new tokens could not be stored (a retry of the write). Their sum stays well inside Atlassian's reuse
   * leeway. Empty or absent: no background attempts.
   */
  readonly retryDelaysMs?: readonly number[];
}

/**
 * Atlassian honours a rotated refresh token for 10 minutes, and replaying it later revokes every refresh token of
 * the grant (docs/atlassian.md §3). A token whose refresh got no answer is not sent again once this much time has
 * passed since: the connection is dropped instead, which costs this session a sign-in rather than costing every
 * session of the user their grant.
 */
export const ROTATED_TOKEN_SAFE_REUSE_MS = 9 * 60_000;

/** Connections whose refresh lost its answer, remembered at most (oldest forgotten first). */
const MAX_LOST_ANSWERS = 10_000;

/**
 * Replaces an OAuth connection's access token using its refresh token — once per connection, however many
 * requests need it at the same moment. Atlassian rotates refresh tokens and revokes the whole grant when a
 * rotated one is replayed too late, so two parallel refreshes of one grant are a bug, not an inefficiency.
 *
 * Single flight has two levels: callers in this process share one promise; processes sharing the store take a
 * lease in it, and the others poll the store until the connection's version changes. The new tokens are stored
 * with compare-and-set on the version that was refreshed, so a reconnection made meanwhile wins.
 *
 * A rotated refresh token must never be lost. When the token call gets no answer, Atlassian may have rotated the
 * token; the old one works for the reuse leeway only, so the refresh is retried in the background with it, a
 * bounded number of times, well inside the leeway. When the store fails to take new tokens, they are kept in
 * memory (and used by this process) while the write is retried in the background.
 */
export class TokenRefresher {
  private readonly flights = new Map<string, Promise<Connection>>();
  private readonly unsaved: UnsavedConnections;
  /** By `<session id>:<product>`: the version whose refresh lost its answer, and when that request was sent. */
  private readonly lostAnswers = new Map<string, { readonly version: string; readonly since: number }>();
  private readonly refreshRetries: BackgroundRetries;

  constructor(
    private readonly store: SessionStore,
    private readonly oauth: AtlassianOAuthGateway,
    private readonly lock: Lock,
    private readonly tokens: TokenGenerator,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly settings: RefreshSettings,
    private readonly metrics?: Pick<Metrics, 'tokenRefresh'>,
  ) {
    this.refreshRetries = new BackgroundRetries(settings.retryDelaysMs ?? []);
    this.unsaved = new UnsavedConnections(store, logger, settings.retryDelaysMs ?? []);
  }

  /** The connection to use for a stored one: itself, or newer tokens refreshed here that the store has not taken. */
  current(sessionId: string, stored: Connection): Connection {
    return this.unsaved.current(sessionId, stored);
  }

  /**
   * A connection newer than `stale`: refreshed here, by another caller, or reconnected by the user. `deadline` is
   * the waiting client request's: the token call and the wait for another instance's refresh end by it. Callers
   * joining a refresh in flight share the deadline of the one that started it.
   */
  refresh(sessionId: string, stale: OAuthConnection, deadline?: Deadline): Promise<Connection> {
    const key = keyOf(sessionId, stale.product);
    // Never send a refresh token that this process already knows to be replaced.
    const held = this.unsaved.current(sessionId, stale);
    if (held !== stale) return Promise.resolve(held);
    let flight = this.flights.get(key);
    if (flight === undefined) {
      flight = this.refreshOnce(sessionId, stale, deadline).finally(() => this.flights.delete(key));
      this.flights.set(key, flight);
    }
    return flight;
  }

  private async refreshOnce(sessionId: string, stale: OAuthConnection, requestDeadline?: Deadline): Promise<Connection> {
    const deadline = Math.min(this.clock.now() + this.settings.waitTimeoutMs, requestDeadline ?? Infinity);
    for (;;) {
      const newer = await this.newerThan(sessionId, stale);
      if (newer !== undefined) return newer;
      const release = await this.lock.tryAcquire(`refresh:${sessionId}:${stale.product}`, this.settings.lockTtlMs);
      if (release !== undefined) {
        try {
          // The previous holder may have finished between our read and our lease.
          return (await this.newerThan(sessionId, stale)) ?? (await this.refreshNow(sessionId, stale, requestDeadline));
        } finally {
          await release();
        }
      }
      if (this.clock.now() >= deadline) {
        throw new RetryableError('upstream_unavailable', 'Another request is renewing the Atlassian token. Try again shortly.', 1);
      }
      await new Promise((resolve) => setTimeout(resolve, this.settings.pollIntervalMs));
    }
  }

  /** Stops the background attempts, and tries once more to store tokens that only this process holds. */
  async close(): Promise<void> {
    this.refreshRetries.cancelAll();
    await this.unsaved.close();
  }

  private async newerThan(sessionId: string, stale: OAuthConnection): Promise<Connection | undefined> {
    const session = await this.store.get(sessionId);
    if (session === undefined) throw invalidSession();
    const stored = session.connections[stale.product];
    if (stored === undefined) throw reauthRequired(stale);
    const current = this.unsaved.current(sessionId, stored);
    return current.version === stale.version ? undefined : current;
  }

  private async refreshNow(sessionId: string, stale: OAuthConnection, deadline?: Deadline): Promise<Connection> {
    const product = stale.product;
    const key = keyOf(sessionId, product);
    if (stale.refreshToken === undefined) return this.drop(sessionId, stale, 'no refresh token (offline_access not granted)');
    const lost = this.lostAnswers.get(key);
    if (lost?.version === stale.version && this.clock.now() - lost.since >= ROTATED_TOKEN_SAFE_REUSE_MS) {
      return this.drop(sessionId, stale, 'refresh answer lost and the reuse leeway has passed; not replaying the refresh token');
    }
    let granted;
    const sentAt = this.clock.now();
    try {
      granted = await (deadline === undefined ? this.oauth.refresh(product, stale.refreshToken) : this.oauth.refresh(product, stale.refreshToken, deadline));
    } catch (error) {
      const refused = error instanceof AppError && error.code === 'invalid_grant';
      this.metrics?.tokenRefresh(refused ? 'refused' : 'failed');
      if (refused) return this.drop(sessionId, stale, 'refresh refused');
      if (error instanceof AppError && error.code === 'rate_limited') throw error;
      // No answer, or a server fault: Atlassian may or may not have rotated the token. Keep what we have — a
      // rotated token stays usable for a while — and never drop a connection for a transient fault.
      this.logger.warn({ product, code: error instanceof AppError ? error.code : 'unknown' }, 'token refresh failed; credentials kept');
      if (error instanceof TokenAnswerLostError) this.retryRefreshLater(sessionId, stale, sentAt);
      throw new RetryableError('upstream_unavailable', 'Atlassian could not renew the access token right now. Try again shortly.', 5);
    }
    this.metrics?.tokenRefresh('refreshed');
    this.lostAnswers.delete(key);
    if (granted.refreshToken === undefined) {
      this.logger.warn({ product }, 'refresh answer carried no refresh_token; keeping the previous one');
    }
    const now = this.clock.now();
    const next: OAuthConnection = {
      ...stale,
      accessToken: granted.accessToken,
      refreshToken: granted.refreshToken ?? stale.refreshToken,
      accessTokenExpiresAt: now + granted.expiresInSeconds * 1000,
      scopes: granted.scopes.length > 0 ? granted.scopes : stale.scopes,
      version: this.tokens.id(),
    };
    const expectedVersion = this.unsaved.storedVersion(sessionId, stale);
    let written: boolean;
    try {
      written = await this.store.putConnection(sessionId, next, { expectedVersion });
    } catch {
      // Atlassian has rotated: these tokens are now the only valid ones. Use them, and keep trying to store them.
      this.unsaved.keep(sessionId, expectedVersion, next);
      return next;
    }
    this.unsaved.forget(sessionId, product);
    if (written) {
      this.logger.info({ product }, 'access token refreshed');
      return next;
    }
    // The user reconnected while we refreshed: their new connection wins over ours.
    return (await this.newerThan(sessionId, stale)) ?? next;
  }

  /**
   * The refresh got no answer: retry it in the background with the same refresh token while Atlassian still
   * honours it, so rotated tokens are stored even if the user does not come back within the leeway.
   */
  private retryRefreshLater(sessionId: string, stale: OAuthConnection, sentAt: number): void {
    const key = keyOf(sessionId, stale.product);
    if (this.lostAnswers.get(key)?.version !== stale.version) {
      this.lostAnswers.delete(key);
      this.lostAnswers.set(key, { version: stale.version, since: sentAt });
      if (this.lostAnswers.size > MAX_LOST_ANSWERS) this.lostAnswers.delete(this.lostAnswers.keys().next().value!);
    }
    this.refreshRetries.start(
      key,
      async () => {
        try {
          await this.refresh(sessionId, stale);
          // Whoever refreshed (here, another instance, the user), this version is history.
          if (this.lostAnswers.get(key)?.version === stale.version) this.lostAnswers.delete(key);
          this.logger.info({ product: stale.product }, 'token refresh completed in the background after a lost answer');
          return true;
        } catch (error) {
          // A dead grant or a gone session ends the chain; anything else is worth another attempt.
          return error instanceof AppError && (error.code === 'reauth_required' || error.code === 'invalid_session');
        }
      },
      () => this.logger.warn({ product: stale.product }, 'token refresh still without an answer after the background attempts'),
    );
  }

  /** Forgets dead credentials — unless the user reconnected meanwhile, in which case that connection is the answer. */
  private async drop(sessionId: string, stale: OAuthConnection, reason: string): Promise<Connection> {
    const expectedVersion = this.unsaved.storedVersion(sessionId, stale);
    this.lostAnswers.delete(keyOf(sessionId, stale.product));
    // Whether held here or stored, these credentials are dead.
    if (expectedVersion !== stale.version) this.unsaved.forget(sessionId, stale.product);
    if (!(await this.store.removeConnection(sessionId, stale.product, { expectedVersion }))) {
      const newer = await this.newerThan(sessionId, stale);
      if (newer !== undefined) return newer;
    }
    this.logger.info({ product: stale.product, reason }, 'connection dropped; the user must connect again');
    throw reauthRequired(stale);
  }
}

function keyOf(sessionId: string, product: string): string {
  return `${sessionId}:${product}`;
}

function reauthRequired(connection: Connection): AppError {
  const name = PRODUCT_NAMES[connection.product];
  return new AppError('reauth_required', `The ${name} authorization has expired or was revoked. Connect ${name} again.`);
}
