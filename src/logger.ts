import { pino, type Logger as PinoLogger } from 'pino';

/** Paths pino blanks out wherever they appear in a log line; defence in depth behind "never log a secret". */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-session-token"]',
  'res.headers["x-session-token"]',
  '*.authorization',
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
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): PinoLogger {
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'atlassian-connector' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
