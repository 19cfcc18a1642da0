export interface RetrySettings {
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** The longest wait before one retry; a longer Retry-After ends the call at once. */
  readonly maxRetryWaitMs: number;
  /** First backoff when Atlassian gives no Retry-After; doubles on each retry. */
  readonly baseDelayMs: number;
}

/** What ended an attempt: an HTTP answer, or no answer at all. */
export type AttemptOutcome =
  | { readonly kind: 'answer'; readonly status: number; readonly retryAfter: string | null }
  | { readonly kind: 'network-error' }
  | { readonly kind: 'timeout' };

export type RetryDecision = { readonly retry: true; readonly waitMs: number } | { readonly retry: false };

/** Statuses Atlassian documents as transient (429, and 5xx from its gateway), safe to repeat for idempotent calls. */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/**
 * Whether to try an idempotent call again, and after how long. Follows Atlassian's rate-limit guidance:
 * Retry-After wins when present (seconds, or an HTTP date); otherwise exponential backoff with the jitter
 * factor in [0.7, 1.3] it recommends. A timeout is not retried: the caller has already waited a full timeout.
 */
export function decideRetry(
  retriesDone: number,
  outcome: AttemptOutcome,
  settings: RetrySettings,
  remainingMs: number,
  random: () => number = Math.random,
  now: number = Date.now(),
): RetryDecision {
  if (retriesDone >= settings.maxRetries) return { retry: false };
  if (outcome.kind === 'timeout') return { retry: false };
  if (outcome.kind === 'answer' && !RETRYABLE_STATUSES.has(outcome.status)) return { retry: false };

  const asked = outcome.kind === 'answer' ? retryAfterMs(outcome.retryAfter, now) : undefined;
  let waitMs: number;
  if (asked !== undefined) {
    if (asked > settings.maxRetryWaitMs) return { retry: false };
    waitMs = asked;
  } else {
    waitMs = Math.min(settings.baseDelayMs * 2 ** retriesDone, settings.maxRetryWaitMs) * (0.7 + 0.6 * random());
  }
  // A retry that cannot finish before the deadline would only turn a clear answer into a timeout.
  if (waitMs >= remainingMs) return { retry: false };
  return { retry: true, waitMs: Math.round(waitMs) };
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
