import type { Product } from '../domain/product.js';
import type { Connection } from '../domain/session.js';
import type { AtlassianCredentials } from './ports/atlassian-credentials.js';
import type { SessionStore } from './ports/session-store.js';
import { loadSession, requireConnection } from './session-access.js';

/**
 * Runs one upstream call with the credentials a session holds for a product. The one place that turns a stored
 * connection into credentials, so token refresh has a single home.
 */
export class ConnectionAccess {
  constructor(private readonly store: SessionStore) {}

  async run<T>(
    sessionToken: string | undefined,
    product: Product,
    call: (credentials: AtlassianCredentials, connection: Connection) => Promise<T>,
  ): Promise<T> {
    const session = await loadSession(this.store, sessionToken);
    const connection = requireConnection(session, product);
    return call(credentialsOf(connection), connection);
  }
}

export function credentialsOf(connection: Connection): AtlassianCredentials {
  if (connection.method === 'oauth') {
    return { kind: 'oauth', cloudId: connection.site.id ?? '', accessToken: connection.accessToken };
  }
  const host = new URL(connection.site.url).host;
  return {
    kind: 'api_token',
    host,
    email: connection.email,
    apiToken: connection.apiToken,
    ...(connection.route === 'gateway' && connection.site.id !== undefined ? { gatewayCloudId: connection.site.id } : {}),
  };
}
