import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger as PinoLogger } from 'pino';

/** What every log line written while serving one request carries (its request id), wherever it is written from. */
export const logScope = new AsyncLocalStorage<{ readonly requestId: string }>();

/**
 * Paths pino blanks out wherever they appear in a log line: defence in depth behind "never log a secret" — the
 * code does not pass these fields, and if one ever does, it is censored.
 */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-session-token"]',
  'res.headers["x-session-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-session-token"]',
  '*.authorization',
  '*.Authorization',
  '*.cookie',
  '*.api_token',
  '*.apiToken',
  '*.access_token',
  '*.accessToken',
  '*.refresh_token',
  '*.refreshToken',
  '*.client_secret',
  '*.clientSecret',
  '*.code',
  '*.state',
  '*.sessionToken',
  '*.session_token',
  'authorization',
  'api_token',
  'apiToken',
  'access_token',
  'accessToken',
  'refresh_token',
  'refreshToken',
  'client_secret',
  'clientSecret',
  'sessionToken',
  'session_token',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): PinoLogger {
  const options = {
    level,
    redact: { paths: REDACT, censor: '[redacted]' },
    base: { service: 'atlassian-connector' },
    // A copy: pino merges each line's fields into what mixin returns, which must not leak into the next line.
    mixin: () => ({ ...logScope.getStore() }),
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
