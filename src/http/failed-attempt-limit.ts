import type { Middleware } from 'koa';
import type { AttemptLimiter, Reservation } from '../application/ports/attempt-limiter.js';
import type { Logger } from '../application/ports/logger.js';
import { AppError, RetryableError } from '../domain/errors.js';
import { STATUS_OF, toAppError } from './error-answers.js';

/**
 * Refuses a client that has failed too often (any 4xx answer counts: wrong credentials, bad input, bad site), so
 * the endpoint cannot be used to test stolen credentials at speed. Keyed by client address (`ctx.ip`, which
 * honours TRUST_PROXY). The attempt is reserved before the request runs and given back when it did not fail
 * (2xx, or a 5xx that is the service's or Atlassian's fault): a check made first and a count made after the
 * upstream answer would let every parallel request through. If the limiter cannot count (its store is down), the
 * request is refused with 503: letting it through would make the endpoint an unlimited credential oracle.
 */
export function failedAttemptLimit(limiter: AttemptLimiter, logger: Logger, name: string): Middleware {
  return async (ctx, next) => {
    const key = `${name}:${ctx.ip}`;
    const reservation = await reserveOrRefuse(limiter, logger, key, 'Too many failed sign-in attempts from this address.', 'failed_sign_ins');
    let status: number;
    try {
      await next();
      status = ctx.status;
    } catch (error) {
      status = STATUS_OF[toAppError(error).code];
      await settle();
      throw error;
    }
    await settle();

    async function settle(): Promise<void> {
      if (status >= 400 && status < 500) return;
      await reservation.release().catch((error: unknown) => {
        logger.warn({ err: { message: String(error) } }, 'attempt limiter unavailable; attempt not given back');
      });
    }
  };
}

/**
 * Counts every request (not only failures) against the client address: for endpoints that cost upstream work or
 * store space whatever their outcome. Refuses with 503 when the limiter cannot count.
 */
export function requestRateLimit(limiter: AttemptLimiter, logger: Logger, name: string): Middleware {
  return async (ctx, next) => {
    await reserveOrRefuse(limiter, logger, `${name}:${ctx.ip}`, 'Too many requests from this address.', 'requests');
    await next();
  };
}

/** Which of the service's own limits refused a request (`error.limit` of its `rate_limited`). */
type ServiceLimit = 'failed_sign_ins' | 'requests';

async function reserveOrRefuse(
  limiter: AttemptLimiter,
  logger: Logger,
  key: string,
  tooMany: string,
  limit: ServiceLimit,
): Promise<Extract<Reservation, { granted: true }>> {
  let reservation: Reservation;
  try {
    reservation = await limiter.reserve(key);
  } catch (error) {
    logger.warn({ err: { message: String(error) } }, 'attempt limiter unavailable; request refused');
    throw new AppError('store_unavailable', 'The request limiter is unavailable. Try again shortly.');
  }
  if (!reservation.granted) {
    // `limit` tells a client this is the service's own limit, not Atlassian's (which answers the same code).
    throw new RetryableError('rate_limited', `${tooMany} Retry after the time in the Retry-After header.`, reservation.retryAfterSeconds, { limit });
  }
  return reservation;
}
