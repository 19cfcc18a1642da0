import type { Context } from 'koa';
import { AppError, RetryableError, type ErrorCode } from '../domain/errors.js';

/** The only place an error code becomes an HTTP status. */
export const STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  validation_error: 400,
  invalid_request: 400,
  invalid_cursor: 400,
  invalid_site: 400,
  invalid_state: 400,
  invalid_completion: 400,
  oauth_denied: 400,
  invalid_grant: 400,
  invalid_credentials: 401,
  missing_session: 401,
  invalid_session: 401,
  reauth_required: 401,
  upstream_unauthorized: 401,
  not_connected: 403,
  insufficient_scope: 403,
  no_accessible_site: 403,
  completion_session_mismatch: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  upstream_error: 502,
  oauth_not_configured: 503,
  upstream_unavailable: 503,
  store_unavailable: 503,
  not_ready: 503,
  overloaded: 503,
  upstream_timeout: 504,
};

/** Errors thrown by Koa's own middleware (body parser, http-errors) carry a status; give each a code. */
const CODE_OF_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'validation_error',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

/**
 * Every failure leaves as `{"error":{"code","message"}}` (the edge middleware calls this for whatever a request
 * threw). Unknown errors become a fixed 500 message and are emitted for logging — their text and stack never
 * reach the client.
 */
export function answerError(ctx: Context, thrown: unknown): AppError {
  const error = toAppError(thrown);
  if (error.code === 'internal_error') ctx.app.emit('error', thrown, ctx);
  ctx.status = STATUS_OF[error.code];
  if (error instanceof RetryableError) ctx.set('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  ctx.body = { error: { code: error.code, message: error.message, ...error.details } };
  return error;
}

export function toAppError(thrown: unknown): AppError {
  if (thrown instanceof AppError) return thrown;
  // A body that does not decompress under its Content-Encoding: zlib's (Z_*) and brotli's (ERR__*) errors carry
  // no HTTP status.
  const zlibCode = (thrown as { code?: unknown } | null)?.code;
  if (typeof zlibCode === 'string' && (zlibCode.startsWith('Z_') || zlibCode.startsWith('ERR__'))) {
    return new AppError('validation_error', 'The request body could not be decompressed with its Content-Encoding.');
  }
  const status = (thrown as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = CODE_OF_STATUS[status] ?? 'invalid_request';
    return new AppError(code, koaErrorMessage(thrown, status));
  }
  return new AppError('internal_error', 'Something went wrong on our side. Try again later.');
}

function koaErrorMessage(thrown: unknown, status: number): string {
  // co-body (under koa-bodyparser) throws the JSON parser's SyntaxError with a 400 status attached.
  if (thrown instanceof SyntaxError) return 'The request body is not valid JSON.';
  if (status === 413) return 'The request body is too large.';
  if (status === 415) return 'The request body must be JSON (Content-Type: application/json).';
  return 'The request could not be read.';
}
