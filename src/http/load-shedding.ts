import type { Middleware } from 'koa';
import { RetryableError } from '../domain/errors.js';
import { isWellFormedSessionToken, sessionIdOf } from '../domain/session-token.js';
import { sessionTokenOf } from './session-header.js';

/**
 * At most `max` requests of one session run at once in this instance; the next is refused at once with
 * `503 overloaded` and `Retry-After: 1`, never queued. A listing can hold upstream sockets for up to the deadline,
 * so one session must not be able to take them all. Keyed by the session id (the token's hash), so the map holds no
 * token. Requests without a well-formed token pass: they are refused before any upstream call anyway. `max` 0
 * turns it off.
 */
export function inFlightPerSession(max: number): Middleware {
  const inFlight = new Map<string, number>();
  return async (ctx, next) => {
    const token = sessionTokenOf(ctx);
    if (max === 0 || token === undefined || !isWellFormedSessionToken(token)) return next();
    const id = sessionIdOf(token);
    const running = inFlight.get(id) ?? 0;
    if (running >= max) {
      throw new RetryableError('overloaded', 'Too many requests of this session are running. Retry after the time in the Retry-After header.', 1);
    }
    inFlight.set(id, running + 1);
    try {
      await next();
    } finally {
      const left = (inFlight.get(id) ?? 1) - 1;
      if (left === 0) inFlight.delete(id);
      else inFlight.set(id, left);
    }
  };
}
