import { AppError } from '../domain/errors.js';
import type { Product } from '../domain/product.js';
import { PRODUCT_NAMES } from '../domain/product.js';
import type { Connection, Session } from '../domain/session.js';
import { isWellFormedSessionToken, sessionIdOf } from '../domain/session-token.js';
import type { SessionStore } from './ports/session-store.js';
import type { TokenGenerator } from './ports/token-generator.js';

/** Loads the session a request names, or says precisely why it cannot. */
export async function loadSession(store: SessionStore, sessionToken: string | undefined): Promise<Session> {
  if (sessionToken === undefined || sessionToken === '') {
    throw new AppError('missing_session', 'The X-Session-Token header is required.');
  }
  const session = isWellFormedSessionToken(sessionToken) ? await store.get(sessionIdOf(sessionToken)) : undefined;
  if (session === undefined) throw invalidSession();
  return session;
}

export function invalidSession(): AppError {
  return new AppError('invalid_session', 'The session token is unknown or has expired. Start a new session.');
}

export function requireConnection(session: Session, product: Product): Connection {
  const connection = session.connections[product];
  if (connection === undefined) {
    throw new AppError('not_connected', `This session has no ${PRODUCT_NAMES[product]} connection. Connect ${PRODUCT_NAMES[product]} first.`);
  }
  return connection;
}

/**
 * The session a login should add its product to: the caller's, when they sent a token that names a live
 * session, or else a new one. An unknown token is not an error here, so a frontend holding a stale token
 * can still log in.
 */
export async function existingOrNewSession(
  store: SessionStore,
  tokens: TokenGenerator,
  sessionToken: string | undefined,
): Promise<{ sessionToken: string; sessionId: string; isNew: boolean }> {
  if (sessionToken !== undefined && isWellFormedSessionToken(sessionToken)) {
    const sessionId = sessionIdOf(sessionToken);
    if ((await store.get(sessionId)) !== undefined) return { sessionToken, sessionId, isNew: false };
  }
  const fresh = tokens.sessionToken();
  return { sessionToken: fresh, sessionId: sessionIdOf(fresh), isNew: true };
}
