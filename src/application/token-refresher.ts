import { AppError, RetryableError } from '../domain/errors.js';
import { PRODUCT_NAMES } from '../domain/product.js';
import type { Connection, OAuthConnection } from '../domain/session.js';
import type { AtlassianOAuthGateway } from './ports/atlassian-oauth-gateway.js';
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
}

/**
 * Replaces an OAuth connection's access token using its refresh token — once per connection, however many
 * requests need it at the same moment. Atlassian rotates refresh tokens and revokes the whole grant when a
 * rotated one is replayed too late, so two parallel refreshes of one grant are a bug, not an inefficiency.
 *
 * Single flight has two levels: callers in this process share one promise; processes sharing the store take a
 * lease in it, and the others poll the store until the connection's version changes. The new tokens are stored
 * with compare-and-set on the version that was refreshed, so a reconnection made meanwhile wins.
 */
export class TokenRefresher {
  private readonly flights = new Map<string, Promise<Connection>>();

  constructor(
    private readonly store: SessionStore,
    private readonly oauth: AtlassianOAuthGateway,
    private readonly lock: Lock,
    private readonly tokens: TokenGenerator,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly settings: RefreshSettings,
    private readonly metrics?: Pick<Metrics, 'tokenRefresh'>,
  ) {}

  /** A connection newer than `stale`: refreshed here, by another caller, or reconnected by the user. */
  refresh(sessionId: string, stale: OAuthConnection): Promise<Connection> {
    const key = `${sessionId}:${stale.product}`;
    let flight = this.flights.get(key);
    if (flight === undefined) {
      flight = this.refreshOnce(sessionId, stale).finally(() => this.flights.delete(key));
      this.flights.set(key, flight);
    }
    return flight;
  }

  private async refreshOnce(sessionId: string, stale: OAuthConnection): Promise<Connection> {
    const deadline = this.clock.now() + this.settings.waitTimeoutMs;
    for (;;) {
      const newer = await this.newerThan(sessionId, stale);
      if (newer !== undefined) return newer;
      const release = await this.lock.tryAcquire(`refresh:${sessionId}:${stale.product}`, this.settings.lockTtlMs);
      if (release !== undefined) {
        try {
          // The previous holder may have finished between our read and our lease.
          return (await this.newerThan(sessionId, stale)) ?? (await this.refreshNow(sessionId, stale));
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

  private async newerThan(sessionId: string, stale: OAuthConnection): Promise<Connection | undefined> {
    const session = await this.store.get(sessionId);
    if (session === undefined) throw invalidSession();
    const current = session.connections[stale.product];
    if (current === undefined) throw reauthRequired(stale);
    return current.version === stale.version ? undefined : current;
  }

  private async refreshNow(sessionId: string, stale: OAuthConnection): Promise<Connection> {
    const product = stale.product;
    if (stale.refreshToken === undefined) return this.drop(sessionId, stale, 'no refresh token (offline_access not granted)');
    let granted;
    try {
      granted = await this.oauth.refresh(product, stale.refreshToken);
    } catch (error) {
      const refused = error instanceof AppError && error.code === 'invalid_grant';
      this.metrics?.tokenRefresh(refused ? 'refused' : 'failed');
      if (refused) return this.drop(sessionId, stale, 'refresh refused');
      if (error instanceof AppError && error.code === 'rate_limited') throw error;
      // No answer, or a server fault: Atlassian may or may not have rotated the token. Keep what we have — a
      // rotated token stays usable for a while — and never drop a connection for a transient fault.
      this.logger.warn({ product, code: error instanceof AppError ? error.code : 'unknown' }, 'token refresh failed; credentials kept');
      throw new RetryableError('upstream_unavailable', 'Atlassian could not renew the access token right now. Try again shortly.', 5);
    }
    this.metrics?.tokenRefresh('refreshed');
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
    if (await this.store.putConnection(sessionId, next, { expectedVersion: stale.version })) {
      this.logger.info({ product }, 'access token refreshed');
      return next;
    }
    // The user reconnected while we refreshed: their new connection wins over ours.
    return (await this.newerThan(sessionId, stale)) ?? next;
  }

  /** Forgets dead credentials — unless the user reconnected meanwhile, in which case that connection is the answer. */
  private async drop(sessionId: string, stale: OAuthConnection, reason: string): Promise<Connection> {
    if (!(await this.store.removeConnection(sessionId, stale.product, { expectedVersion: stale.version }))) {
      const newer = await this.newerThan(sessionId, stale);
      if (newer !== undefined) return newer;
    }
    this.logger.info({ product: stale.product, reason }, 'connection dropped; the user must connect again');
    throw reauthRequired(stale);
  }
}

function reauthRequired(connection: Connection): AppError {
  const name = PRODUCT_NAMES[connection.product];
  return new AppError('reauth_required', `The ${name} authorization has expired or was revoked. Connect ${name} again.`);
}
