import { deadlineAfter, type Deadline } from '../domain/deadline.js';
import { AppError, UpstreamUnauthorizedError } from '../domain/errors.js';
import { PRODUCT_NAMES, type Product } from '../domain/product.js';
import { siteHostOf, type Connection } from '../domain/session.js';
import { isCloudId, type CloudId } from '../domain/site.js';
import type { AtlassianCredentials } from './ports/atlassian-credentials.js';
import type { Clock } from './ports/clock.js';
import type { SessionStore } from './ports/session-store.js';
import { loadSession, requireConnection } from './session-access.js';
import type { TokenRefresher } from './token-refresher.js';

/** Refresh this long before Atlassian's expiry, so a token never dies between our check and its use. */
export const REFRESH_MARGIN_MS = 60_000;

/**
 * Runs one upstream call with the credentials a session holds for a product: the one place that turns a stored
 * connection into credentials, refreshing an OAuth token that is about to expire or that Atlassian refused.
 *
 * It is also where a client request's upstream work gets its one deadline (`deadlineMs` from the start): the
 * call's pages and retries, the token refresh and the repeat after it all end by it, so a refresh cannot start
 * the client's wait afresh.
 */
export class ConnectionAccess {
  constructor(
    private readonly store: SessionStore,
    private readonly refresher: TokenRefresher,
    private readonly clock: Clock,
    /** UPSTREAM_DEADLINE_MS: what one client request may spend upstream. */
    private readonly deadlineMs: number,
  ) {}

  /** A deadline for a client request that starts now; `run` makes its own unless its caller made one first. */
  newDeadline(): Deadline {
    return deadlineAfter(this.clock.now(), this.deadlineMs);
  }

  async run<T>(
    sessionToken: string | undefined,
    product: Product,
    call: (credentials: AtlassianCredentials, connection: Connection, deadline: Deadline) => Promise<T>,
    deadline: Deadline = this.newDeadline(),
  ): Promise<T> {
    const session = await loadSession(this.store, sessionToken);
    // Tokens refreshed here that the store has not taken yet replace the stored ones (their refresh token is the
    // only valid one).
    let connection = this.refresher.current(session.id, requireConnection(session, product));
    if (connection.method === 'oauth' && connection.accessTokenExpiresAt - this.clock.now() < REFRESH_MARGIN_MS) {
      connection = await this.refresher.refresh(session.id, connection, this.before(deadline));
    }
    try {
      return await call(credentialsOf(connection), connection, this.before(deadline));
    } catch (error) {
      // A 401 on an OAuth token may mean it was revoked early or our clock is off: refresh once and retry.
      // A scope mismatch cannot be fixed by a new token, and a second 401 is final.
      if (!(error instanceof UpstreamUnauthorizedError) || error.scopeMismatch || connection.method !== 'oauth') throw error;
      connection = await this.refresher.refresh(session.id, connection, this.before(deadline));
      return call(credentialsOf(connection), connection, this.before(deadline));
    }
  }

  /** The deadline, if it has not passed: work that cannot finish by it is not started. */
  private before(deadline: Deadline): Deadline {
    if (this.clock.now() >= deadline) throw new AppError('upstream_timeout', 'Atlassian did not answer in time. Try again later.');
    return deadline;
  }
}

/**
 * A stored connection is data, not a proof (a store written by an older version, a bug, a hand edit): its host
 * and cloudId are validated again here, the one place that turns a connection into credentials, so every URL
 * built from them still holds only values that passed `normaliseSite` / `isCloudId`.
 */
export function credentialsOf(connection: Connection): AtlassianCredentials {
  const cloudId = connection.site.id === undefined ? undefined : storedCloudId(connection, connection.site.id);
  if (connection.method === 'oauth') {
    if (cloudId === undefined) throw unusable(connection);
    return { kind: 'oauth', cloudId, accessToken: connection.accessToken };
  }
  const host = siteHostOf(connection.site);
  if (host === undefined) throw unusable(connection);
  return {
    kind: 'api_token',
    host,
    email: connection.email,
    apiToken: connection.apiToken,
    ...(connection.route === 'gateway' && cloudId !== undefined ? { gatewayCloudId: cloudId } : {}),
  };
}

function storedCloudId(connection: Connection, value: string): CloudId {
  if (!isCloudId(value)) throw unusable(connection);
  return value;
}

function unusable(connection: Connection): AppError {
  const name = PRODUCT_NAMES[connection.product];
  return new AppError('reauth_required', `The stored ${name} connection names a site this service cannot reach. Connect ${name} again.`);
}
