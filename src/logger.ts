import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger as PinoLogger } from 'pino';

/** What every log line written while serving one request carries (its request id), wherever it is written from. */
export const logScope = new AsyncLocalStorage<{ readonly requestId: string }>();

const CENSOR = '[redacted]';
/** Secrets by the names the code and Atlassian give them, censored at the top of a line and one level down. */
const SECRET_FIELDS = [
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
const TOP_LEVEL = new Set(SECRET_FIELDS);
/** One level down also: header spellings, and an OAuth callback's `code` and `state` (a top-level `code` is an error code). */
const NESTED = new Set([...SECRET_FIELDS, 'Authorization', 'cookie', 'set-cookie', 'x-session-token', 'code', 'state']);
/** Inside `headers` one level down (`req.headers`, `res.headers`). */
const HEADERS = new Set(['authorization', 'cookie', 'set-cookie', 'x-session-token']);

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields => value !== null && typeof value === 'object' && !Array.isArray(value);

/** `fields` with the names in `secret` censored; the same object when there is nothing to censor, else a copy. */
function censored(fields: Fields, secret: ReadonlySet<string>, nested?: (key: string, value: Fields) => Fields): Fields {
  let out = fields;
  for (const key in fields) {
    const value = fields[key];
    let replacement = value;
    if (secret.has(key)) replacement = CENSOR;
    else if (nested !== undefined && isObject(value)) replacement = nested(key, value);
    if (replacement === value) continue;
    if (out === fields) out = { ...fields };
    out[key] = replacement;
  }
  return out;
}

/**
 * Defence in depth behind "never log a secret": the code does not pass these fields, and if one ever does, it is
 * censored. A formatter rather than pino's `redact` paths: their wildcards cost about 14 µs a line, and every
 * request writes one. Nested objects are the caller's and are copied, never changed.
 */
export function censorSecrets(line: Fields): Fields {
  return censored(line, TOP_LEVEL, (_key, value) =>
    censored(value, NESTED, (key, inner) => (key === 'headers' ? censored(inner, HEADERS) : inner)),
  );
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): PinoLogger {
  const options = {
    level,
    formatters: { log: censorSecrets },
    base: { service: 'atlassian-connector' },
    // A copy: pino merges each line's fields into what mixin returns, which must not leak into the next line.
    mixin: () => ({ ...logScope.getStore() }),
  };
  return pino(options, destination ?? pino.destination(STDOUT));
}

/**
 * stdout in batches: a line waits until 4 KiB are pending or 100 ms have passed, so under load one write() carries
 * dozens of lines instead of one per request (a write to a pipe cost about 70 µs of the request's CPU). What is
 * pending is written when the process exits; only a kill that gives it no chance (SIGKILL, out of memory) loses it.
 */
const STDOUT = { dest: 1, sync: false, minLength: 4096, periodicFlush: 100 };

/**
 * Writes what is pending, then closes the logger's stdout destination: the last step before a deliberate exit.
 * Also what keeps that exit from hanging. pino's exit handler would write what is still pending synchronously, in
 * a sonic-boom loop that retries a failed write forever, so with the log reader gone (a collector restarted) the
 * process never ended. Two things left lines for that handler: sonic-boom reports a flush done when what is left
 * is under `minLength`, not when nothing is (so the shutdown's last lines, written while an earlier batch was on
 * its way, stayed pending); and a write that does not finish in `timeoutMs` (a reader that stopped reading).
 * Hence two asynchronous flushes, each meeting an EPIPE the way pino handles it (the destination then drops
 * lines), and then the destination destroyed, so the exit handler has nothing left to write. Bounded by
 * `timeoutMs` whatever the writes do.
 */
export async function flushLogs(logger: PinoLogger, timeoutMs = 1_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; round < 2 && Date.now() < deadline; round++) {
    if (!(await flushedWithin(logger, deadline - Date.now()))) break;
  }
  const destination = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as { destroy?: () => void } | undefined;
  try {
    destination?.destroy?.();
  } catch {
    // Already closed or not a stream of ours (tests pass their own): nothing is left to write at exit either way.
  }
}

/** One flush: true when it ended (written, or failed as pino handles it), false when `ms` passed first. */
function flushedWithin(logger: PinoLogger, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    // Not unref'd: with the server closed, the wait must still keep the process alive until the exit it follows.
    const timer = setTimeout(() => resolve(false), ms);
    try {
      // An error here is the write's (EPIPE: pino has made the destination drop lines) or the fsync's that
      // follows a flush (EINVAL on a pipe or socket): either way the flush has ended.
      logger.flush(() => {
        clearTimeout(timer);
        resolve(true);
      });
    } catch {
      clearTimeout(timer);
      resolve(true);
    }
  });
}
