export interface RetrySettings {
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** The longest wait before one retry; a longer Retry-After (asked or implied) ends the call at once. */
  readonly maxRetryWaitMs: number;
  /** First backoff after a 502/503/504 without Retry-After or a connection failure; doubles on each retry. */
  readonly baseDelayMs: number;
  /**
   * The wait a 429 without Retry-After implies before the first retry; doubles on each retry, up to 30 s.
   * Atlassian answers a sooner retry with the same or a longer wait, so this is not a backoff of our choosing.
   */
  readonly rateLimitBaseMs: number;
}

/** Atlassian's first wait after a 429 without Retry-After (docs/atlassian.md §9). */
export const RATE_LIMIT_BASE_MS = 5_000;
/** …and its longest. */
const RATE_LIMIT_MAX_WAIT_MS = 30_000;

/** What ended an attempt: an HTTP answer, or no answer at all. */
export type AttemptOutcome =
  | { readonly kind: 'answer'; readonly status: number; readonly retryAfter: string | null }
  | { readonly kind: 'network-error' }
  | { readonly kind: 'timeout' };

/**
 * `impliedRetryAfterMs` comes with a 429 that carried no Retry-After and is not retried (again): the wait
 * Atlassian's guidance implies, which is what the client should be told to wait.
 */
export type RetryDecision =
  | { readonly retry: true; readonly waitMs: number }
  | { readonly retry: false; readonly impliedRetryAfterMs?: number };

/** Statuses Atlassian documents as transient (429, and 5xx from its gateway), safe to repeat for idempotent calls. */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
/** Whether an answer with this status may be retried at all: only then is its Retry-After worth reading. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/** Shared: this is the answer to every successful call. */
const STOP: RetryDecision = { retry: false };

/**
 * Whether to try an idempotent call again, and after how long. Follows Atlassian's rate-limit guidance:
 * Retry-After wins when present (seconds, or an HTTP date); a 429 without it waits 5 s × 2^retries (at most
 * 30 s); anything else retried gets a short exponential backoff. Waits not asked for by Retry-After carry the
 * jitter factor in [0.7, 1.3] Atlassian recommends. A timeout is not retried: the caller has already waited a
 * full timeout.
 */
export function decideRetry(
  retriesDone: number,
  outcome: AttemptOutcome,
  settings: RetrySettings,
  remainingMs: number,
  random: () => number = Math.random,
  now: number = Date.now(),
): RetryDecision {
  if (outcome.kind === 'timeout') return STOP;
  let asked: number | undefined;
  if (outcome.kind === 'answer') {
    if (!isRetryableStatus(outcome.status)) return STOP;
    asked = retryAfterMs(outcome.retryAfter, now);
    if (asked === undefined && outcome.status === 429) return rateLimited(retriesDone, settings, remainingMs, random);
  }
  if (retriesDone >= settings.maxRetries) return STOP;
  let waitMs: number;
  if (asked !== undefined) {
    if (asked > settings.maxRetryWaitMs) return STOP;
    waitMs = asked;
  } else {
    waitMs = Math.min(settings.baseDelayMs * 2 ** retriesDone, settings.maxRetryWaitMs) * jitter(random);
  }
  // A retry that cannot finish before the deadline would only turn a clear answer into a timeout.
  if (waitMs >= remainingMs) return STOP;
  return { retry: true, waitMs: Math.round(waitMs) };
}

/** A 429 without Retry-After behaves as if Atlassian had asked for 5 s × 2^retries. */
function rateLimited(retriesDone: number, settings: RetrySettings, remainingMs: number, random: () => number): RetryDecision {
  const impliedMs = Math.min(settings.rateLimitBaseMs * 2 ** retriesDone, RATE_LIMIT_MAX_WAIT_MS);
  const stop: RetryDecision = { retry: false, impliedRetryAfterMs: impliedMs };
  if (retriesDone >= settings.maxRetries || impliedMs > settings.maxRetryWaitMs) return stop;
  const waitMs = Math.min(impliedMs * jitter(random), settings.maxRetryWaitMs);
  if (waitMs >= remainingMs) return stop;
  return { retry: true, waitMs: Math.round(waitMs) };
}

function jitter(random: () => number): number {
  return 0.7 + 0.6 * random();
}

const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Retry-After in milliseconds: seconds in Atlassian's docs; an HTTP date is accepted too, as RFC 9110 allows. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only the IMF-fixdate form HTTP uses: Date.parse alone accepts garbage such as "soon 5" as some past date.
  if (!HTTP_DATE.test(trimmed)) return undefined;
  return Math.max(0, Date.parse(trimmed) - now);
}
