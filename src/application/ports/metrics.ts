/**
 * What the service counts. Implementations must be cheap and never throw: they sit on every request.
 * Only counting: how the counts are exposed (Prometheus text at /metrics) is the HTTP adapter's business.
 */
export interface Metrics {
  requestFinished(request: { method: string; route: string; status: number; durationMs: number }): void;
  upstreamCall(call: { product: string; outcome: string; retries: number; durationMs: number }): void;
  tokenRefresh(outcome: 'refreshed' | 'refused' | 'failed'): void;
  /** A request refused with `overloaded` (load shedding), by route template. */
  requestShed(route: string): void;
  /** Atlassian said a points quota is spent: a block was recorded for the OAuth app (`global`) or one tenant. */
  quotaBlocked(scope: 'global' | 'tenant'): void;
  /** A call to Atlassian not made because its quota scope is blocked. */
  quotaRefusedCall(product: string): void;
  /** Points an answer cost by Atlassian's 2026 rules (1 + objects listed): an estimate of the app's spending. */
  atlassianPointsSpent(product: string, points: number): void;
  /** The last remaining points Atlassian reported for a quota (sent only near its limit). */
  atlassianQuotaRemaining(scope: 'global' | 'tenant', points: number): void;
  /** A listing answered from the cache (`hit`), read for the request (`miss`) or answered past its TTL (`stale`). */
  listingCacheAnswer(answer: { product: string; outcome: 'hit' | 'miss' | 'stale' }): void;
}
