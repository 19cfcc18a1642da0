import type { Middleware } from 'koa';
import type { AttemptLimiter } from '../application/ports/attempt-limiter.js';
import type { Logger } from '../application/ports/logger.js';
import { RetryableError } from '../domain/errors.js';
import { STATUS_OF, toAppError } from './error-middleware.js';

/**
 * Refuses a client that has failed too often (any 4xx answer counts: wrong credentials, bad input, bad site), so
 * the endpoint cannot be used to test stolen credentials at speed. Keyed by client address — `X-Forwarded-For`
 * only with TRUST_PROXY. A limiter outage lets requests through (logged): sign-in stays available.
 */
export function failedAttemptLimit(limiter: AttemptLimiter, logger: Logger, name: string): Middleware {
  return async (ctx, next) => {
    const key = `${name}:${ctx.ip}`;
    const wait = await limiter.blockedFor(key).catch((error: unknown) => {
      logger.warn({ err: { message: String(error) } }, 'attempt limiter unavailable; request allowed');
      return undefined;
    });
    if (wait !== undefined) {
      throw new RetryableError('rate_limited', 'Too many failed sign-in attempts from this address. Retry after the time in the Retry-After header.', wait);
    }
    let status: number;
    try {
      await next();
      status = ctx.status;
    } catch (error) {
      status = STATUS_OF[toAppError(error).code];
      await record();
      throw error;
    }
    await record();

    async function record(): Promise<void> {
      if (status < 400 || status >= 500) return;
      await limiter.recordFailure(key).catch((error: unknown) => {
        logger.warn({ err: { message: String(error) } }, 'attempt limiter unavailable; failure not counted');
      });
    }
  };
}
